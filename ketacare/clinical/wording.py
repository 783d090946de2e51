"""Clinic-supplied official wording of an instrument, in one language.

Ketacare ships only short paraphrased item labels. Official wording is often licensed, so a clinic
that holds a licence supplies it as a JSON document (format in ``docs/clinical-api.md``)::

    {"instrument": "phq9", "language": "en", "source": "licence note",
     "stem": "Over the last 2 weeks ...", "items": ["...", ...],
     "options": [{"value": 0, "label": "..."}, ...]}

``load_wording`` validates it against the instrument's metadata; ``item_labels`` returns the
official text when supplied and the project's short labels otherwise. Wording never changes a
score: answers stay ints in item order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import INSTRUMENTS, get_instrument

REQUIRED_KEYS = frozenset({"instrument", "language", "source", "items", "options"})
OPTIONAL_KEYS = frozenset({"stem", "version"})
# A BCP 47-shaped tag such as "en", "es-419", "pt-BR"; the registry itself is not checked.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class WordingOption:
    """One answer choice: the int stored as the answer and the text shown for it."""

    value: int
    label: str


@dataclass(frozen=True)
class Wording:
    """Validated official wording of one instrument in one language."""

    instrument: str
    language: str
    source: str  # where the text comes from and the licence under which the clinic uses it
    items: tuple[str, ...]
    options: tuple[WordingOption, ...]
    stem: str = ""
    version: str = ""

    def option_label(self, value: int) -> str:
        """The text for answer ``value``; ValueError if the wording has no such option."""
        for option in self.options:
            if option.value == value:
                return option.label
        raise ClinicalRuleError(f"{self.instrument} wording has no option {value}")


def load_wording(data: str | bytes | Mapping[str, object]) -> Wording:
    """Parse and validate a wording document (JSON text or an already-decoded mapping)."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise ClinicalRuleError(f"wording is not valid JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise ClinicalRuleError("wording must be a JSON object")

    missing = sorted(REQUIRED_KEYS - data.keys())
    if missing:
        raise ClinicalRuleError(f"wording is missing: {', '.join(missing)}")
    unknown = sorted(str(k) for k in data.keys() - REQUIRED_KEYS - OPTIONAL_KEYS)
    if unknown:
        raise ClinicalRuleError(f"wording has unknown fields: {', '.join(unknown)}")

    code = data["instrument"]
    if not isinstance(code, str) or code not in INSTRUMENTS:
        raise ClinicalRuleError(
            f"wording names unknown instrument {code!r}; expected one of {', '.join(INSTRUMENTS)}"
        )
    instrument = get_instrument(code)
    name = instrument.name

    language = _text(data["language"], f"{name} wording: language")
    if not _LANGUAGE.match(language):
        raise ClinicalRuleError(
            f"{name} wording: language {language!r} is not a language tag such as 'en' or 'es-MX'"
        )
    source = _text(data["source"], f"{name} wording: source (licence note)")
    stem = _text(data.get("stem", ""), f"{name} wording: stem", allow_empty=True)
    version = _text(data.get("version", ""), f"{name} wording: version", allow_empty=True)

    items = data["items"]
    if not isinstance(items, list):
        raise ClinicalRuleError(f"{name} wording: items must be a list of strings")
    if len(items) != len(instrument.items):
        raise ClinicalRuleError(
            f"{name} wording has {len(items)} items; {name} has {len(instrument.items)}"
        )
    texts = tuple(
        _text(text, f"{name} wording: {item.name}")
        for item, text in zip(instrument.items, items, strict=True)
    )

    return Wording(
        instrument=code,
        language=language,
        source=source,
        items=texts,
        options=_options(name, data["options"], instrument.item_range),
        stem=stem,
        version=version,
    )


def item_labels(code: str, wording: Wording | None = None) -> tuple[str, ...]:
    """Item texts in item order: the clinic's official wording if given, else project labels."""
    instrument = get_instrument(code)
    if wording is None:
        return tuple(item.label for item in instrument.items)
    if wording.instrument != code:
        raise ClinicalRuleError(
            f"wording is for {wording.instrument}, not {instrument.name} ({code})"
        )
    return wording.items


def _text(value: object, what: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ClinicalRuleError(f"{what} must be text, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ClinicalRuleError(f"{what} is empty")
    return value


def _options(name: str, raw: object, item_range: tuple[int, int]) -> tuple[WordingOption, ...]:
    low, high = item_range
    if not isinstance(raw, list):
        raise ClinicalRuleError(f"{name} wording: options must be a list")
    options = []
    for i, option in enumerate(raw, 1):
        if not isinstance(option, Mapping) or set(option.keys()) != {"value", "label"}:
            raise ClinicalRuleError(
                f"{name} wording: option {i} must be an object with exactly value and label"
            )
        value = option["value"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ClinicalRuleError(
                f"{name} wording: option {i} value {value!r} is not a whole number"
            )
        options.append(WordingOption(value, _text(option["label"], f"{name} option {value}")))
    values = [o.value for o in options]
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ClinicalRuleError(
            f"{name} wording: option values repeat: {', '.join(map(str, duplicates))}"
        )
    expected = set(range(low, high + 1))
    if set(values) != expected:
        missing = sorted(expected - set(values))
        extra = sorted(set(values) - expected)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(str, missing))}")
        if extra:
            parts.append(f"outside the item range: {', '.join(map(str, extra))}")
        raise ClinicalRuleError(
            f"{name} wording: options must cover exactly {low}–{high} ({'; '.join(parts)})"
        )
    return tuple(options)  # kept in the order the clinic shows them
