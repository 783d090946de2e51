"""The treatment session: lifecycle, pre-check gate, administration arithmetic, side effects.

Pure Python: times are aware datetimes passed in. Instruments (CADSS-6, MOAA/S) are scored in
``ketacare.clinical.instruments``, never here; vital-sign rules live in ``monitoring``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from ketacare.clinical.common import Answer, ClinicalRuleError, Provenance
from ketacare.clinical.monitoring import (
    AlertLevel,
    MonitoringProtocol,
    Phase,
    Route,
    VitalsReading,
    evaluate_vitals,
)

# --- lifecycle --------------------------------------------------------------------------------


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    PRECHECKS_PASSED = "prechecks_passed"
    DOSING = "dosing"
    RECOVERY = "recovery"
    DISCHARGED = "discharged"
    SIGNED = "signed"  # by the nurse
    COSIGNED = "cosigned"  # by the prescriber
    CANCELLED = "cancelled"  # before any drug was given
    ABORTED = "aborted"  # after dosing started


class SessionEvent(StrEnum):
    CHECK_IN = "check_in"
    PASS_PRECHECKS = "pass_prechecks"
    START_DOSING = "start_dosing"
    END_DOSING = "end_dosing"
    DISCHARGE = "discharge"
    SIGN = "sign"
    COSIGN = "cosign"
    CANCEL = "cancel"
    ABORT = "abort"


_S, _E = SessionState, SessionEvent
_FORWARD: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.SCHEDULED, _E.CHECK_IN): _S.CHECKED_IN,
    (_S.CHECKED_IN, _E.PASS_PRECHECKS): _S.PRECHECKS_PASSED,
    (_S.PRECHECKS_PASSED, _E.START_DOSING): _S.DOSING,
    (_S.DOSING, _E.END_DOSING): _S.RECOVERY,
    (_S.RECOVERY, _E.DISCHARGE): _S.DISCHARGED,
    (_S.DISCHARGED, _E.SIGN): _S.SIGNED,
    (_S.SIGNED, _E.COSIGN): _S.COSIGNED,
}
CANCELLABLE_STATES = frozenset({_S.SCHEDULED, _S.CHECKED_IN, _S.PRECHECKS_PASSED})
ABORTABLE_STATES = frozenset({_S.DOSING, _S.RECOVERY})
TERMINAL_STATES = frozenset({_S.COSIGNED, _S.CANCELLED, _S.ABORTED})

_STATE_TEXT = {
    _S.SCHEDULED: "scheduled",
    _S.CHECKED_IN: "checked in",
    _S.PRECHECKS_PASSED: "cleared by its pre-checks",
    _S.DOSING: "in dosing",
    _S.RECOVERY: "in recovery",
    _S.DISCHARGED: "discharged",
    _S.SIGNED: "signed by the nurse",
    _S.COSIGNED: "co-signed by the prescriber",
    _S.CANCELLED: "cancelled",
    _S.ABORTED: "aborted",
}
_EVENT_TEXT = {
    _E.CHECK_IN: "check in",
    _E.PASS_PRECHECKS: "clear the pre-checks",
    _E.START_DOSING: "start dosing",
    _E.END_DOSING: "end dosing",
    _E.DISCHARGE: "discharge the patient",
    _E.SIGN: "sign",
    _E.COSIGN: "co-sign",
    _E.CANCEL: "cancel",
    _E.ABORT: "abort",
}


def transition(
    state: SessionState | str, event: SessionEvent | str, *, reason: str | None = None
) -> SessionState:
    """The state after ``event``; ClinicalRuleError when the step is not allowed.

    Cancel (before dosing) and abort (once dosing started) need a reason; a reason given with
    any other event is not stored here. The caller runs ``precheck_gate`` before
    ``pass_prechecks`` and ``discharge_check`` before ``discharge``.
    """
    try:
        state, event = SessionState(state), SessionEvent(event)
    except ValueError as exc:
        raise ClinicalRuleError(f"Unknown session state or event: {exc}") from exc
    where = _STATE_TEXT[state]
    if state in TERMINAL_STATES:
        raise ClinicalRuleError(f"The session is {where}: it can no longer change")
    if event is _E.CANCEL:
        if state not in CANCELLABLE_STATES:
            hint = ": once dosing has started, abort it" if state in ABORTABLE_STATES else ""
            raise ClinicalRuleError(f"Cannot cancel a session that is {where}{hint}")
        return _with_reason(_S.CANCELLED, "cancel", reason)
    if event is _E.ABORT:
        if state not in ABORTABLE_STATES:
            hint = "; before dosing, cancel it" if state in CANCELLABLE_STATES else ""
            raise ClinicalRuleError(
                f"Cannot abort a session that is {where}: only dosing or recovery can be "
                f"aborted{hint}"
            )
        return _with_reason(_S.ABORTED, "abort", reason)
    new = _FORWARD.get((state, event))
    if new is None:
        expected = [_EVENT_TEXT[e] for (s, e) in _FORWARD if s is state]
        hint = f"; the next step is: {expected[0]}" if expected else ""
        raise ClinicalRuleError(f"Cannot {_EVENT_TEXT[event]} a session that is {where}{hint}")
    return new


def _with_reason(new: SessionState, verb: str, reason: str | None) -> SessionState:
    if reason is None or not reason.strip():
        raise ClinicalRuleError(f"A reason is required to {verb} a session")
    return new


def phase_for_state(state: SessionState | str) -> Phase | None:
    """The monitoring phase of a state, or None where no vitals schedule applies."""
    return {
        _S.CHECKED_IN: Phase.PRE_DOSE,
        _S.PRECHECKS_PASSED: Phase.PRE_DOSE,
        _S.DOSING: Phase.DOSING,
        _S.RECOVERY: Phase.POST_DOSE,
    }.get(SessionState(state))


# --- pre-check gate ---------------------------------------------------------------------------

OVERRIDE_ROLES = frozenset(
    {"prescriber", "medical_director"}
)  # mirrors core.roles SESSION_OVERRIDE

_ISSUE = Provenance(("project issue",), False, "clinic practice named in the issue")


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
        _aware("The pre-check time", self.checked_at)
        for name in ("last_food_at", "last_liquid_at"):
            value = getattr(self, name)
            if value is not None:
                _aware(name, value)
                if value > self.checked_at:
                    raise ClinicalRuleError(f"{name} is later than the pre-check")
        _parse_answers(self)


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
            CheckFailure("identity", "Patient identity not confirmed", _ISSUE, overridable=False)
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
                    cid, f"Reported {text} since the last visit: prescriber review", _ISSUE
                )
            )
        elif answer is Answer.UNKNOWN:
            out.append(CheckFailure(cid, f"Not documented: {text} since the last visit", _ISSUE))
    _answer_check(out, "phq9", facts.phq9_completed, "pre-session PHQ-9", _ISSUE)
    # source: S20 (PHQ-9 item 9 positive -> C-SSRS the same day); per session: issue
    _answer_check(out, "cssrs", facts.cssrs_completed, "pre-session C-SSRS", _ISSUE)
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


# --- side effects -----------------------------------------------------------------------------


class SideEffect(StrEnum):
    NAUSEA = "nausea"
    VOMITING = "vomiting"
    DIZZINESS = "dizziness"
    VERTIGO = "vertigo"
    DIPLOPIA = "diplopia"
    DROWSINESS = "drowsiness"  # somnolence
    SEDATION = "sedation"
    CONFUSION = "confusion"
    ANXIETY = "anxiety"
    HEADACHE = "headache"
    RAISED_BP = "raised_bp"
    DISSOCIATION = "dissociation"
    BLURRED_VISION = "blurred_vision"
    PARESTHESIA = "paresthesia"
    DYSGEUSIA = "dysgeusia"
    HYPOESTHESIA = "hypoesthesia"
    OTHER = "other"  # describe in the note


_S93_S97 = Provenance(("S93", "S97"))
_S97 = Provenance(("S97",))
_LABEL_TABLE = Provenance(("§6.1",), False, "Spravato TRD label table [memory, verify]")
SIDE_EFFECT_PROVENANCE: dict[SideEffect, Provenance] = {
    SideEffect.NAUSEA: _S97,  # source: S97
    SideEffect.VOMITING: _S97,  # source: S97
    SideEffect.DIZZINESS: _S93_S97,  # source: S93, S97
    SideEffect.VERTIGO: _LABEL_TABLE,
    SideEffect.DIPLOPIA: Provenance(
        ("§6.1",), False, "reported; counts not found [memory, verify]"
    ),
    SideEffect.DROWSINESS: _S97,  # somnolence. source: S97
    SideEffect.SEDATION: _S97,  # source: S97
    SideEffect.CONFUSION: _ISSUE,
    SideEffect.ANXIETY: _S93_S97,  # source: S93, S97
    SideEffect.HEADACHE: _S93_S97,  # source: S93, S97
    SideEffect.RAISED_BP: _S93_S97,  # source: S93, S97
    SideEffect.DISSOCIATION: _S93_S97,  # source: S93, S97
    SideEffect.BLURRED_VISION: _S93_S97,  # source: S93, S97
    SideEffect.PARESTHESIA: _S97,  # source: S97
    SideEffect.DYSGEUSIA: _S97,  # source: S97
    SideEffect.HYPOESTHESIA: _LABEL_TABLE,
    SideEffect.OTHER: Provenance((), True, "free text"),
}


class SideEffectSeverity(StrEnum):
    """The nurse's grading; the reference defines no grading criteria."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class SideEffectObservation:
    """One side effect seen during the session.

    ``serious_adverse_event`` is the regulatory seriousness of the outcome, decided by the
    clinician, not the severity: a severe headache is not necessarily serious. Serious events
    are flagged for reporting (FDA MedWatch, source: S106; REMS form adverse events, S15).
    """

    effect: SideEffect
    severity: SideEffectSeverity
    observed_at: datetime
    serious_adverse_event: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "effect", SideEffect(self.effect))
        object.__setattr__(self, "severity", SideEffectSeverity(self.severity))
        _aware("The observation time", self.observed_at)
        if self.effect is SideEffect.OTHER and not self.note.strip():
            raise ClinicalRuleError("Describe the side effect in the note when choosing 'other'")

    @property
    def provenance(self) -> Provenance:
        return SIDE_EFFECT_PROVENANCE[self.effect]

    @property
    def reportable(self) -> bool:
        return self.serious_adverse_event


# --- helpers ----------------------------------------------------------------------------------


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time")


def _parse_answers(obj: object) -> None:
    for f in fields(obj):  # type: ignore[arg-type]
        if f.type == "Answer":
            try:
                object.__setattr__(obj, f.name, Answer.parse(getattr(obj, f.name)))
            except ValueError as exc:
                raise ClinicalRuleError(f"{f.name}: {exc}") from exc
