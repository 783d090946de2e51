"""The treatment session's lifecycle: states, the events that move it, and the monitoring phase
of each state. Cancel (before dosing) and abort (once dosing started) need a reason."""

from __future__ import annotations

from enum import StrEnum

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.monitoring import Phase


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
