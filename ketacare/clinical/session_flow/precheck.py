"""The pre-check gate before dosing: every failed check with its reason and source; any failure
blocks dosing until a prescriber overrides it (where it may be overridden)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ketacare.clinical.common import (
    ISSUE_PRACTICE,
    Answer,
    ClinicalRuleError,
    Provenance,
    parse_answers,
    require_aware,
    require_not_after,
)
from ketacare.clinical.monitoring import (
    AlertLevel,
    MonitoringProtocol,
    Phase,
    Route,
    VitalsReading,
    evaluate_vitals,
)

OVERRIDE_ROLES = frozenset(
    {"prescriber", "medical_director"}
)  # mirrors core.roles SESSION_OVERRIDE


@dataclass(frozen=True)
class PrecheckFacts:
    """What the nurse documents before dosing. Answers accept Answer, bool, None or a string.

    Fasting is measured to ``checked_at``; ``vitals`` is the pre-dose reading (BP, HR, SpO2).
    ``could_be_pregnant`` NO skips the pregnancy check; YES or UNKNOWN requires ``pregnant``.
    """

    checked_at: datetime
    identity_confirmed: Answer = Answer.UNKNOWN
    last_food_at: datetime | None = None
    last_liquid_at: datetime | None = None
    vitals: VitalsReading | None = None
    could_be_pregnant: Answer = Answer.UNKNOWN
    pregnant: Answer = Answer.UNKNOWN
    new_medications_since_last_visit: Answer = Answer.UNKNOWN
    substance_use_since_last_visit: Answer = Answer.UNKNOWN
    phq9_completed: Answer = Answer.UNKNOWN
    cssrs_completed: Answer = Answer.UNKNOWN
    escort_confirmed: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        require_aware("The pre-check time", self.checked_at)
        require_not_after(self, ("last_food_at", "last_liquid_at"), self.checked_at, "pre-check")
        parse_answers(self)


@dataclass(frozen=True)
class CheckFailure:
    """One failed pre-check. ``overridable`` False: a prescriber cannot waive it."""

    id: str
    reason: str
    provenance: Provenance
    overridable: bool = True


@dataclass(frozen=True)
class GateOverride:
    by_role: str
    reason: str


@dataclass(frozen=True)
class GateResult:
    """``passed`` says what the checks found; ``dosing_allowed`` also counts an override."""

    passed: bool
    failures: tuple[CheckFailure, ...]
    override: GateOverride | None = None

    @property
    def dosing_allowed(self) -> bool:
        return self.passed or self.override is not None


def _answer_check(
    out: list[CheckFailure], cid: str, answer: Answer, text: str, prov: Provenance
) -> None:
    if answer is Answer.UNKNOWN:
        out.append(CheckFailure(cid, f"Not documented: {text}", prov))
    elif answer is Answer.NO:
        out.append(CheckFailure(cid, f"Not done: {text}", prov))


def _fasting_check(
    out: list[CheckFailure], facts: PrecheckFacts, protocol: MonitoringProtocol
) -> None:
    for cid, last, setting, what in (
        ("fasting_food", facts.last_food_at, protocol.fasting_food_minutes, "food"),
        ("fasting_liquid", facts.last_liquid_at, protocol.fasting_liquid_minutes, "liquids"),
    ):
        if setting.value is None:
            out.append(
                CheckFailure(
                    cid,
                    f"{setting.label}: not configured for this clinic's {protocol.route} protocol",
                    setting.provenance,
                    overridable=False,
                )
            )
        elif last is None:
            out.append(
                CheckFailure(cid, f"Not documented: time of last {what}", setting.provenance)
            )
        else:
            minutes = (facts.checked_at - last) / timedelta(minutes=1)
            if minutes < setting.value:  # "no food for 2 h": exactly 120 min passes
                out.append(
                    CheckFailure(
                        cid,
                        f"Last {what} {int(minutes)} min ago; {setting.value} min required",
                        setting.provenance,  # source: S53, S54 (esketamine)
                    )
                )


def _vitals_check(
    out: list[CheckFailure], facts: PrecheckFacts, protocol: MonitoringProtocol
) -> None:
    if protocol.route is Route.ESKETAMINE_NASAL:  # BP before dosing; pulse oximetry each session
        prov = Provenance(("S13",))
    else:
        prov = Provenance(("§2",), False, "APA: baseline BP, HR, SpO2 [memory, verify]")
    reading = facts.vitals
    if reading is None:
        out.append(CheckFailure("predose_vitals", "Not documented: pre-dose vital signs", prov))
        return
    for attr, label in (
        ("systolic_mmhg", "blood pressure"),
        ("heart_rate_bpm", "heart rate"),
        ("spo2_percent", "SpO2"),
    ):
        if getattr(reading, attr) is None:
            out.append(
                CheckFailure(f"predose_{attr}", f"Not measured before dosing: {label}", prov)
            )
    for alert in evaluate_vitals(reading, phase=Phase.PRE_DOSE, baseline=None, protocol=protocol):
        out.append(
            CheckFailure(
                f"vitals:{alert.code}",
                alert.message,
                alert.provenance,
                overridable=alert.level is not AlertLevel.UNCONFIGURED,
            )
        )


def _pregnancy_check(out: list[CheckFailure], facts: PrecheckFacts) -> None:
    # source: S14, S57 (esketamine embryo-fetal toxicity); §2 pregnancy a relative
    # contraindication [memory, verify]
    prov = Provenance(("S14", "S57", "§2"), False, "S14 weak; §2 [memory, verify]")
    if facts.could_be_pregnant is Answer.NO:
        return
    if facts.pregnant is Answer.YES:
        out.append(CheckFailure("pregnancy", "Pregnant: prescriber review before dosing", prov))
    elif facts.pregnant is Answer.UNKNOWN:
        out.append(
            CheckFailure(
                "pregnancy",
                "Not documented: pregnancy status of a patient who could be pregnant",
                prov,
            )
        )


def precheck_gate(facts: PrecheckFacts, protocol: MonitoringProtocol) -> GateResult:
    """Every failed pre-check with its reason. Any failure blocks dosing until overridden.

    Unknown answers fail ("not documented"); a YES to new medication or substance use fails
    pending the prescriber's review; a missing protocol setting fails and cannot be overridden.
    """
    out: list[CheckFailure] = []
    if facts.identity_confirmed is not Answer.YES:  # never waived: confirm identity instead
        out.append(
            CheckFailure(
                "identity", "Patient identity not confirmed", ISSUE_PRACTICE, overridable=False
            )
        )
    _fasting_check(out, facts, protocol)
    _vitals_check(out, facts, protocol)
    _pregnancy_check(out, facts)
    for cid, answer, text in (
        ("new_medications", facts.new_medications_since_last_visit, "new medications"),
        ("substance_use", facts.substance_use_since_last_visit, "substance use"),
    ):
        if answer is Answer.YES:
            out.append(
                CheckFailure(
                    cid, f"Reported {text} since the last visit: prescriber review", ISSUE_PRACTICE
                )
            )
        elif answer is Answer.UNKNOWN:
            out.append(
                CheckFailure(cid, f"Not documented: {text} since the last visit", ISSUE_PRACTICE)
            )
    _answer_check(out, "phq9", facts.phq9_completed, "pre-session PHQ-9", ISSUE_PRACTICE)
    # source: S20 (PHQ-9 item 9 positive -> C-SSRS the same day); per session: issue
    _answer_check(out, "cssrs", facts.cssrs_completed, "pre-session C-SSRS", ISSUE_PRACTICE)
    escort = Provenance(("S99", "S10", "S11"), note="responsible adult; no driving until next day")
    _answer_check(out, "escort", facts.escort_confirmed, "escort confirmed", escort)
    return GateResult(passed=not out, failures=tuple(out))


def override(gate_result: GateResult, by_role: str, reason: str) -> GateResult:
    """The gate result with a prescriber's documented override; refuses anyone else.

    Refused: a passed gate (nothing to override), a role other than prescriber or medical
    director, a blank reason, or a failure marked not overridable.
    """
    if gate_result.passed:
        raise ClinicalRuleError("The pre-checks passed: there is nothing to override")
    if by_role not in OVERRIDE_ROLES:
        raise ClinicalRuleError(
            f"Only a prescriber can override failed pre-checks; a {by_role.replace('_', ' ')} "
            "cannot"
        )
    if not reason or not reason.strip():
        raise ClinicalRuleError("An override needs a documented reason")
    blocking = [f.reason for f in gate_result.failures if not f.overridable]
    if blocking:
        raise ClinicalRuleError("These pre-checks cannot be overridden: " + "; ".join(blocking))
    return GateResult(False, gate_result.failures, GateOverride(by_role, reason.strip()))
