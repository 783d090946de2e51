"""The registry of clinic protocol settings: every ``ConfigurableDefault`` an app exposes.

Each app registers its defaults once, in ``AppConfig.ready``::

    from ketacare.clinic_settings.registry import register
    register("scheduling", "Scheduling", REMINDER_DEFAULTS)

A setting's key is ``<section>.<default.key>`` (``monitoring.racemic_iv.stop_systolic_mmhg``),
or ``<prefix>.<default.key>`` when several sections share a namespace (the treatment protocol's
sections all use ``treatment.``). The value's kind comes from the default's value, its choices,
or ``kinds`` when the reference gives no value (``value=None`` means the clinic must set it
before use, unless its key is in ``optional``: unset then means "no such limit").

A section may name a ``validate`` callable: given every stored value of the clinic as it would
be after a change (full keys), it raises ``ClinicalRuleError`` when the values do not hold
together (the treatment protocol builds the clinical core's objects from them). It runs once
per change, for every section touched that has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ketacare.clinical.common import ConfigurableDefault

Kind = type[int] | type[float] | type[bool] | type[str]
Validator = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class Setting:
    key: str  # the full key: section.default_key
    section: str
    default: ConfigurableDefault
    kind: Kind
    optional: bool = False  # unset means "no such limit", not "must be set"

    @property
    def label(self) -> str:
        return self.default.label

    @property
    def required(self) -> bool:
        """The reference gives no value: the clinic must set one before it is used."""
        return self.default.value is None and not self.optional

    @property
    def unverified(self) -> bool:
        return not self.default.provenance.verified


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    keys: tuple[str, ...]
    validate: Validator | None = None


_SETTINGS: dict[str, Setting] = {}
_SECTIONS: dict[str, Section] = {}


def _kind_of(default: ConfigurableDefault, kinds: Mapping[str, Kind]) -> Kind:
    if default.key in kinds:
        return kinds[default.key]
    if default.choices:
        return str
    if default.value is not None:
        return type(default.value)
    raise ValueError(
        f"{default.key}: the reference gives no value, so its kind must be given in kinds="
    )


def register(
    section: str,
    title: str,
    defaults: Iterable[ConfigurableDefault],
    *,
    description: str = "",
    kinds: Mapping[str, Kind] | None = None,
    prefix: str | None = None,
    optional: Iterable[str] = (),
    validate: Validator | None = None,
) -> Section:
    """Register ``defaults`` under ``section``. Registering the same section again replaces it
    (apps may be reloaded in tests); a key registered by another section is refused."""
    kinds = kinds or {}
    optional = frozenset(optional)
    keys = []
    for default in defaults:
        key = f"{prefix or section}.{default.key}"
        existing = _SETTINGS.get(key)
        if existing is not None and existing.section != section:
            raise ValueError(f"{key} is already registered by {existing.section}")
        kind = _kind_of(default, kinds)
        _SETTINGS[key] = Setting(key, section, default, kind, default.key in optional)
        keys.append(key)
    for stale in [k for k, s in _SETTINGS.items() if s.section == section and k not in keys]:
        del _SETTINGS[stale]
    _SECTIONS[section] = Section(section, title, description, tuple(keys), validate)
    return _SECTIONS[section]


def unregister(section: str) -> None:
    for key in _SECTIONS.pop(section).keys if section in _SECTIONS else ():
        _SETTINGS.pop(key, None)


def setting(key: str) -> Setting:
    try:
        return _SETTINGS[key]
    except KeyError:
        raise KeyError(f"{key} is not a registered clinic setting") from None


def settings() -> tuple[Setting, ...]:
    return tuple(_SETTINGS[key] for section in _SECTIONS.values() for key in section.keys)


def sections() -> tuple[Section, ...]:
    return tuple(_SECTIONS.values())


def section(key: str) -> Section:
    return _SECTIONS[key]
