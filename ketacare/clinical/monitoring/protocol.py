"""The monitoring protocol of one route: every threshold, interval and time the nurse's session is
checked against, each declared once in ``SETTINGS`` with its bounds and the value the reference
gives per route.

Where the reference gives no number for a route (SpO2 and RR thresholds, a pre-dose heart-rate
caution, racemic observation time, the "near baseline" discharge margin, ...) the protocol holds a
required setting with value None, which the clinic must set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from ketacare.clinical import thresholds
from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance, Route
from ketacare.clinical.instruments import ScoringSettings

ALL_ROUTES = frozenset(Route)
ESKETAMINE = Route.ESKETAMINE_NASAL
_REQUIRED = Provenance((), verified=False, note="reference silent: the clinic must set this value")


@dataclass(frozen=True)
class MonitoringSetting:
    """One setting of every route's protocol: what it is, its bounds (inclusive) and, per route,
    the value the reference gives with its source. A route without a value must be set by the
    clinic; a route outside ``routes`` does not have the setting.

    Bounds only refuse nonsense (data-entry plausibility), except where a clinical safe bound is
    noted (``minimum_for``: esketamine observation never below 2 h; the pre-dose BP caution never
    above the stop threshold).
    """

    key: str
    label: str
    unit: str
    minimum: int
    maximum: int
    reference: Mapping[Route, tuple[int, Provenance]] = field(default_factory=dict)
    routes: frozenset[Route] = ALL_ROUTES
    minimum_for: Mapping[Route, int] = field(default_factory=dict)
    label_for: Mapping[Route, str] = field(default_factory=dict)

    def default(self, route: Route) -> ConfigurableDefault[int] | None:
        """The setting for ``route`` with the reference value (None: required), or None when the
        route does not have it."""
        if route not in self.routes:
            return None
        value, provenance = self.reference.get(route, (None, _REQUIRED))
        return ConfigurableDefault(
            self.key,
            self.label_for.get(route, self.label),
            value,
            self.unit,
            provenance,
            self.minimum_for.get(route, self.minimum),
            self.maximum,
        )


def _per_route(value: int, esketamine: Provenance, racemic: Provenance) -> dict:
    return {route: (value, esketamine if route is ESKETAMINE else racemic) for route in Route}


def _from_shared(key: str, label: str, shared: ConfigurableDefault[int]) -> MonitoringSetting:
    """A pre-dose caution: the shared pre-treatment limit (``thresholds``), sourced per route."""
    assert shared.value is not None and shared.minimum is not None and shared.maximum is not None
    return MonitoringSetting(
        key,
        label,
        shared.unit,
        int(shared.minimum),
        int(shared.maximum),
        _per_route(
            shared.value, thresholds.PRE_TREATMENT_ESKETAMINE, thresholds.PRE_TREATMENT_RACEMIC
        ),
    )


_STOP = Provenance(("§2",), False, thresholds.STOP_NOTE)  # source: §2 [memory, verify]
_STOP_ESKETAMINE = Provenance(
    ("§2",),
    False,
    thresholds.STOP_NOTE
    + "; given for IV racemic, applied to esketamine (the label gives no number)",
)
_S94 = Provenance(("S94",), note="Emory practice: every 10 min during, every 15 min after")
_FASTING = Provenance(("S53", "S54"), note="no food 2 h, no liquids 30 min")
_ESK_OBSERVATION = Provenance(("S10", "S11", "S12"), note=">= 2 h, counted from the first device")
_ESK_FIRST_READING = Provenance(("S13", "S46"), note="BP ~40 min after dosing, then as warranted")
_PLAUSIBLE = thresholds.PLAUSIBLE_RANGES
_BP, _DIA, _HR = (_PLAUSIBLE[k] for k in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"))

# Every setting, in the order the protocol page lists them. Pulse oximetry is monitored at each
# esketamine session (source: S13), but the reference gives no SpO2 or respiratory-rate threshold:
# those are required settings for every route.
SETTINGS: tuple[MonitoringSetting, ...] = (
    _from_shared(  # source: S14 (esketamine), §2 (racemic) [memory, verify]
        "predose_caution_systolic_mmhg",
        "Pre-dose BP caution, systolic",
        thresholds.PRE_TREATMENT_SYSTOLIC_LIMIT,
    ),
    _from_shared(  # source: S14 (esketamine), §2 (racemic) [memory, verify]
        "predose_caution_diastolic_mmhg",
        "Pre-dose BP caution, diastolic",
        thresholds.PRE_TREATMENT_DIASTOLIC_LIMIT,
    ),
    MonitoringSetting("predose_caution_heart_rate_bpm", "Pre-dose heart-rate caution", "bpm", *_HR),
    MonitoringSetting(  # source: §2 [memory, verify]
        "stop_systolic_mmhg",
        "Stop/slow BP, systolic",
        "mmHg",
        *_BP,
        _per_route(thresholds.STOP_SYSTOLIC_MMHG, _STOP_ESKETAMINE, _STOP),
    ),
    MonitoringSetting(  # source: §2 [memory, verify]
        "stop_diastolic_mmhg",
        "Stop/slow BP, diastolic",
        "mmHg",
        *_DIA,
        _per_route(thresholds.STOP_DIASTOLIC_MMHG, _STOP_ESKETAMINE, _STOP),
    ),
    MonitoringSetting(  # source: §2 [memory, verify]
        "stop_heart_rate_bpm",
        "Stop/slow heart rate",
        "bpm",
        *_HR,
        _per_route(thresholds.STOP_HEART_RATE_BPM, _STOP_ESKETAMINE, _STOP),
    ),
    MonitoringSetting(
        "spo2_alert_below_percent",
        "SpO2 alert threshold",
        "%",
        *_PLAUSIBLE["spo2_percent"],
    ),
    MonitoringSetting(
        "respiratory_rate_alert_below_per_min",
        "Respiratory-rate alert threshold",
        "/min",
        *_PLAUSIBLE["respiratory_rate_per_min"],
    ),
    MonitoringSetting(  # source: S94 (IV); other routes: clinic setting
        "dosing_reading_interval_minutes",
        "Vitals interval during dosing",
        "min",
        1,
        1440,
        {Route.RACEMIC_IV: (10, _S94)},
    ),
    # After the esketamine ~40-min reading BP is checked "as clinically warranted" (S13): the
    # clinic sets this interval for esketamine.
    MonitoringSetting(  # source: S94 (IV); other routes: clinic setting
        "post_dose_reading_interval_minutes",
        "Vitals interval after dosing",
        "min",
        1,
        1440,
        {Route.RACEMIC_IV: (15, _S94)},
    ),
    MonitoringSetting(  # source: S10, S11, S12 (esketamine); other routes: clinic setting
        "minimum_observation_minutes",
        "Minimum observation time",
        "min",
        0,
        1440,
        {ESKETAMINE: (120, _ESK_OBSERVATION)},
        minimum_for={ESKETAMINE: 120},  # source: S10, S11, S12 — never below 2 h (safe bound)
        label_for={r: "Minimum observation after end of dosing" for r in Route if r != ESKETAMINE},
    ),
    MonitoringSetting(
        "discharge_bp_margin_mmhg", "Discharge: BP within this of baseline", "mmHg", 0, 300
    ),
    MonitoringSetting(
        "discharge_heart_rate_margin_bpm",
        "Discharge: heart rate within this of baseline",
        "bpm",
        0,
        300,
    ),
    MonitoringSetting(  # source: S53, S54 (esketamine); other routes: clinic setting
        "fasting_food_minutes",
        "No food before dosing",
        "min",
        0,
        1440,
        {ESKETAMINE: (120, _FASTING)},
    ),
    MonitoringSetting(  # source: S53, S54 (esketamine); other routes: clinic setting
        "fasting_liquid_minutes",
        "No liquids before dosing",
        "min",
        0,
        1440,
        {ESKETAMINE: (30, _FASTING)},
    ),
    MonitoringSetting(  # source: S13, S46; esketamine only
        "post_dose_first_reading_at_minutes",
        "BP reading after dosing at",
        "min",
        1,
        1440,
        {ESKETAMINE: (40, _ESK_FIRST_READING)},
        routes=frozenset({ESKETAMINE}),
    ),
)

# Monitoring settings that are the screening's pre-treatment BP limit under another name: the
# clinic sets that limit once (``eligibility``, key ``bp.pre_treatment_*``) and the monitoring
# protocol takes it with ``with_settings``.
SHARED_WITH_SCREENING: Mapping[str, ConfigurableDefault[int]] = MappingProxyType(
    {
        "predose_caution_systolic_mmhg": thresholds.PRE_TREATMENT_SYSTOLIC_LIMIT,
        "predose_caution_diastolic_mmhg": thresholds.PRE_TREATMENT_DIASTOLIC_LIMIT,
    }
)


@dataclass(frozen=True)
class MonitoringProtocol:
    """Everything the nurse's session is checked against, for one route.

    Build with ``default_protocol(route)``; a clinic sets values with ``with_settings``. Each
    setting's ``key`` is its field name here.
    """

    route: Route
    predose_caution_systolic_mmhg: ConfigurableDefault[int]
    predose_caution_diastolic_mmhg: ConfigurableDefault[int]
    predose_caution_heart_rate_bpm: ConfigurableDefault[int]
    stop_systolic_mmhg: ConfigurableDefault[int]
    stop_diastolic_mmhg: ConfigurableDefault[int]
    stop_heart_rate_bpm: ConfigurableDefault[int]
    spo2_alert_below_percent: ConfigurableDefault[int]
    respiratory_rate_alert_below_per_min: ConfigurableDefault[int]
    dosing_reading_interval_minutes: ConfigurableDefault[int]
    post_dose_reading_interval_minutes: ConfigurableDefault[int]
    minimum_observation_minutes: ConfigurableDefault[int]
    discharge_bp_margin_mmhg: ConfigurableDefault[int]
    discharge_heart_rate_margin_bpm: ConfigurableDefault[int]
    fasting_food_minutes: ConfigurableDefault[int]
    fasting_liquid_minutes: ConfigurableDefault[int]
    # Esketamine only: the fixed post-dose BP reading (~40 min). None for other routes.
    post_dose_first_reading_at_minutes: ConfigurableDefault[int] | None = None
    # MOAA/S sedation flag: owned by instruments.score("moaas"); the clinic's override goes here.
    moaas_scoring: ScoringSettings = field(default_factory=ScoringSettings)

    def settings(self) -> tuple[ConfigurableDefault[int], ...]:
        """Every setting, in declaration order, for the protocol-review page."""
        found = (getattr(self, f.name) for f in fields(self))
        return tuple(s for s in found if isinstance(s, ConfigurableDefault))

    def unconfigured(self) -> tuple[ConfigurableDefault[int], ...]:
        """Settings the reference gives no value for and the clinic has not set yet."""
        return tuple(s for s in self.settings() if s.value is None)

    def with_settings(self, **values: int) -> MonitoringProtocol:
        """A copy holding the clinic's values, each checked against its safe bounds.

        A value set here is the clinic's own: its provenance becomes "clinic setting" (verified),
        keeping the reference default in the note.
        """
        changes: dict[str, Any] = {}  # field name -> ConfigurableDefault[int]
        for name, value in values.items():
            current = getattr(self, name, None)
            if not isinstance(current, ConfigurableDefault):
                raise ClinicalRuleError(f"{name!r} is not a setting of the {self.route} protocol")
            if not isinstance(value, int) or isinstance(value, bool):
                raise ClinicalRuleError(f"{current.label}: expected whole {current.unit}")
            current.validate(value)
            was = "none" if current.value is None else f"{current.value} {current.unit}"
            note = f"set by the clinic; reference default {was} ({current.provenance.cite()})"
            changes[name] = replace(current, value=value, provenance=Provenance((), True, note))
        return replace(self, **changes)


def default_protocol(route: Route | str) -> MonitoringProtocol:
    """The reference defaults for ``route``; required settings (value None) are still to be set."""
    route = Route(route)
    return MonitoringProtocol(
        route=route,
        **{setting.key: setting.default(route) for setting in SETTINGS},  # type: ignore[arg-type]
    )


def configurable_defaults(route: Route | str) -> tuple[ConfigurableDefault[int], ...]:
    """Every monitoring setting of ``route`` a clinic sets here, for the clinic-settings registry
    (keys are ``MonitoringProtocol`` field names). The pre-dose BP caution is left out: it is the
    screening's pre-treatment limit (``SHARED_WITH_SCREENING``), set once under eligibility."""
    return tuple(
        setting
        for setting in default_protocol(route).settings()
        if setting.key not in SHARED_WITH_SCREENING
    )
