"""Shared plumbing for the session's writes: errors, the event log, and model -> clinical-core
conversions (readings, pump events). No rule lives here; rules are in ``ketacare.clinical``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.infusion import AdminEvent, AdministrationRecord
from ketacare.clinical.monitoring import VitalsReading
from ketacare.clinical.session_flow import transition
from ketacare.core.errors import Invalid, Refused
from ketacare.sessions.models import (
    AdministrationEvent,
    SessionEvent,
    TreatmentSession,
    VitalsEntry,
)

# A time entered for something that happened may be this far ahead of the server clock.
CLOCK_SKEW = dt.timedelta(minutes=2)


class SessionRefused(Refused):
    """A step the session does not allow now (HTTP 409), with a message for the clinician;
    ``details`` carries what the screen shows with it (the failed pre-checks, unmet criteria)."""


class InvalidEntry(Invalid):
    """Input that cannot be recorded as given (HTTP 422), naming the field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, fields={field: message} if field else None)
        self.field = field


def provenance_json(p: Provenance) -> dict[str, Any]:
    return {"sources": list(p.sources), "verified": p.verified, "note": p.note, "cite": p.cite()}


def check_time(name: str, value: dt.datetime, *, now: dt.datetime, not_before=None) -> None:
    """Refuse a naive time, a time in the future, or one before ``not_before``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidEntry(f"{name} needs a time zone", name)
    if value > now + CLOCK_SKEW:
        raise InvalidEntry(f"{name} is in the future", name)
    if not_before is not None and value < not_before:
        raise InvalidEntry(f"{name} is before {not_before:%H:%M}", name)


def log_event(
    session: TreatmentSession,
    event: str,
    *,
    origin: RequestOrigin,
    at: dt.datetime,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    details: dict | None = None,
    summary: str = "",
) -> SessionEvent:
    """One SessionEvent row and its audit entry."""
    row = SessionEvent.objects.create(
        session=session,
        event=event,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=details or {},
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="update" if to_state else "create",
        object_type="treatment_session",
        record=session,
        summary=summary or f"Session {event.replace('_', ' ')}",
        changes={
            **({"state": {"before": from_state, "after": to_state}} if to_state else {}),
            **({"reason": reason} if reason else {}),
            **(details or {}),
        },
        at=at,
    )
    return row


# Timestamp field set by each lifecycle event.
_STAMPS = {
    "check_in": "checked_in_at",
    "pass_prechecks": "prechecks_passed_at",
    "start_dosing": "dosing_started_at",
    "end_dosing": "dosing_ended_at",
    "discharge": "discharged_at",
}


def step(
    session: TreatmentSession,
    event: str,
    *,
    origin: RequestOrigin,
    at: dt.datetime,
    reason: str | None = None,
    details: dict | None = None,
) -> TreatmentSession:
    """Move the session by ``event`` (session_flow.transition decides), stamp it and log it."""
    try:
        new = transition(session.state, event, reason=reason)
    except ClinicalRuleError as refused:
        raise SessionRefused(str(refused)) from refused
    before = session.state
    reason = (reason or "").strip()
    # The event row is written first: once the session is saved as signed, rows are refused
    # (the co-signature's own row is the one exception, see SessionEvent.save).
    log_event(
        session,
        event,
        origin=origin,
        at=at,
        from_state=before,
        to_state=new.value,
        reason=reason,
        details=details,
    )
    session.state = new.value
    session.state_changed_at = at
    if event in _STAMPS:
        setattr(session, _STAMPS[event], at)
    if event in ("cancel", "abort"):
        session.ended_reason = reason
    if event == "sign":
        session.signed_at, session.signed_by = at, origin.actor
    if event == "cosign":
        session.cosigned_at, session.cosigned_by = at, origin.actor
    session.save()
    return session


def reading_of(entry: VitalsEntry) -> VitalsReading:
    """The clinical-core reading of a stored flowsheet row."""
    return VitalsReading(
        taken_at=entry.taken_at,
        systolic_mmhg=entry.systolic_mmhg,
        diastolic_mmhg=entry.diastolic_mmhg,
        heart_rate_bpm=entry.heart_rate_bpm,
        spo2_percent=entry.spo2_percent,
        respiratory_rate_per_min=entry.respiratory_rate_per_min,
        moaas_level=entry.moaas_level,
        crisis_symptoms=(
            frozenset(entry.crisis_symptoms) if entry.crisis_symptoms is not None else None
        ),
    )


def pump_record(events: list[AdministrationEvent]) -> AdministrationRecord:
    """The pump events (not discrete doses) as the clinical core's AdministrationRecord."""
    return AdministrationRecord(tuple(pump_event(e) for e in events if e.kind != "dose"))


def pump_event(e: AdministrationEvent) -> AdminEvent:
    rate = float(e.rate_ml_per_h) if e.rate_ml_per_h is not None else None
    return AdminEvent(e.kind, e.at, rate, e.reason or None)
