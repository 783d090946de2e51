"""Treatment sessions under /api/v1/sessions: parse, call a service or selector, serialise.

Services raise the core's errors and the API's one handler answers them: bad input is 422 with
field errors, a refusal (an illegal step, a dose above the order, a failed gate, a signed record)
is 409 with ``detail`` and, where the screen needs them, ``details`` (the failed pre-checks).
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from ketacare.clinical.common import Route
from ketacare.core.actions import Action, action, audit_read
from ketacare.core.errors import NotFound
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.patients.selectors import patients_in_scope
from ketacare.sessions import selectors, services
from ketacare.sessions.clinical_records import rems_form_record
from ketacare.sessions.models import TreatmentSession
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.records import SessionRefused
from ketacare.sessions.schemas import (
    AcknowledgedOut,
    AcknowledgeIn,
    AddendumIn,
    AddendumOut,
    AdministrationIn,
    BoardRowOut,
    CreateIn,
    DischargeIn,
    EnrolmentIn,
    EnrolmentOut,
    ObservationIn,
    ObservationOut,
    OptionalReasonIn,
    PrechecksIn,
    ProtocolSettingOut,
    ReasonIn,
    RemsAnswersIn,
    RemsDueOut,
    RemsFormOut,
    RemsSubmittedOut,
    SessionOut,
    SessionSummaryOut,
    SideEffectIn,
    SideEffectOut,
    StartIn,
    SubmittedIn,
    VitalsIn,
    VitalsRecordedOut,
)
from ketacare.sessions.selectors import (
    appointment_get,
    session_alert_get,
    session_get,
    session_screen,
    sessions_in_scope,
    today_board,
)
from ketacare.sessions.services import administration_record
from ketacare.treatment.services import rems_enrolment_set

router = Router(tags=["sessions"])


def _session_out(session: TreatmentSession, *, now: dt.datetime) -> dict:
    screen = session_screen(session, now=now)
    adm = screen.administration
    return {
        **{
            name: getattr(session, name)
            for name in SessionOut.model_fields
            if hasattr(session, name)
            and name not in ("administration", "schedule", "alerts", "vitals")
        },
        "administration": adm.__dict__ if adm else None,
        "schedule": {
            "phase": screen.schedule.phase.value if screen.schedule.phase else None,
            "next_due": screen.schedule.next_due,
            "overdue": screen.schedule.overdue,
            "problem": screen.schedule.problem,
        },
        "alerts": [
            {
                "id": r.alert.pk,
                "kind": r.alert.kind,
                "level": r.alert.level,
                "code": r.alert.code,
                "status": r.alert.status,
                "message": r.alert.message,
                "recommended_action": r.alert.recommended_action,
                "back_within_at": r.back_within_at,
            }
            for r in screen.alerts
        ],
        "vitals": [
            {
                "id": r.entry.pk,
                "taken_at": r.entry.taken_at,
                "phase": r.entry.phase,
                **{k: getattr(r.entry, k) for k in selectors.VITAL_FIELDS},
                "findings": r.entry.findings,
            }
            for r in screen.rows
        ],
    }


def _audit_view(act: Action, session: TreatmentSession, what: str) -> None:
    audit_read(
        act,
        object_type="treatment_session",
        record=session,
        clinic_id=session.clinic_id,
        summary=f"Viewed {what} through the API",
    )


def _fresh(act: Action, session: TreatmentSession) -> dict:
    session.refresh_from_db()
    return _session_out(session, now=act.at)


# --- reads --------------------------------------------------------------------------------------


@router.get(
    "/board",
    response={200: list[BoardRowOut], **READ_ERRORS},
    summary="Every chair of the clinic: who is in it, next reading, alerts",
)
def board(request):
    act = action(request, Capability.SESSION_DOCUMENT)
    rows = today_board(act.access, now=act.at)
    audit_read(act, object_type="session_board", summary="Viewed the today board through the API")
    return [
        {
            "chair": r.chair.name,
            "session_id": r.session.pk if r.session else None,
            "patient_id": (r.session or r.appointment).patient_id
            if (r.session or r.appointment)
            else None,
            "state": r.session.state if r.session else None,
            "minutes_in": r.minutes_in,
            "next_reading_due": r.schedule.next_due if r.schedule else None,
            "overdue": r.schedule.overdue if r.schedule else False,
            "open_alerts": [
                {"id": a.pk, "level": a.level, "message": a.message} for a in r.open_alerts
            ],
        }
        for r in rows
    ]


@router.get(
    "/rems/due",
    response={200: list[RemsDueOut], **READ_ERRORS},
    summary="REMS Patient Monitoring Forms due within 7 days",
)
def rems_due(request):
    act = action(request, Capability.REMS_VIEW)
    today = act.at.astimezone(act.clinic.zone).date()
    forms = selectors.forms_due(act.access, today=today)
    audit_read(act, object_type="rems_form_list", summary="Listed REMS forms due through the API")
    return [
        {
            "session_id": v.session.pk,
            "patient_id": v.session.patient_id,
            "due_on": v.due_on,
            "missing_fields": v.missing,
            "problems": v.problems,
        }
        for v in forms
    ]


@router.get(
    "/protocol/{route}",
    response={200: list[ProtocolSettingOut], **READ_ERRORS},
    summary="The clinic's monitoring protocol for a route",
)
def protocol_get(request, route: str):
    act = action(request, Capability.PROTOCOL_VIEW)
    try:
        protocol = protocol_for(act.clinic, Route(route))
    except ValueError:
        raise NotFound(f"Unknown route {route!r}.") from None
    return [
        {
            "key": s.key,
            "label": s.label,
            "value": s.value,
            "unit": s.unit,
            "minimum": s.minimum,
            "maximum": s.maximum,
            "source": s.provenance.cite(),
            "verified": s.provenance.verified,
            "required": s.value is None,
        }
        for s in protocol.settings()
    ]


@router.put("/rems/enrolment/{patient_id}", response={200: EnrolmentOut, **ERRORS})
def rems_enrolment(request, patient_id: int, payload: EnrolmentIn):
    act = action(request, Capability.SESSION_DOCUMENT)
    patient = get_object_or_404(patients_in_scope(act.access), pk=patient_id)
    row = rems_enrolment_set(patient=patient, **payload.model_dump(), **act.stamp)
    return EnrolmentOut(
        patient_id=patient.pk,
        status=row.status,
        enrolled_on=row.enrolled_on,
        enrolment_id=row.enrolment_id,
    )


@router.get(
    "",
    response={200: list[SessionSummaryOut], **READ_ERRORS},
    summary="Sessions of the clinic, newest first",
)
def list_sessions(request, state: str = "", limit: int = 50):
    act = action(request, Capability.CHART_VIEW)
    rows = sessions_in_scope(act.access)
    if state:
        rows = rows.filter(state=state)
    rows = list(rows[: max(1, min(limit, 200))])
    audit_read(
        act,
        object_type="treatment_session_list",
        summary=f"Listed {len(rows)} sessions through the API",
    )
    return [
        {
            "id": s.pk,
            "patient_id": s.patient_id,
            "route": s.route,
            "state": s.state,
            "starts_at": s.appointment.starts_at,
        }
        for s in rows
    ]


@router.post(
    "",
    response={200: SessionOut, 201: SessionOut, **ERRORS},
    summary="Open the session of a treatment appointment",
)
def create_session(request, payload: CreateIn):
    act = action(request, Capability.SESSION_DOCUMENT)
    appointment = appointment_get(act.access, payload.appointment_id)
    existed = TreatmentSession.objects.filter(appointment=appointment).exists()
    session = services.session_open(appointment=appointment, **act.stamp)
    return Status(200 if existed else 201, _session_out(session, now=act.at))


@router.get("/{session_id}", response={200: SessionOut, **READ_ERRORS})
def get_session(request, session_id: int):
    act = action(request, Capability.CHART_VIEW)
    session = session_get(act.access, session_id)
    _audit_view(act, session, "the session record")
    return _session_out(session, now=act.at)


@router.get("/{session_id}/rems-form", response={200: RemsFormOut, **READ_ERRORS})
def rems_form(request, session_id: int):
    act = action(request, Capability.REMS_VIEW)
    session = session_get(act.access, session_id)
    view = selectors.form_view(session)
    _audit_view(act, session, "the REMS Patient Monitoring Form")
    if view is None:
        raise NotFound("No REMS Patient Monitoring Form for this session.")
    return RemsFormOut(
        form=rems_form_record(view.form), missing_fields=view.missing, problems=view.problems
    )


# --- lifecycle ------------------------------------------------------------------------------------


def _documenting(request, session_id: int, capability=Capability.SESSION_DOCUMENT):
    act = action(request, capability)
    return act, session_get(act.access, session_id)


def _step(request, session_id: int, service, capability=Capability.SESSION_DOCUMENT, **fields):
    """One lifecycle step through its service; the session's state afterwards."""
    act, session = _documenting(request, session_id, capability)
    service(session=session, **act.stamp, **fields)
    return _fresh(act, session)


@router.post("/{session_id}/check-in", response={200: SessionOut, **ERRORS})
def check_in(request, session_id: int):
    act, session = _documenting(request, session_id)
    services.session_check_in(session=session, **act.stamp)
    return _fresh(act, session)


@router.post(
    "/{session_id}/prechecks",
    response={200: SessionOut, **ERRORS},
    summary="Document the pre-checks; 409 lists the failures that block dosing",
)
def prechecks(request, session_id: int, payload: PrechecksIn):
    act, session = _documenting(request, session_id)
    data = payload.dict(exclude={"vitals"})
    vitals = (
        payload.vitals.dict(exclude={"taken_at", "crisis_symptoms", "moaas_level"})
        if payload.vitals
        else {}
    )
    failures = services.session_prechecks(
        session=session,
        entry=services.PrecheckInput(**data, vitals=vitals),
        **act.stamp,
    )
    if failures:  # stored with the session; the answer lists them
        raise SessionRefused(
            f"{len(failures)} pre-check(s) failed: dosing is blocked",
            details={"failures": failures},
        )
    return _fresh(act, session)


@router.post("/{session_id}/override", response={200: SessionOut, **ERRORS})
def override(request, session_id: int, payload: ReasonIn):
    act, session = _documenting(request, session_id, Capability.SESSION_OVERRIDE)
    services.session_override(
        session=session,
        actor=act.actor,
        reason=payload.reason,
        **act.stamp,
    )
    return _fresh(act, session)


@router.post("/{session_id}/start-dosing", response={200: SessionOut, **ERRORS})
def start_dosing(request, session_id: int, payload: StartIn):
    act, session = _documenting(request, session_id)
    services.session_start_dosing(session=session, **payload.model_dump(), **act.stamp)
    return _fresh(act, session)


@router.post("/{session_id}/administration", response={201: SessionOut, **ERRORS})
def administration(request, session_id: int, payload: AdministrationIn):
    act, session = _documenting(request, session_id)
    now = act.at
    administration_record(
        session=session,
        kind=payload.kind,
        given_at=payload.at or now,
        origin=act.origin,
        at=now,
        rate_ml_per_h=payload.rate_ml_per_h,
        dose_mg=payload.dose_mg,
        reason=payload.reason,
    )
    return Status(201, _fresh(act, session))


@router.post("/{session_id}/end-dosing", response={200: SessionOut, **ERRORS})
def end_dosing(request, session_id: int, payload: OptionalReasonIn | None = None):
    reason = payload.reason if payload else ""
    return _step(request, session_id, services.session_end_dosing, reason=reason)


@router.post(
    "/{session_id}/vitals",
    response={201: VitalsRecordedOut, **ERRORS},
    summary="Record a flowsheet row; returns the findings and the alerts opened/resolved",
)
def vitals(request, session_id: int, payload: VitalsIn):
    act, session = _documenting(request, session_id)
    now = act.at
    entry, opened, resolved = services.vitals_record(
        session=session,
        values=payload.dict(exclude={"taken_at", "crisis_symptoms"}),
        taken_at=payload.taken_at or now,
        origin=act.origin,
        at=now,
        crisis_symptoms=payload.crisis_symptoms,
    )
    return Status(
        201,
        {
            "id": entry.pk,
            "taken_at": entry.taken_at,
            "phase": entry.phase,
            "findings": entry.findings,
            "alerts_opened": [
                {
                    "id": a.pk,
                    "code": a.code,
                    "level": a.level,
                    "message": a.message,
                    "recommended_action": a.recommended_action,
                }
                for a in opened
            ],
            "alerts_resolved": [a.pk for a in resolved],
        },
    )


@router.post(
    "/{session_id}/alerts/{alert_id}/acknowledge", response={200: AcknowledgedOut, **ERRORS}
)
def acknowledge(request, session_id: int, alert_id: int, payload: AcknowledgeIn):
    act = action(request, Capability.ALERT_ACKNOWLEDGE)
    session = session_get(act.access, session_id)
    alert = session_alert_get(session, alert_id)
    alert = services.vitals_alert_acknowledge(
        session=session,
        alert=alert,
        actions=list(payload.actions),
        note=payload.note,
        **act.stamp,
        slowed_to_ml_per_h=payload.rate_ml_per_h,
    )
    return AcknowledgedOut(id=alert.pk, status=alert.status, action_note=alert.action_note)


def _observed(payload: ObservationIn | SideEffectIn, act) -> dict:
    """The payload as the service's fields, observed now unless it says when."""
    return payload.model_dump() | {"observed_at": payload.observed_at or act.at}


@router.post("/{session_id}/observations", response={201: ObservationOut, **ERRORS})
def observation(request, session_id: int, payload: ObservationIn):
    act, session = _documenting(request, session_id)
    row = services.observation_record(session=session, **_observed(payload, act), **act.stamp)
    return Status(201, ObservationOut.from_orm(row))


@router.post("/{session_id}/side-effects", response={201: SideEffectOut, **ERRORS})
def side_effect(request, session_id: int, payload: SideEffectIn):
    act, session = _documenting(request, session_id)
    row = services.side_effect_record(session=session, **_observed(payload, act), **act.stamp)
    return Status(201, SideEffectOut.from_orm(row))


@router.post(
    "/{session_id}/discharge",
    response={200: SessionOut, **ERRORS},
    summary="Discharge; 409 lists the unmet criteria (a prescriber may override)",
)
def discharge(request, session_id: int, payload: DischargeIn):
    act, session = _documenting(request, session_id)
    services.session_discharge(
        session=session,
        answers=payload.dict(include=set(selectors.DISCHARGE_ANSWERS)),
        instructions=payload.instructions,
        **act.stamp,
        actor=act.actor,
        override_reason=payload.override_reason,
        ready_to_leave_at=payload.ready_to_leave_at,
    )
    return _fresh(act, session)


@router.post("/{session_id}/sign", response={200: SessionOut, **ERRORS})
def sign(request, session_id: int):
    return _step(request, session_id, services.session_sign)


@router.post("/{session_id}/cosign", response={200: SessionOut, **ERRORS})
def cosign(request, session_id: int):
    return _step(request, session_id, services.session_cosign, Capability.SESSION_COSIGN)


@router.post("/{session_id}/cancel", response={200: SessionOut, **ERRORS})
def cancel(request, session_id: int, payload: ReasonIn):
    return _step(request, session_id, services.session_cancel, reason=payload.reason)


@router.post("/{session_id}/abort", response={200: SessionOut, **ERRORS})
def abort(request, session_id: int, payload: ReasonIn):
    return _step(request, session_id, services.session_abort, reason=payload.reason)


@router.post("/{session_id}/addenda", response={201: AddendumOut, **ERRORS})
def addendum(request, session_id: int, payload: AddendumIn):
    act, session = _documenting(request, session_id)
    row = services.session_addendum(
        session=session,
        text=payload.text,
        reason=payload.reason,
        **act.stamp,
    )
    return Status(
        201, {"id": row.pk, "text": row.text, "reason": row.reason, "created_at": row.created_at}
    )


@router.put("/{session_id}/rems-form/answers", response={200: RemsFormOut, **ERRORS})
def rems_answers(request, session_id: int, payload: RemsAnswersIn):
    act, session = _documenting(request, session_id)
    services.rems_answers_update(session=session, answers=payload.answers, **act.stamp)
    return rems_form(request, session_id)


@router.post("/{session_id}/rems-form/submitted", response={200: RemsSubmittedOut, **ERRORS})
def rems_submitted(request, session_id: int, payload: SubmittedIn):
    act, session = _documenting(request, session_id)
    record = services.rems_form_submitted(
        session=session,
        submitted_on=payload.submitted_on,
        **act.stamp,
    )
    return RemsSubmittedOut(session_id=session.pk, submitted_on=record.submitted_on)
