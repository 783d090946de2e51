"""Vital-sign thresholds and alerts, the vitals schedule, overdue readings, discharge criteria.

Pure Python: no clock and no database; every time is an aware ``datetime`` passed in.

Project readings of the reference (shared/clinical-reference.md), each pinned by a test:

- "Above 180/100 mmHg" and "above 140/90 mmHg" are strict: an alert fires when the systolic is
  greater than the systolic limit **or** the diastolic is greater than the diastolic limit.
  Exactly 180/100 raises no alert; 181/100 and 180/101 do. Heart rate "> 110 bpm" is strict too.
- SpO2 and respiratory-rate alerts fire strictly *below* the clinic's threshold.
- Where the reference gives no number (SpO2 and RR thresholds, a pre-dose heart-rate caution,
  racemic observation time, the "near baseline" discharge margin, ...) the protocol holds a
  required setting with value None. ``evaluate_vitals`` never skips such a check silently: a
  measured value it cannot judge yields an alert of level ``UNCONFIGURED``. The schedule
  functions raise ClinicalRuleError instead, naming the missing setting; discharge criteria that
  need one are reported unmet with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ketacare.clinical import thresholds
from ketacare.clinical.common import (
    Answer,
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    Route,
)
from ketacare.clinical.instruments import FlagReason, ScoringSettings, score


class Phase(StrEnum):
    """The part of the session a reading belongs to."""

    PRE_DOSE = "pre_dose"
    DOSING = "dosing"  # infusion running, or between esketamine devices
    POST_DOSE = "post_dose"  # recovery / observation


class AlertLevel(StrEnum):
    CRITICAL = "critical"  # act now: pause dosing, call the prescriber or emergency care
    WARNING = "warning"  # needs a clinician's decision
    UNCONFIGURED = "unconfigured"  # a value could not be judged: the clinic has not set the rule


class CrisisSymptom(StrEnum):
    """Possible hypertensive crisis -> emergency care. source: §3.3 [memory, verify]"""

    CHEST_PAIN = "chest_pain"
    DYSPNEA = "dyspnea"
    SUDDEN_SEVERE_HEADACHE = "sudden_severe_headache"
    VISUAL_CHANGE = "visual_change"
    SEIZURE = "seizure"
    REDUCED_CONSCIOUSNESS = "reduced_consciousness"
    FOCAL_NEUROLOGICAL_DEFICIT = "focal_neurological_deficit"


# Data-entry plausibility bounds, inclusive. Not clinical thresholds: a value outside them is a
# typing or device error and is refused. Project choice (the reference gives no ranges).
PLAUSIBLE_RANGES: dict[str, tuple[int, int]] = {
    "systolic_mmhg": (20, 300),
    "diastolic_mmhg": (10, 250),
    "heart_rate_bpm": (0, 300),
    "spo2_percent": (0, 100),
    "respiratory_rate_per_min": (0, 100),
    "moaas_level": (0, 5),  # MOAA/S scale 0-5. source: S74, S75
}

_REQUIRED = Provenance((), verified=False, note="reference silent: the clinic must set this value")


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time")


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


# Every setting: label, unit and plausibility bounds (inclusive). Bounds only refuse nonsense;
# the one clinical safe bound (esketamine observation >= 120 min) is set in default_protocol.
_SETTINGS: dict[str, tuple[str, str, tuple[int, int]]] = {
    "predose_caution_systolic_mmhg": ("Pre-dose BP caution, systolic", "mmHg", (20, 300)),
    "predose_caution_diastolic_mmhg": ("Pre-dose BP caution, diastolic", "mmHg", (10, 250)),
    "predose_caution_heart_rate_bpm": ("Pre-dose heart-rate caution", "bpm", (0, 300)),
    "stop_systolic_mmhg": ("Stop/slow BP, systolic", "mmHg", (20, 300)),
    "stop_diastolic_mmhg": ("Stop/slow BP, diastolic", "mmHg", (10, 250)),
    "stop_heart_rate_bpm": ("Stop/slow heart rate", "bpm", (0, 300)),
    "spo2_alert_below_percent": ("SpO2 alert threshold", "%", (0, 100)),
    "respiratory_rate_alert_below_per_min": ("Respiratory-rate alert threshold", "/min", (0, 100)),
    "dosing_reading_interval_minutes": ("Vitals interval during dosing", "min", (1, 1440)),
    "post_dose_reading_interval_minutes": ("Vitals interval after dosing", "min", (1, 1440)),
    "minimum_observation_minutes": ("Minimum observation time", "min", (0, 1440)),
    "discharge_bp_margin_mmhg": ("Discharge: BP within this of baseline", "mmHg", (0, 300)),
    "discharge_heart_rate_margin_bpm": (
        "Discharge: heart rate within this of baseline",
        "bpm",
        (0, 300),
    ),
    "fasting_food_minutes": ("No food before dosing", "min", (0, 1440)),
    "fasting_liquid_minutes": ("No liquids before dosing", "min", (0, 1440)),
    "post_dose_first_reading_at_minutes": ("BP reading after dosing at", "min", (1, 1440)),
}


def _reference_defaults(route: Route) -> dict[str, tuple[int, Provenance]]:
    """The values the reference gives for ``route``; every setting absent here is required."""
    esk = route is Route.ESKETAMINE_NASAL
    predose = thresholds.PRE_TREATMENT_ESKETAMINE if esk else thresholds.PRE_TREATMENT_RACEMIC
    stop_note = thresholds.STOP_NOTE
    if esk:
        stop_note += "; given for IV racemic, applied to esketamine (the label gives no number)"
    stop = Provenance(("§2",), False, stop_note)
    values = {
        "predose_caution_systolic_mmhg": (thresholds.PRE_TREATMENT_SYSTOLIC_MMHG, predose),
        "predose_caution_diastolic_mmhg": (thresholds.PRE_TREATMENT_DIASTOLIC_MMHG, predose),
        "stop_systolic_mmhg": (thresholds.STOP_SYSTOLIC_MMHG, stop),
        "stop_diastolic_mmhg": (thresholds.STOP_DIASTOLIC_MMHG, stop),
        "stop_heart_rate_bpm": (thresholds.STOP_HEART_RATE_BPM, stop),
    }
    if route is Route.RACEMIC_IV:
        s94 = Provenance(("S94",), note="Emory practice: every 10 min during, every 15 min after")
        values["dosing_reading_interval_minutes"] = (10, s94)  # source: S94
        values["post_dose_reading_interval_minutes"] = (15, s94)  # source: S94
    if esk:
        fasting = Provenance(("S53", "S54"), note="no food 2 h, no liquids 30 min")
        values["fasting_food_minutes"] = (120, fasting)  # source: S53, S54
        values["fasting_liquid_minutes"] = (30, fasting)  # source: S53, S54
        values["minimum_observation_minutes"] = (  # source: S10, S11, S12
            120,
            Provenance(("S10", "S11", "S12"), note=">= 2 h, counted from the first device"),
        )
        values["post_dose_first_reading_at_minutes"] = (  # source: S13, S46
            40,
            Provenance(("S13", "S46"), note="BP ~40 min after dosing, then as warranted"),
        )
        # After the ~40-min reading BP is checked "as clinically warranted" (S13): the clinic
        # sets post_dose_reading_interval_minutes.
    return values


def default_protocol(route: Route | str) -> MonitoringProtocol:
    """The reference defaults for ``route``; required settings (value None) are still to be set.

    Pulse oximetry is monitored at each esketamine session (source: S13), but the reference
    gives no SpO2 or respiratory-rate threshold: those are required settings for every route.
    """
    route = Route(route)
    known = _reference_defaults(route)
    settings: dict[str, ConfigurableDefault[int] | None] = {}
    for key, (label, unit, (low, high)) in _SETTINGS.items():
        value, prov = known.get(key, (None, _REQUIRED))
        if key == "minimum_observation_minutes" and route is Route.ESKETAMINE_NASAL:
            low = 120  # source: S10, S11, S12 — never lowerable below 2 h (safe bound)
        elif key == "minimum_observation_minutes":
            label = "Minimum observation after end of dosing"
        settings[key] = ConfigurableDefault(key, label, value, unit, prov, low, high)
    if route is not Route.ESKETAMINE_NASAL:
        settings["post_dose_first_reading_at_minutes"] = None
    return MonitoringProtocol(route=route, **settings)  # type: ignore[arg-type]


# --- readings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalsReading:
    """One set of vital signs. Any value may be None: not measured at this reading.

    ``crisis_symptoms`` None means the nurse did not ask; an empty set means asked, none present.
    Construction refuses implausible values (ClinicalRuleError), e.g. SpO2 140 % or 90/120 mmHg.
    """

    taken_at: datetime
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    respiratory_rate_per_min: int | None = None
    moaas_level: int | None = None
    crisis_symptoms: frozenset[CrisisSymptom] | None = None

    def __post_init__(self) -> None:
        _require_aware("The reading time", self.taken_at)
        for name, (low, high) in PLAUSIBLE_RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise ClinicalRuleError(f"{name} must be a whole number, got {value!r}")
            if not low <= value <= high:
                raise ClinicalRuleError(
                    f"{_LABELS[name]} {value} is not a plausible value ({low}-{high}); "
                    "check the entry or the device"
                )
        if (self.systolic_mmhg is None) != (self.diastolic_mmhg is None):
            raise ClinicalRuleError("A blood pressure needs both systolic and diastolic values")
        sys_mmhg, dia_mmhg = self.systolic_mmhg, self.diastolic_mmhg
        if sys_mmhg is not None and dia_mmhg is not None and sys_mmhg <= dia_mmhg:
            raise ClinicalRuleError(
                f"BP {sys_mmhg}/{dia_mmhg} mmHg: the systolic must be above the diastolic; "
                "check the entry"
            )
        if self.crisis_symptoms is not None:
            try:
                symptoms = frozenset(CrisisSymptom(s) for s in self.crisis_symptoms)
            except ValueError as exc:
                raise ClinicalRuleError(f"Unknown crisis symptom: {exc}") from exc
            object.__setattr__(self, "crisis_symptoms", symptoms)

    @property
    def bp_text(self) -> str:
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg} mmHg"


_LABELS = {
    "systolic_mmhg": "Systolic BP",
    "diastolic_mmhg": "Diastolic BP",
    "heart_rate_bpm": "Heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate_per_min": "Respiratory rate",
    "moaas_level": "MOAA/S level",
}


@dataclass(frozen=True)
class VitalAlert:
    """One finding on one reading. ``message`` names the value and the limit it crossed."""

    code: str
    level: AlertLevel
    message: str
    recommended_action: str
    provenance: Provenance
    reading_taken_at: datetime
    phase: Phase


# --- checks: True within limits, False outside, None not measured or limit unset -------------

_Check = Callable[[VitalsReading, MonitoringProtocol], bool | None]


def _bp_within(r: VitalsReading, sys_limit: int | None, dia_limit: int | None) -> bool | None:
    if r.systolic_mmhg is None or r.diastolic_mmhg is None:
        return None
    if sys_limit is None or dia_limit is None:
        return None
    return r.systolic_mmhg <= sys_limit and r.diastolic_mmhg <= dia_limit  # strict "above"


def _at_most(value: int | None, limit: int | None) -> bool | None:
    return None if value is None or limit is None else value <= limit


def _at_least(value: int | None, limit: int | None) -> bool | None:
    return None if value is None or limit is None else value >= limit  # alert strictly below


def _bp_stop(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _bp_within(r, p.stop_systolic_mmhg.value, p.stop_diastolic_mmhg.value)


def _bp_predose(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _bp_within(
        r, p.predose_caution_systolic_mmhg.value, p.predose_caution_diastolic_mmhg.value
    )


def _hr_stop(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_most(r.heart_rate_bpm, p.stop_heart_rate_bpm.value)


def _hr_predose(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_most(r.heart_rate_bpm, p.predose_caution_heart_rate_bpm.value)


def _spo2(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_least(r.spo2_percent, p.spo2_alert_below_percent.value)


def _rr(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_least(r.respiratory_rate_per_min, p.respiratory_rate_alert_below_per_min.value)


def _moaas_flags(r: VitalsReading, p: MonitoringProtocol) -> dict[str, FlagReason]:
    """MOAA/S flags (sedation, loss_of_consciousness) from the one MOAA/S scorer, with reasons."""
    if r.moaas_level is None:
        return {}
    result = score("moaas", [r.moaas_level], settings=p.moaas_scoring)
    return {f.flag: f for f in result.flag_reasons}


def _not_sedated(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return None if r.moaas_level is None else "sedation" not in _moaas_flags(r, p)


def _conscious(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return None if r.moaas_level is None else "loss_of_consciousness" not in _moaas_flags(r, p)


def _no_crisis(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return None if r.crisis_symptoms is None else not r.crisis_symptoms


# Alert code -> the check that says whether a later reading is back within limits.
_WITHIN: dict[str, _Check] = {
    "hypertensive_crisis_symptoms": _no_crisis,
    "loss_of_consciousness": _conscious,
    "sedation": _not_sedated,
    "spo2_below_alert_threshold": _spo2,
    "spo2_threshold_not_configured": _spo2,
    "respiratory_rate_below_alert_threshold": _rr,
    "respiratory_rate_threshold_not_configured": _rr,
    "bp_above_predose_caution": _bp_predose,
    "heart_rate_above_predose_caution": _hr_predose,
    "heart_rate_predose_threshold_not_configured": _hr_predose,
    "bp_above_intra_session_threshold": _bp_stop,
    "heart_rate_above_intra_session_threshold": _hr_stop,
}


def _pause(route: Route, phase: Phase) -> str:
    if phase is Phase.DOSING:
        return "Slow or pause the infusion" if route is Route.RACEMIC_IV else "Give no further dose"
    return "Stay with the patient"


def evaluate_vitals(
    reading: VitalsReading,
    *,
    phase: Phase | str,
    baseline: VitalsReading | None,
    protocol: MonitoringProtocol,
) -> list[VitalAlert]:
    """Alerts for one reading, most urgent first; an empty list means nothing to act on.

    Pre-dose, BP and heart rate are held to the pre-dose caution; during and after dosing, to
    the stop/slow threshold. SpO2, respiratory rate, MOAA/S and crisis symptoms are checked in
    every phase. A measured value whose threshold the clinic has not set yields an
    ``UNCONFIGURED`` alert. ``baseline``, when given, is quoted in BP and heart-rate messages.
    """
    phase = Phase(phase)
    if baseline is not None and baseline.taken_at > reading.taken_at:
        raise ClinicalRuleError("The baseline reading is later than the reading being evaluated")
    alerts: list[VitalAlert] = []

    def add(code: str, level: AlertLevel, message: str, action: str, prov: Provenance) -> None:
        alerts.append(VitalAlert(code, level, message, action, prov, reading.taken_at, phase))

    def unconfigured(code: str, setting: ConfigurableDefault[int], value: str) -> None:
        add(
            code,
            AlertLevel.UNCONFIGURED,
            f"{value} was not checked: {setting.label} not configured for this clinic",
            f"Judge this value clinically; the medical director must set '{setting.label}'",
            setting.provenance,
        )

    def since_baseline(attr: str) -> str:
        if baseline is None or getattr(baseline, attr) is None:
            return ""
        if attr == "systolic_mmhg":
            return f" (baseline {baseline.bp_text})"
        return f" (baseline {getattr(baseline, attr)} bpm)"

    pause = _pause(protocol.route, phase)
    if _no_crisis(reading, protocol) is False:
        names = ", ".join(sorted(s.value.replace("_", " ") for s in reading.crisis_symptoms or ()))
        bp = f" with BP {reading.bp_text}" if reading.systolic_mmhg is not None else ""
        add(
            "hypertensive_crisis_symptoms",
            AlertLevel.CRITICAL,
            f"Possible hypertensive crisis: {names}{bp}",
            "Emergency: give no further dose, start the clinic's emergency protocol and "
            "call the prescriber",
            Provenance(("§3.3",), False, "hypertensive crisis symptoms [memory, verify]"),
        )
    moaas = _moaas_flags(reading, protocol)  # scored by instruments, never here
    if "loss_of_consciousness" in moaas:  # MOAA/S 0. source: S56
        add(
            "loss_of_consciousness",
            AlertLevel.CRITICAL,
            f"{moaas['loss_of_consciousness'].reason}: loss of consciousness",
            "Emergency: check airway and breathing, give no further dose, start the clinic's "
            "emergency protocol and call the prescriber",
            moaas["loss_of_consciousness"].provenance,
        )
    elif "sedation" in moaas:  # MOAA/S <= 3 by default. source: S74, S75 [memory, verify]
        add(
            "sedation",
            AlertLevel.WARNING,
            f"{moaas['sedation'].reason}: sedation",
            f"{pause}, watch breathing and SpO2, recheck the level of consciousness, and call "
            "the prescriber if it deepens",
            moaas["sedation"].provenance,
        )
    for value, setting, check, name, unit in (
        (reading.spo2_percent, protocol.spo2_alert_below_percent, _spo2, "spo2", "%"),
        (
            reading.respiratory_rate_per_min,
            protocol.respiratory_rate_alert_below_per_min,
            _rr,
            "respiratory_rate",
            " breaths/min",
        ),
    ):
        label = "SpO2" if name == "spo2" else "Respiratory rate"
        if value is None:
            continue
        if setting.value is None:
            unconfigured(f"{name}_threshold_not_configured", setting, f"{label} {value}{unit}")
        elif check(reading, protocol) is False:
            add(
                f"{name}_below_alert_threshold",
                AlertLevel.CRITICAL,
                f"{label} {value}{unit} is below {setting.value}{unit}",
                f"{pause}, check airway and breathing, recheck, and call the prescriber",
                setting.provenance,
            )

    if phase is Phase.PRE_DOSE:
        sys_s, dia_s = (
            protocol.predose_caution_systolic_mmhg,
            protocol.predose_caution_diastolic_mmhg,
        )
        if _bp_predose(reading, protocol) is False:
            add(
                "bp_above_predose_caution",
                AlertLevel.WARNING,
                f"BP {reading.bp_text} is above {sys_s.value}/{dia_s.value} mmHg before dosing"
                + since_baseline("systolic_mmhg"),
                "Recheck; the prescriber weighs the blood-pressure rise against the benefit "
                "and may delay the dose",
                sys_s.provenance,
            )
        hr_s = protocol.predose_caution_heart_rate_bpm
        if reading.heart_rate_bpm is not None and hr_s.value is None:
            unconfigured(
                "heart_rate_predose_threshold_not_configured",
                hr_s,
                f"Heart rate {reading.heart_rate_bpm} bpm",
            )
        elif _hr_predose(reading, protocol) is False:
            add(
                "heart_rate_above_predose_caution",
                AlertLevel.WARNING,
                f"Heart rate {reading.heart_rate_bpm} bpm is above {hr_s.value} bpm before dosing",
                "Recheck; the prescriber decides whether to dose",
                hr_s.provenance,
            )
    else:
        sys_s, dia_s = protocol.stop_systolic_mmhg, protocol.stop_diastolic_mmhg
        if _bp_stop(reading, protocol) is False:
            add(
                "bp_above_intra_session_threshold",
                AlertLevel.CRITICAL,
                f"BP {reading.bp_text} is above {sys_s.value}/{dia_s.value} mmHg"
                + since_baseline("systolic_mmhg"),
                f"{pause}, recheck the blood pressure, and call the prescriber",
                sys_s.provenance,  # source: §2 [memory, verify]
            )
        hr_s = protocol.stop_heart_rate_bpm
        if _hr_stop(reading, protocol) is False:
            add(
                "heart_rate_above_intra_session_threshold",
                AlertLevel.CRITICAL,
                f"Heart rate {reading.heart_rate_bpm} bpm is above {hr_s.value} bpm"
                + since_baseline("heart_rate_bpm"),
                f"{pause}, recheck the heart rate, and call the prescriber",
                hr_s.provenance,  # source: §2 [memory, verify]
            )
    order = list(AlertLevel)
    return sorted(alerts, key=lambda a: order.index(a.level))


def alert_resolved(
    alert: VitalAlert, later_reading: VitalsReading, protocol: MonitoringProtocol
) -> bool:
    """True when ``later_reading`` shows the alert's value back within its limit.

    A value not measured in the later reading does not resolve the alert, nor does an
    unconfigured threshold: an ``UNCONFIGURED`` alert resolves only once the clinic has set the
    threshold and the value lies within it. Crisis symptoms resolve only when the later reading
    records that the nurse asked and none are present.
    """
    if later_reading.taken_at <= alert.reading_taken_at:
        raise ClinicalRuleError("An alert can only be resolved by a reading taken after it")
    check = _WITHIN.get(alert.code)
    if check is None:
        raise ClinicalRuleError(f"Unknown alert code {alert.code!r}")
    return check(later_reading, protocol) is True


# --- schedule ---------------------------------------------------------------------------------


def next_reading_due(
    *,
    phase: Phase | str,
    last_reading_at: datetime | None,
    phase_started_at: datetime,
    protocol: MonitoringProtocol,
) -> datetime | None:
    """When the next reading is due in ``phase``; None when the phase schedules no more.

    - Pre-dose: one reading before dosing, due when the phase starts; None once taken.
      source: S13 (esketamine BP before dosing); §2 baseline vitals [memory, verify].
    - Dosing: every ``dosing_reading_interval_minutes`` from the later of phase start and last
      reading. source: S94 (IV, 10 min); other routes: clinic setting.
    - After dosing: esketamine first at ``post_dose_first_reading_at_minutes`` (~40 min,
      source: S13, S46) after the phase starts — a reading taken earlier does not count —, then
      every ``post_dose_reading_interval_minutes`` ("as clinically warranted": clinic setting).
      Other routes: every ``post_dose_reading_interval_minutes`` (IV 15 min, source: S94).

    Raises ClinicalRuleError when the interval this needs is not configured.
    """
    phase = Phase(phase)
    _require_aware("The phase start", phase_started_at)
    if last_reading_at is not None:
        _require_aware("The last reading time", last_reading_at)
    in_phase = last_reading_at if last_reading_at and last_reading_at >= phase_started_at else None

    if phase is Phase.PRE_DOSE:
        return None if in_phase else phase_started_at
    if phase is Phase.DOSING:
        interval = protocol.dosing_reading_interval_minutes.resolve()
        return (in_phase or phase_started_at) + timedelta(minutes=interval)
    first = protocol.post_dose_first_reading_at_minutes
    if first is not None:
        first_due = phase_started_at + timedelta(minutes=first.resolve())
        if in_phase is None or in_phase < first_due:
            return first_due
    interval = protocol.post_dose_reading_interval_minutes.resolve()
    return (in_phase or phase_started_at) + timedelta(minutes=interval)


def is_overdue(
    *,
    phase: Phase | str,
    last_reading_at: datetime | None,
    phase_started_at: datetime,
    protocol: MonitoringProtocol,
    now: datetime,
) -> bool:
    """True when ``now`` is past the due time (strictly; no grace period in the reference)."""
    _require_aware("'now'", now)
    if last_reading_at is not None and last_reading_at > now:
        raise ClinicalRuleError("The last reading is later than 'now'")
    due = next_reading_due(
        phase=phase,
        last_reading_at=last_reading_at,
        phase_started_at=phase_started_at,
        protocol=protocol,
    )
    return due is not None and now > due


# --- discharge --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DischargeFacts:
    """What the nurse documents before discharge. Answers accept Answer, bool, None or a string.

    ``first_dose_at`` is the first device (esketamine) or the start of dosing; ``dosing_ended_at``
    the end of the infusion or the last device. ``latest`` is the most recent post-dose reading.
    """

    assessed_at: datetime
    first_dose_at: datetime | None
    dosing_ended_at: datetime | None
    baseline: VitalsReading | None
    latest: VitalsReading | None
    mental_status_at_baseline: Answer = Answer.UNKNOWN  # alert and oriented as before dosing
    walking_steadily: Answer = Answer.UNKNOWN
    nausea_controlled: Answer = Answer.UNKNOWN
    escort_present: Answer = Answer.UNKNOWN
    sedation_resolved: Answer = Answer.UNKNOWN  # YES also when it never occurred
    dissociation_resolved: Answer = Answer.UNKNOWN
    respiratory_depression_resolved: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        _require_aware("The assessment time", self.assessed_at)
        for name in ("first_dose_at", "dosing_ended_at"):
            value = getattr(self, name)
            if value is not None:
                _require_aware(name, value)
                if value > self.assessed_at:
                    raise ClinicalRuleError(f"{name} is later than the discharge assessment")
        for r in (self.baseline, self.latest):
            if r is not None and r.taken_at > self.assessed_at:
                raise ClinicalRuleError("A reading is later than the discharge assessment")
        for f in fields(self):
            if f.type == "Answer":
                try:
                    object.__setattr__(self, f.name, Answer.parse(getattr(self, f.name)))
                except ValueError as exc:
                    raise ClinicalRuleError(f"{f.name}: {exc}") from exc


@dataclass(frozen=True)
class Criterion:
    """One discharge criterion. ``met`` None: not documented or not decidable; counts as unmet."""

    id: str
    met: bool | None
    reason: str
    provenance: Provenance


@dataclass(frozen=True)
class DischargeAssessment:
    """``all_met`` True lets the clinician assess readiness to leave; it does not discharge."""

    criteria: tuple[Criterion, ...]
    all_met: bool

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.met is not True)


_ANSWER_CRITERIA: tuple[tuple[str, str, Provenance], ...] = (
    (
        "mental_status_at_baseline",
        "alert and oriented, mental status back to baseline",
        Provenance(("§2",), False, "APA discharge: mental status at baseline [memory, verify]"),
    ),
    (
        "walking_steadily",
        "walking steadily",
        Provenance(("project issue",), False, "clinic practice named in the issue"),
    ),
    (
        "nausea_controlled",
        "nausea controlled",
        Provenance(("project issue",), False, "clinic practice named in the issue"),
    ),
    (
        "escort_present",
        "responsible adult escort present",
        # source: S99 (released accompanied by a responsible adult); S10, S11 (no driving)
        Provenance(("S99", "S10", "S11"), note="§2 APA wording [memory, verify]"),
    ),
    (
        "sedation_resolved",
        "sedation resolved",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
    (
        "dissociation_resolved",
        "dissociation resolved",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
    (
        "respiratory_depression_resolved",
        "respiratory depression resolved or absent",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
)


def _answer_criterion(cid: str, text: str, prov: Provenance, answer: Answer) -> Criterion:
    if answer is Answer.YES:
        return Criterion(cid, True, f"{text[0].upper()}{text[1:]}", prov)
    if answer is Answer.NO:
        return Criterion(cid, False, f"Not yet: {text}", prov)
    return Criterion(cid, None, f"Not documented: {text}", prov)


def _vitals_criterion(facts: DischargeFacts, protocol: MonitoringProtocol) -> Criterion:
    prov = Provenance(("S94", "S95"), note="BP/HR returned to baseline after dosing")
    bp_m = protocol.discharge_bp_margin_mmhg.value
    hr_m = protocol.discharge_heart_rate_margin_bpm.value
    base, last = facts.baseline, facts.latest
    cid = "vitals_near_baseline"
    if bp_m is None or hr_m is None:
        return Criterion(cid, None, "Near-baseline margin not configured for this clinic", prov)
    if base is None or last is None:
        return Criterion(cid, None, "Not documented: baseline and post-dose vitals", prov)
    if facts.dosing_ended_at is None or last.taken_at < facts.dosing_ended_at:
        return Criterion(cid, None, "Not documented: a reading taken after dosing ended", prov)
    needed = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm")
    if any(getattr(r, a) is None for r in (base, last) for a in needed):
        return Criterion(cid, None, "Not documented: BP and heart rate at baseline and now", prov)
    gaps = [
        f"{_LABELS[a]} {getattr(last, a)} vs baseline {getattr(base, a)}"
        for a, margin in zip(needed, (bp_m, bp_m, hr_m), strict=True)
        if abs(getattr(last, a) - getattr(base, a)) > margin
    ]
    if gaps:
        return Criterion(cid, False, "Not near baseline: " + "; ".join(gaps), prov)
    open_alerts = [
        a for a in evaluate_vitals(last, phase=Phase.POST_DOSE, baseline=base, protocol=protocol)
    ]
    if open_alerts:
        return Criterion(cid, False, "Latest reading: " + open_alerts[0].message, prov)
    return Criterion(cid, True, f"Vitals within {bp_m} mmHg / {hr_m} bpm of baseline", prov)


def _observation_criterion(facts: DischargeFacts, protocol: MonitoringProtocol) -> Criterion:
    setting = protocol.minimum_observation_minutes
    cid = "minimum_observation_elapsed"
    esk = protocol.route is Route.ESKETAMINE_NASAL
    # Esketamine: counted from the first device, as the REMS form does (source: S12, S15).
    # Other routes: from the end of dosing (post-infusion monitoring, source: S94) — project choice.
    start, start_text = (
        (facts.first_dose_at, "the first device")
        if esk
        else (facts.dosing_ended_at, "end of dosing")
    )
    if setting.value is None:
        return Criterion(
            cid, None, "Minimum observation time not configured for this clinic", setting.provenance
        )
    if start is None:
        return Criterion(cid, None, f"Not documented: time of {start_text}", setting.provenance)
    elapsed = (facts.assessed_at - start) / timedelta(minutes=1)
    met = elapsed >= setting.value
    # whole minutes, rounded down, so the text never shows a minimum as reached before it is
    text = f"{int(elapsed)} min observed since {start_text} (minimum {setting.value} min)"
    return Criterion(cid, met, text if met else "Not yet: " + text, setting.provenance)


def discharge_check(facts: DischargeFacts, protocol: MonitoringProtocol) -> DischargeAssessment:
    """Every discharge criterion with its reason; ``all_met`` only when each is documented met.

    Meeting all criteria allows the clinician's assessment of readiness to leave (source: S10,
    S11: "then clinician decides"); it never discharges on its own.
    """
    criteria = [
        _vitals_criterion(facts, protocol),
        _observation_criterion(facts, protocol),
        *(
            _answer_criterion(cid, text, prov, getattr(facts, cid))
            for cid, text, prov in _ANSWER_CRITERIA
        ),
    ]
    return DischargeAssessment(tuple(criteria), all(c.met is True for c in criteria))
