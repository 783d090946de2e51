"""Vital-sign alerts, driven by one table: ``VITAL_RULES``.

Each ``VitalRule`` names its alert code, the phases it applies in, its level, the check that says
whether a reading is within limits, the message and action a nurse sees, and the protocol settings
it compares with. ``evaluate_vitals`` (does a reading raise the alert?) and ``alert_resolved``
(is a later reading back within limits?) both read the same row, so they cannot disagree.

Project readings of the reference (shared/clinical-reference.md), each pinned by a test:

- "Above 180/100 mmHg" and "above 140/90 mmHg" are strict: an alert fires when the systolic is
  greater than the systolic limit **or** the diastolic is greater than the diastolic limit.
  Exactly 180/100 raises no alert; 181/100 and 180/101 do. Heart rate "> 110 bpm" is strict too.
- SpO2 and respiratory-rate alerts fire strictly *below* the clinic's threshold.
- A measured value whose threshold the clinic has not set is never skipped silently: it yields an
  alert of level ``UNCONFIGURED`` (the row's ``unconfigured_code``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance, Route
from ketacare.clinical.instruments import FlagReason, score
from ketacare.clinical.monitoring.protocol import MonitoringProtocol
from ketacare.clinical.monitoring.readings import Phase, VitalsReading


class AlertLevel(StrEnum):
    CRITICAL = "critical"  # act now: pause dosing, call the prescriber or emergency care
    WARNING = "warning"  # needs a clinician's decision
    UNCONFIGURED = "unconfigured"  # a value could not be judged: the clinic has not set the rule


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


def moaas_flags(reading: VitalsReading, protocol: MonitoringProtocol) -> dict[str, FlagReason]:
    """MOAA/S flags (sedation, loss_of_consciousness) from the one MOAA/S scorer, with reasons."""
    if reading.moaas_level is None:
        return {}
    result = score("moaas", [reading.moaas_level], settings=protocol.moaas_scoring)
    return {f.flag: f for f in result.flag_reasons}


@dataclass(frozen=True)
class Observed:
    """One reading as the rules' messages see it: where in the session, and against what."""

    reading: VitalsReading
    phase: Phase
    baseline: VitalsReading | None
    protocol: MonitoringProtocol
    flags: Mapping[str, FlagReason]

    @property
    def pause(self) -> str:
        """What stops more drug going in during this phase, in the action's words."""
        if self.phase is Phase.DOSING:
            iv = self.protocol.route is Route.RACEMIC_IV
            return "Slow or pause the infusion" if iv else "Give no further dose"
        return "Stay with the patient"

    def limit(self, key: str) -> int | None:
        return getattr(self.protocol, key).value

    def since_baseline(self, attr: str) -> str:
        baseline = self.baseline
        if baseline is None or getattr(baseline, attr) is None:
            return ""
        if attr == "systolic_mmhg":
            return f" (baseline {baseline.bp_text})"
        return f" (baseline {getattr(baseline, attr)} bpm)"


# --- checks: True within limits, False outside, None not measured or limit unset -------------

Check = Callable[[VitalsReading, MonitoringProtocol], bool | None]


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


def _no_crisis(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return None if r.crisis_symptoms is None else not r.crisis_symptoms


def _without_flag(flag: str) -> Check:
    def check(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
        return None if r.moaas_level is None else flag not in moaas_flags(r, p)

    return check


def _bp(systolic: str, diastolic: str) -> Check:
    def check(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
        return _bp_within(r, getattr(p, systolic).value, getattr(p, diastolic).value)

    return check


def _heart_rate_at_most(setting: str) -> Check:
    def check(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
        return _at_most(r.heart_rate_bpm, getattr(p, setting).value)

    return check


def _spo2(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_least(r.spo2_percent, p.spo2_alert_below_percent.value)


def _rr(r: VitalsReading, p: MonitoringProtocol) -> bool | None:
    return _at_least(r.respiratory_rate_per_min, p.respiratory_rate_alert_below_per_min.value)


# --- the values in words, for messages ------------------------------------------------------


def _bp_text(r: VitalsReading) -> str | None:
    return None if r.systolic_mmhg is None else f"BP {r.bp_text}"


def _hr_text(r: VitalsReading) -> str | None:
    return None if r.heart_rate_bpm is None else f"Heart rate {r.heart_rate_bpm} bpm"


def _spo2_text(r: VitalsReading) -> str | None:
    return None if r.spo2_percent is None else f"SpO2 {r.spo2_percent}%"


def _rr_text(r: VitalsReading) -> str | None:
    value = r.respiratory_rate_per_min
    return None if value is None else f"Respiratory rate {value} breaths/min"


def _crisis_message(o: Observed) -> str:
    names = ", ".join(sorted(s.value.replace("_", " ") for s in o.reading.crisis_symptoms or ()))
    bp = f" with BP {o.reading.bp_text}" if o.reading.systolic_mmhg is not None else ""
    return f"Possible hypertensive crisis: {names}{bp}"


def _not_measured(r: VitalsReading) -> str | None:
    return None


@dataclass(frozen=True)
class VitalRule:
    """One alert: when it applies, how urgent it is, what it checks and what the nurse reads.

    ``check`` says True (within limits), False (alert) or None (not measured, or a limit unset).
    ``settings`` are the protocol settings it compares with; the first one's provenance is cited.
    A rule on no setting cites ``provenance``, or the MOAA/S ``flag``'s reason and source.
    ``action`` may name ``{pause}``: what stops more drug going in during the phase. ``unless``
    is another rule's code that, when it fires on the same reading, speaks instead.
    ``unconfigured_code``: the alert when a value is measured (``measured``) but a setting unset.
    """

    code: str
    phases: frozenset[Phase]
    level: AlertLevel
    check: Check
    message: Callable[[Observed], str]
    action: str
    settings: tuple[str, ...] = ()
    provenance: Provenance | None = None
    flag: str = ""
    unless: str = ""
    unconfigured_code: str = ""
    measured: Callable[[VitalsReading], str | None] = _not_measured

    def __post_init__(self) -> None:
        if bool(self.settings) == bool(self.provenance or self.flag):
            raise ValueError(f"{self.code}: cite either settings, or a provenance or flag")
        if self.settings and not self.unconfigured_code:
            raise ValueError(f"{self.code}: a rule on settings needs an unconfigured_code")

    def cited(self, o: Observed) -> Provenance:
        if self.settings:
            setting: ConfigurableDefault[int] = getattr(o.protocol, self.settings[0])
            return setting.provenance
        if self.flag:
            return o.flags[self.flag].provenance
        assert self.provenance is not None
        return self.provenance


EVERY_PHASE = frozenset(Phase)
PRE_DOSE = frozenset({Phase.PRE_DOSE})
DURING_AND_AFTER = frozenset({Phase.DOSING, Phase.POST_DOSE})

# In the order a nurse reads them within a level; evaluate_vitals sorts by level, most urgent first.
VITAL_RULES: tuple[VitalRule, ...] = (
    VitalRule(
        code="hypertensive_crisis_symptoms",
        phases=EVERY_PHASE,
        level=AlertLevel.CRITICAL,
        check=_no_crisis,
        message=_crisis_message,
        action="Emergency: give no further dose, start the clinic's emergency protocol and call "
        "the prescriber",
        # source: §3.3 [memory, verify]
        provenance=Provenance(("§3.3",), False, "hypertensive crisis symptoms [memory, verify]"),
    ),
    VitalRule(  # MOAA/S 0, flagged by instruments.score("moaas"). source: S56
        code="loss_of_consciousness",
        phases=EVERY_PHASE,
        level=AlertLevel.CRITICAL,
        check=_without_flag("loss_of_consciousness"),
        message=lambda o: f"{o.flags['loss_of_consciousness'].reason}: loss of consciousness",
        action="Emergency: check airway and breathing, give no further dose, start the clinic's "
        "emergency protocol and call the prescriber",
        flag="loss_of_consciousness",
    ),
    VitalRule(  # MOAA/S <= 3 by default, flagged by instruments. source: S74, S75 [memory, verify]
        code="sedation",
        phases=EVERY_PHASE,
        level=AlertLevel.WARNING,
        check=_without_flag("sedation"),
        message=lambda o: f"{o.flags['sedation'].reason}: sedation",
        action="{pause}, watch breathing and SpO2, recheck the level of consciousness, and call "
        "the prescriber if it deepens",
        flag="sedation",
        unless="loss_of_consciousness",
    ),
    VitalRule(  # threshold: clinic setting (the reference gives none)
        code="spo2_below_alert_threshold",
        phases=EVERY_PHASE,
        level=AlertLevel.CRITICAL,
        check=_spo2,
        message=lambda o: (
            f"{_spo2_text(o.reading)} is below {o.limit('spo2_alert_below_percent')}%"
        ),
        action="{pause}, check airway and breathing, recheck, and call the prescriber",
        settings=("spo2_alert_below_percent",),
        unconfigured_code="spo2_threshold_not_configured",
        measured=_spo2_text,
    ),
    VitalRule(  # threshold: clinic setting (the reference gives none)
        code="respiratory_rate_below_alert_threshold",
        phases=EVERY_PHASE,
        level=AlertLevel.CRITICAL,
        check=_rr,
        message=lambda o: (
            f"{_rr_text(o.reading)} is below "
            f"{o.limit('respiratory_rate_alert_below_per_min')} breaths/min"
        ),
        action="{pause}, check airway and breathing, recheck, and call the prescriber",
        settings=("respiratory_rate_alert_below_per_min",),
        unconfigured_code="respiratory_rate_threshold_not_configured",
        measured=_rr_text,
    ),
    VitalRule(  # source: S14 (esketamine), §2 (racemic) [memory, verify]
        code="bp_above_predose_caution",
        phases=PRE_DOSE,
        level=AlertLevel.WARNING,
        check=_bp("predose_caution_systolic_mmhg", "predose_caution_diastolic_mmhg"),
        message=lambda o: (
            f"BP {o.reading.bp_text} is above {o.limit('predose_caution_systolic_mmhg')}/"
            f"{o.limit('predose_caution_diastolic_mmhg')} mmHg before dosing"
            + o.since_baseline("systolic_mmhg")
        ),
        action="Recheck; the prescriber weighs the blood-pressure rise against the benefit and "
        "may delay the dose",
        settings=("predose_caution_systolic_mmhg", "predose_caution_diastolic_mmhg"),
        unconfigured_code="bp_predose_threshold_not_configured",
        measured=_bp_text,
    ),
    VitalRule(  # threshold: clinic setting (the reference gives none)
        code="heart_rate_above_predose_caution",
        phases=PRE_DOSE,
        level=AlertLevel.WARNING,
        check=_heart_rate_at_most("predose_caution_heart_rate_bpm"),
        message=lambda o: (
            f"{_hr_text(o.reading)} is above {o.limit('predose_caution_heart_rate_bpm')} bpm "
            "before dosing"
        ),
        action="Recheck; the prescriber decides whether to dose",
        settings=("predose_caution_heart_rate_bpm",),
        unconfigured_code="heart_rate_predose_threshold_not_configured",
        measured=_hr_text,
    ),
    VitalRule(  # source: §2 [memory, verify]
        code="bp_above_intra_session_threshold",
        phases=DURING_AND_AFTER,
        level=AlertLevel.CRITICAL,
        check=_bp("stop_systolic_mmhg", "stop_diastolic_mmhg"),
        message=lambda o: (
            f"BP {o.reading.bp_text} is above {o.limit('stop_systolic_mmhg')}/"
            f"{o.limit('stop_diastolic_mmhg')} mmHg" + o.since_baseline("systolic_mmhg")
        ),
        action="{pause}, recheck the blood pressure, and call the prescriber",
        settings=("stop_systolic_mmhg", "stop_diastolic_mmhg"),
        unconfigured_code="bp_intra_session_threshold_not_configured",
        measured=_bp_text,
    ),
    VitalRule(  # source: §2 [memory, verify]
        code="heart_rate_above_intra_session_threshold",
        phases=DURING_AND_AFTER,
        level=AlertLevel.CRITICAL,
        check=_heart_rate_at_most("stop_heart_rate_bpm"),
        message=lambda o: (
            f"{_hr_text(o.reading)} is above {o.limit('stop_heart_rate_bpm')} bpm"
            + o.since_baseline("heart_rate_bpm")
        ),
        action="{pause}, recheck the heart rate, and call the prescriber",
        settings=("stop_heart_rate_bpm",),
        unconfigured_code="heart_rate_intra_session_threshold_not_configured",
        measured=_hr_text,
    ),
)

# Every alert code -> the row that raises it (an unconfigured code -> its row too).
RULES_BY_CODE: Mapping[str, VitalRule] = MappingProxyType(
    {
        **{rule.code: rule for rule in VITAL_RULES},
        **{rule.unconfigured_code: rule for rule in VITAL_RULES if rule.unconfigured_code},
    }
)
assert len(RULES_BY_CODE) == len(VITAL_RULES) + sum(
    1 for rule in VITAL_RULES if rule.unconfigured_code
), "duplicate alert code"


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
    observed = Observed(reading, phase, baseline, protocol, moaas_flags(reading, protocol))
    alerts: list[VitalAlert] = []
    for rule in VITAL_RULES:
        if phase not in rule.phases or any(a.code == rule.unless for a in alerts):
            continue
        unset = [s for s in (getattr(protocol, k) for k in rule.settings) if s.value is None]
        if unset:
            value = rule.measured(reading)
            if value is not None:
                alerts.append(_unconfigured(rule.unconfigured_code, unset[0], value, observed))
        elif rule.check(reading, protocol) is False:
            action = rule.action.format(pause=observed.pause)
            alerts.append(
                VitalAlert(
                    rule.code,
                    rule.level,
                    rule.message(observed),
                    action,
                    rule.cited(observed),
                    reading.taken_at,
                    phase,
                )
            )
    order = list(AlertLevel)
    return sorted(alerts, key=lambda a: order.index(a.level))


def _unconfigured(
    code: str, setting: ConfigurableDefault[int], value: str, o: Observed
) -> VitalAlert:
    return VitalAlert(
        code,
        AlertLevel.UNCONFIGURED,
        f"{value} was not checked: {setting.label} not configured for this clinic",
        f"Judge this value clinically; the medical director must set '{setting.label}'",
        setting.provenance,
        o.reading.taken_at,
        o.phase,
    )


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
    rule = RULES_BY_CODE.get(alert.code)
    if rule is None:
        raise ClinicalRuleError(f"Unknown alert code {alert.code!r}")
    return rule.check(later_reading, protocol) is True
