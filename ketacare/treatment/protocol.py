"""A clinic's protocol: the catalogue of every value the medical director may review or change,
and the clinical-core objects built from the clinic's overrides.

Nothing here decides anything clinical. Each value comes from the clinical core (eligibility
parameters and rule severities, dosing settings, regimen templates, monitoring fasting times) with
its default, bounds and source; a clinic's override is checked by building the core's own objects
with it (``build_protocol``), so the core's safe bounds are the only bounds.

A clinic's values are stored where every other protocol setting is, in the clinic-settings
registry (``register_protocol_settings``): one section per group below, keys ``treatment.<key>``,
and ``build_protocol`` as the sections' shared check, so a value set on the one protocol
settings page is refused exactly as it is here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ketacare.clinic_settings.registry import register
from ketacare.clinical import dosing, monitoring, regimens
from ketacare.clinical.anthropometrics import ADJUSTED_BODY_WEIGHT_FACTOR
from ketacare.clinical.common import (
    ROUTE_LABELS,
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    Route,
    Severity,
)
from ketacare.clinical.eligibility import PARAMETERS, RULES, EligibilitySettings
from ketacare.treatment.checklist import CHECKLIST_SETTINGS

SEVERITY_PREFIX = "eligibility.severity."
ESKETAMINE_28_MG_KEY = dosing.ESKETAMINE_28_MG_ELDERLY_START.key
TRANSMUCOSAL_TEMPLATES = {
    "sublingual-clinic": dosing.SUBLINGUAL_CLINIC_PROTOCOL,
    "sublingual-home": dosing.SUBLINGUAL_HOME_PROTOCOL,
    "oral": dosing.ORAL_PROTOCOL,
}
FASTING_FIELDS = ("fasting_food_minutes", "fasting_liquid_minutes")


@dataclass(frozen=True)
class SettingSpec:
    """One value on the protocol page: its default, bounds, source and what needs it."""

    key: str
    section: str
    label: str
    kind: str  # "int", "float", "choice" or "bool"
    default: Any
    unit: str
    provenance: Provenance
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    needed_for: str = ""
    optional: bool = False  # unset is allowed and means "no such limit"

    @property
    def editable(self) -> bool:
        fixed = self.minimum is not None and self.minimum == self.maximum
        return not fixed

    @property
    def required(self) -> bool:
        """No reference default and not optional: the clinic must set it before ``needed_for``."""
        return self.default is None and not self.optional

    @property
    def bounds_text(self) -> str:
        if self.choices:
            return " / ".join(self.choices)
        if self.kind == "bool":
            return "yes / no"
        low = "" if self.minimum is None else f"≥ {self.minimum:g}"
        high = "" if self.maximum is None else f"≤ {self.maximum:g}"
        return ", ".join(part for part in (low, high) if part) or "any positive value"

    def as_default(self) -> ConfigurableDefault:
        """The core's ConfigurableDefault for this value: its bounds, choices and source."""
        return ConfigurableDefault(
            self.key,
            self.label,
            self.default,
            self.unit,
            self.provenance,
            self.minimum,
            self.maximum,
            self.choices,
        )

    def parse(self, raw: object) -> Any:
        """The typed value from a form or JSON value; refuses anything of the wrong kind."""
        text = raw.strip() if isinstance(raw, str) else raw
        if text in (None, ""):
            raise ClinicalRuleError(f"{self.label}: enter a value")
        if self.kind == "bool":
            if isinstance(text, bool):
                return text
            if str(text).lower() in ("true", "yes", "on", "1"):
                return True
            if str(text).lower() in ("false", "no", "off", "0"):
                return False
            raise ClinicalRuleError(f"{self.label}: answer yes or no")
        if self.kind == "choice":
            if str(text) not in self.choices:
                raise ClinicalRuleError(f"{self.label}: choose one of {', '.join(self.choices)}")
            return str(text)
        try:
            number = float(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ClinicalRuleError(f"{self.label}: {text!r} is not a number") from None
        if not math.isfinite(number):
            raise ClinicalRuleError(f"{self.label}: {text!r} is not a number")
        if self.kind == "int":
            if number != int(number):
                raise ClinicalRuleError(f"{self.label}: enter a whole number of {self.unit}")
            return int(number)
        return number


def _from_default(
    item: ConfigurableDefault, section: str, needed_for: str, *, optional: bool = False
) -> SettingSpec:
    if item.choices:
        kind = "choice"
    elif isinstance(item.value, bool):
        kind = "bool"
    elif item.key.startswith(("dosing.", "anthropometrics.")):
        kind = "float"
    else:
        kind = "int"
    return SettingSpec(
        key=item.key,
        section=section,
        label=item.label,
        kind=kind,
        default=item.value,
        unit=item.unit,
        provenance=item.provenance,
        minimum=item.minimum,
        maximum=item.maximum,
        choices=tuple(item.choices),
        needed_for=needed_for,
        optional=optional,
    )


def _severity_specs() -> list[SettingSpec]:
    specs = []
    for rule in RULES:
        if rule.severity is Severity.MISSING:
            continue
        if rule.severity is Severity.CONTRAINDICATION:
            if not rule.relative:
                continue
            choices = ("contraindication", "caution")
        elif rule.severity is Severity.CAUTION:
            choices = ("caution", "contraindication")
        else:
            choices = ("info", "caution", "contraindication")
        specs.append(
            SettingSpec(
                key=SEVERITY_PREFIX + rule.rule_id,
                section="Eligibility rule severity",
                label=f"{rule.rule_id}: {rule.description}",
                kind="choice",
                default=str(rule.severity),
                unit="",
                provenance=rule.provenance,
                choices=choices,
                needed_for="screening",
            )
        )
    return specs


_DOSING_NEEDS = {
    "dosing.im.max_mg_per_kg": "IM orders",
    "dosing.transmucosal.max_session_dose_mg": "sublingual and oral orders",
    "dosing.iv.max_session_dose_mg": "IV orders (optional cap)",
}


def _catalogue() -> tuple[SettingSpec, ...]:
    specs: list[SettingSpec] = [
        _from_default(p, "Eligibility", "depression screening" if p.value is None else "screening")
        for p in PARAMETERS.values()
    ]
    specs += _severity_specs()
    for item in dosing.SETTINGS:
        specs.append(
            _from_default(
                item,
                "Dosing",
                _DOSING_NEEDS.get(item.key, "orders"),
                optional=item.key == "dosing.iv.max_session_dose_mg",
            )
        )
    esketamine_28_mg = dosing.ESKETAMINE_28_MG_ELDERLY_START
    specs.append(_from_default(esketamine_28_mg, "Dosing", "esketamine orders"))
    for template in regimens.TEMPLATES.values():
        for item in template.settings():
            specs.append(
                _from_default(item, f"Regimen: {template.label}", f"planning {template.label}")
            )
    for route in Route:
        protocol = monitoring.default_protocol(route)
        for name in FASTING_FIELDS:
            item: ConfigurableDefault = getattr(protocol, name)
            specs.append(
                replace(
                    _from_default(
                        item, "Preparation (fasting)", f"{ROUTE_LABELS[route]} preparation"
                    ),
                    key=f"monitoring.{route.value}.{name}",
                    label=f"{ROUTE_LABELS[route]}: {item.label.lower()}",
                    kind="int",
                )
            )
    for item in CHECKLIST_SETTINGS:
        specs.append(_from_default(item, "Pre-treatment checklist", "the checklist"))
    return tuple(specs)


CATALOGUE: tuple[SettingSpec, ...] = _catalogue()
SPECS: dict[str, SettingSpec] = {spec.key: spec for spec in CATALOGUE}
assert len(SPECS) == len(CATALOGUE), "duplicate protocol key"


@dataclass(frozen=True)
class ClinicProtocol:
    """The clinical-core objects in force at one clinic, built from its overrides."""

    overrides: Mapping[str, Any]
    eligibility: EligibilitySettings
    iv: dosing.IvProtocol
    im: dosing.ImProtocol
    transmucosal: Mapping[str, dosing.TransmucosalProtocol]
    esketamine: dosing.EsketamineProtocol
    templates: Mapping[str, regimens.RegimenTemplate]
    monitoring: Mapping[Route, monitoring.MonitoringProtocol]
    checklist: Mapping[str, str] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        """The value in force: the clinic's override, else the default (None when unset)."""
        if key in self.overrides:
            return self.overrides[key]
        return SPECS[key].default

    def is_overridden(self, key: str) -> bool:
        return key in self.overrides

    def unset_required(self) -> list[SettingSpec]:
        """Required values the reference leaves to the clinic and the clinic has not set."""
        return [spec for spec in CATALOGUE if spec.required and self.value(spec.key) is None]


def build_protocol(overrides: Mapping[str, Any]) -> ClinicProtocol:
    """Build every core object from ``overrides``; raises ClinicalRuleError when any refuses."""
    unknown = sorted(set(overrides) - set(SPECS))
    if unknown:
        raise ClinicalRuleError(f"Unknown protocol setting(s): {', '.join(unknown)}")
    values = dict(overrides)

    def get(key: str) -> Any:
        return values.get(key, SPECS[key].default)

    for key, value in values.items():
        spec = SPECS[key]
        if spec.kind in ("int", "float", "choice") and not key.startswith(SEVERITY_PREFIX):
            # The core's ConfigurableDefault bounds; regimen, monitoring and eligibility objects
            # check again below when they are built.
            spec.as_default().validate(value)

    eligibility = EligibilitySettings(
        values={k: v for k, v in values.items() if k in PARAMETERS},
        severities={
            k.removeprefix(SEVERITY_PREFIX): v
            for k, v in values.items()
            if k.startswith(SEVERITY_PREFIX) and v != SPECS[k].default
        },
    )
    weight = {
        "weight_basis": get("dosing.weight_basis"),
        "ibw_offer_bmi_kg_m2": float(get("dosing.ibw_offer_bmi_kg_m2")),
        "adjusted_weight_factor": values.get(ADJUSTED_BODY_WEIGHT_FACTOR.key),
    }
    cap = get("dosing.iv.max_session_dose_mg")
    iv = dosing.IvProtocol(
        max_mg_per_kg=float(get("dosing.iv.max_mg_per_kg")),
        standard_mg_per_kg=float(get("dosing.iv.standard_mg_per_kg")),
        infusion_minutes=float(get("dosing.iv.infusion_minutes")),
        max_session_dose_mg=None if cap is None else float(cap),
        **weight,
    )
    im_max = get("dosing.im.max_mg_per_kg")
    im = dosing.ImProtocol(max_mg_per_kg=None if im_max is None else float(im_max), **weight)
    tm_max = get("dosing.transmucosal.max_session_dose_mg")
    transmucosal = {
        key: replace(template, max_session_dose_mg=None if tm_max is None else float(tm_max))
        for key, template in TRANSMUCOSAL_TEMPLATES.items()
    }
    esketamine = dosing.EsketamineProtocol(
        allow_28_mg_elderly_start=bool(get(ESKETAMINE_28_MG_KEY))
    )
    templates = {}
    for key, template in regimens.TEMPLATES.items():
        mine = {item.key: values[item.key] for item in template.settings() if item.key in values}
        templates[key] = template.with_settings(mine) if mine else template
    monitoring_protocols = {}
    for route in Route:
        mine = {
            name: values[f"monitoring.{route.value}.{name}"]
            for name in FASTING_FIELDS
            if f"monitoring.{route.value}.{name}" in values
        }
        # The pre-dose BP caution is the screening's pre-treatment limit: set once, here.
        mine |= {
            name: values[shared.key]
            for name, shared in monitoring.SHARED_WITH_SCREENING.items()
            if values.get(shared.key) is not None
        }
        base = monitoring.default_protocol(route)
        monitoring_protocols[route] = base.with_settings(**mine) if mine else base
    checklist = {item.key: get(item.key) for item in CHECKLIST_SETTINGS}
    return ClinicProtocol(
        overrides=MappingProxyType(values),
        eligibility=eligibility,
        iv=iv,
        im=im,
        transmucosal=MappingProxyType(transmucosal),
        esketamine=esketamine,
        templates=MappingProxyType(templates),
        monitoring=MappingProxyType(monitoring_protocols),
        checklist=MappingProxyType(checklist),
    )


def display_value(spec: SettingSpec, value: Any) -> str:
    if value is None:
        return "not set"
    if spec.kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g} {spec.unit}".strip()
    return f"{value} {spec.unit}".strip()


PREFIX = "treatment"
_KINDS: dict[str, type] = {"int": int, "float": float, "bool": bool, "choice": str}


def registry_key(key: str) -> str:
    """The key under which the clinic-settings table stores protocol value ``key``."""
    return f"{PREFIX}.{key}"


def overrides_from_stored(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The treatment protocol's overrides among a clinic's stored settings (full keys)."""
    head = f"{PREFIX}."
    return {
        key.removeprefix(head): value
        for key, value in stored.items()
        if key.startswith(head) and value is not None
    }


def _holds_together(stored: Mapping[str, Any]) -> None:
    build_protocol(overrides_from_stored(stored))


def register_protocol_settings() -> None:
    """Register the catalogue with the clinic-settings registry (from the app's ``ready``)."""
    groups: dict[str, list[SettingSpec]] = {}
    for spec in CATALOGUE:
        groups.setdefault(spec.section, []).append(spec)
    for title, specs in groups.items():
        slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
        register(
            f"{PREFIX}.{slug}",
            f"Treatment protocol: {title}",
            [spec.as_default() for spec in specs],
            description="Needed for " + ", ".join(sorted({s.needed_for for s in specs})) + ".",
            kinds={spec.key: _KINDS[spec.kind] for spec in specs},
            prefix=PREFIX,
            optional=[spec.key for spec in specs if spec.optional],
            validate=_holds_together,
        )
