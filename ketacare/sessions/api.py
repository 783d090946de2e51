"""Treatment sessions under /api/v1/sessions: parse, call a service or selector, serialise.

Bad input is 422 with field errors; a refusal (an illegal step, a dose above the order, a failed
gate, a signed record) is 409 with ``{"detail": ...}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import wraps
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.core.api_utils import require
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patients_in_scope
from ketacare.sessions import flowsheet, remsforms, services
from ketacare.sessions.administration import administration_record
from ketacare.sessions.models import SessionLocked, TreatmentSession
from ketacare.sessions.protocol import protocol_for, protocol_update
from ketacare.sessions.records import InvalidEntry, SessionRefused
from ketacare.sessions.selectors import (
    appointment_get,
    session_get,
    session_screen,
    sessions_in_scope,
    today_board,
)

router = Router(tags=["sessions"])

YesNo = Literal["yes", "no", "unknown"]
AckAction = Literal[tuple(flowsheet.ACK_ACTIONS)]  # type: ignore[valid-type]


class Refusal(Schema):
    detail: str
    details: dict[str, Any] = {}


class Invalid(Schema):
    detail: str
    fields: dict[str, str] = {}


ERRORS = {409: Refusal, 422: Invalid}


def _text(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class CreateIn(Schema):
    appointment_id: int


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)
    _check = field_validator("reason")(_text)


class OptionalReasonIn(Schema):
    reason: str = Field(default="", max_length=2000)


class VitalsIn(Schema):
    systolic_mmhg: int | None = Field(default=None, ge=20, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=10, le=250)
    heart_rate_bpm: int | None = Field(default=None, ge=0, le=300)
    spo2_percent: int | None = Field(default=None, ge=0, le=100)
    respiratory_rate_per_min: int | None = Field(default=None, ge=0, le=100)
    moaas_level: int | None = Field(default=None, ge=0, le=5)
    crisis_symptoms: list[str] | None = None
    taken_at: dt.datetime | None = None


class PrechecksIn(Schema):
    identity_confirmed: YesNo = "unknown"
    last_food_at: dt.datetime | None = None
    last_liquid_at: dt.datetime | None = None
    could_be_pregnant: YesNo = "unknown"
    pregnant: YesNo = "unknown"
    new_medications_since_last_visit: YesNo = "unknown"
    substance_use_since_last_visit: YesNo = "unknown"
    phq9_completed: YesNo = "unknown"
    cssrs_completed: YesNo = "unknown"
    escort_confirmed: YesNo = "unknown"
    vitals: VitalsIn | None = None


class StartIn(Schema):
    """IV: what the bag on the pump holds (by default what the signed order describes); the
    delivered dose is computed from the bag's concentration, never the vial's."""

    lot_number: str = Field(max_length=60)
    vial_concentration_mg_per_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_drug_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_diluent_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_volume_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, max_digits=8)
    dose_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    _check = field_validator("lot_number")(_text)


class AdministrationIn(Schema):
    kind: Literal["start", "pause", "resume", "rate_change", "stop", "dose"]
    at: dt.datetime | None = None
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, max_digits=8)
    dose_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    reason: str = Field(default="", max_length=2000)


class AcknowledgeIn(Schema):
    actions: list[AckAction] = []  # type: ignore[valid-type]
    note: str = Field(default="", max_length=2000)


class ObservationIn(Schema):
    instrument: Literal["cadss6"]
    answers: list[int]
    observed_at: dt.datetime | None = None


class SideEffectIn(Schema):
    effect: str
    severity: Literal["mild", "moderate", "severe"]
    serious_adverse_event: bool = False
    note: str = Field(default="", max_length=2000)
    intervention: str = Field(default="", max_length=2000)
    observed_at: dt.datetime | None = None


class DischargeIn(Schema):
    mental_status_at_baseline: YesNo = "unknown"
    walking_steadily: YesNo = "unknown"
    nausea_controlled: YesNo = "unknown"
    escort_present: YesNo = "unknown"
    sedation_resolved: YesNo = "unknown"
    dissociation_resolved: YesNo = "unknown"
    respiratory_depression_resolved: YesNo = "unknown"
    instructions: str = Field(max_length=4000)
    override_reason: str = Field(default="", max_length=2000)
    ready_to_leave_at: dt.datetime | None = None
    _check = field_validator("instructions")(_text)


class AddendumIn(Schema):
    text: str = Field(max_length=4000)
    reason: str = Field(max_length=2000)
    _check = field_validator("text", "reason")(_text)


class EnrolmentIn(Schema):
    status: Literal["enrolled", "not_enrolled"]
    enrolled_on: dt.date | None = None
    note: str = Field(default="", max_length=2000)


class RemsAnswersIn(Schema):
    answers: dict[str, Literal["yes", "no", "unknown", ""]]


class SubmittedIn(Schema):
    submitted_on: dt.date


class ProtocolIn(Schema):
    values: dict[str, int | None]


class SessionOut(Schema):
    id: int
    patient_id: int
    appointment_id: int
    order_id: int | None
    route: str
    state: str
    state_changed_at: dt.datetime
    checked_in_at: dt.datetime | None
    prechecks_passed_at: dt.datetime | None
    dosing_started_at: dt.datetime | None
    dosing_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime | None
    cosigned_at: dt.datetime | None
    ended_reason: str
    lot_number: str
    vial_concentration_mg_per_ml: Decimal | None
    bag_drug_mg: Decimal | None
    bag_diluent_ml: Decimal | None
    bag_volume_ml: Decimal | None
    precheck_failures: list[dict]
    override_reason: str
    discharge_criteria: list[dict]
    discharge_override_reason: str
    administration: dict | None
    schedule: dict
    alerts: list[dict]
    vitals: list[dict]


def _origin(request) -> RequestOrigin:
    return RequestOrigin.from_request(request)


def _session_out(session: TreatmentSession) -> dict:
    screen = session_screen(session, now=timezone.now())
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
                **{k: getattr(r.entry, k) for k in flowsheet.VITAL_FIELDS},
                "findings": r.entry.findings,
            }
            for r in screen.rows
        ],
    }


def _audit_view(request, session: TreatmentSession, what: str) -> None:
    audit_record(
        origin=_origin(request),
        action="view",
        object_type="treatment_session",
        object_id=session.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"Viewed {what} through the API",
    )


def refusals(view):
    """409 for refusals, 422 for bad input, with the session's state after a success."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (SessionRefused, SessionLocked) as refused:
            return Status(409, {"detail": str(refused), "details": getattr(refused, "details", {})})
        except InvalidEntry as bad:
            return Status(422, {"detail": str(bad), "fields": {bad.field or "__all__": str(bad)}})
        except ClinicalRuleError as bad:
            return Status(422, {"detail": str(bad), "fields": {"__all__": str(bad)}})

    return wrapped


def _fresh(session: TreatmentSession) -> dict:
    session.refresh_from_db()
    return _session_out(session)


# --- reads --------------------------------------------------------------------------------------


@router.get("/board", summary="Every chair of the clinic: who is in it, next reading, alerts")
def board(request):
    access = require(request, Capability.SESSION_DOCUMENT)
    rows = today_board(access, now=timezone.now())
    audit_record(
        origin=_origin(request),
        action="view",
        object_type="session_board",
        clinic_id=access.clinic.pk,
        summary="Viewed the today board through the API",
    )
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


@router.get("/rems/due", summary="REMS Patient Monitoring Forms due within 7 days")
def rems_due(request):
    access = require(request, Capability.REMS_VIEW)
    today = timezone.now().astimezone(access.clinic.zone).date()
    forms = remsforms.forms_due(access, today=today)
    audit_record(
        origin=_origin(request),
        action="view",
        object_type="rems_form_list",
        clinic_id=access.clinic.pk,
        summary="Listed REMS forms due through the API",
    )
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
    response={200: list[dict], 404: Refusal},
    summary="The clinic's monitoring protocol for a route",
)
def protocol_get(request, route: str):
    access = require(request, Capability.PROTOCOL_VIEW)
    try:
        protocol = protocol_for(access.clinic, Route(route))
    except ValueError:
        return Status(404, {"detail": "Unknown route"})
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


@router.put("/protocol/{route}", response={200: list[dict], **ERRORS})
@refusals
def protocol_put(request, route: str, payload: ProtocolIn):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        protocol_update(
            clinic=access.clinic,
            route=Route(route),
            values=payload.values,
            origin=_origin(request),
            at=timezone.now(),
        )
    except ValueError as bad:  # ClinicalRuleError included: a value out of bounds
        return Status(422, {"detail": str(bad), "fields": {"values": str(bad)}})
    return protocol_get(request, route)


@router.put("/rems/enrolment/{patient_id}", response={200: dict, **ERRORS})
@refusals
def rems_enrolment(request, patient_id: int, payload: EnrolmentIn):
    access = require(request, Capability.SESSION_DOCUMENT)
    patient = get_object_or_404(patients_in_scope(access), pk=patient_id)
    row = remsforms.rems_enrolment_set(
        patient=patient,
        status=payload.status,
        enrolled_on=payload.enrolled_on,
        note=payload.note,
        origin=_origin(request),
        now=timezone.now(),
    )
    return {"patient_id": patient.pk, "status": row.status, "enrolled_on": row.enrolled_on}


@router.get("", summary="Sessions of the clinic, newest first")
def list_sessions(request, state: str = "", limit: int = 50):
    access = require(request, Capability.CHART_VIEW)
    rows = sessions_in_scope(access)
    if state:
        rows = rows.filter(state=state)
    rows = list(rows[: max(1, min(limit, 200))])
    audit_record(
        origin=_origin(request),
        action="view",
        object_type="treatment_session_list",
        clinic_id=access.clinic.pk,
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
@refusals
def create_session(request, payload: CreateIn):
    access = require(request, Capability.SESSION_DOCUMENT)
    appointment = appointment_get(access, payload.appointment_id)
    existed = TreatmentSession.objects.filter(appointment=appointment).exists()
    session = services.session_open(
        appointment=appointment, origin=_origin(request), at=timezone.now()
    )
    return Status(200 if existed else 201, _session_out(session))


@router.get("/{session_id}", response=SessionOut)
def get_session(request, session_id: int):
    access = require(request, Capability.CHART_VIEW)
    session = session_get(access, session_id)
    _audit_view(request, session, "the session record")
    return _session_out(session)


@router.get("/{session_id}/rems-form", response={200: dict, 404: Refusal})
def rems_form(request, session_id: int):
    access = require(request, Capability.REMS_VIEW)
    session = session_get(access, session_id)
    view = remsforms.form_view(session)
    _audit_view(request, session, "the REMS Patient Monitoring Form")
    if view is None:
        return Status(404, {"detail": "No REMS Patient Monitoring Form for this session"})
    return {"form": view.form.to_dict(), "missing_fields": view.missing, "problems": view.problems}


# --- lifecycle ------------------------------------------------------------------------------------


def _documenting(request, session_id: int, capability=Capability.SESSION_DOCUMENT):
    access = require(request, capability)
    return access, session_get(access, session_id)


@router.post("/{session_id}/check-in", response={200: SessionOut, **ERRORS})
@refusals
def check_in(request, session_id: int):
    _, session = _documenting(request, session_id)
    services.session_check_in(session=session, origin=_origin(request), at=timezone.now())
    return _fresh(session)


@router.post(
    "/{session_id}/prechecks",
    response={200: SessionOut, **ERRORS},
    summary="Document the pre-checks; 409 lists the failures that block dosing",
)
@refusals
def prechecks(request, session_id: int, payload: PrechecksIn):
    _, session = _documenting(request, session_id)
    data = payload.dict(exclude={"vitals"})
    vitals = (
        payload.vitals.dict(exclude={"taken_at", "crisis_symptoms", "moaas_level"})
        if payload.vitals
        else {}
    )
    failures = services.session_prechecks(
        session=session,
        entry=services.PrecheckInput(**data, vitals=vitals),
        origin=_origin(request),
        now=timezone.now(),
    )
    if failures:
        return Status(
            409,
            {
                "detail": f"{len(failures)} pre-check(s) failed: dosing is blocked",
                "details": {"failures": failures},
            },
        )
    return _fresh(session)


@router.post("/{session_id}/override", response={200: SessionOut, **ERRORS})
@refusals
def override(request, session_id: int, payload: ReasonIn):
    access, session = _documenting(request, session_id, Capability.SESSION_OVERRIDE)
    role = "prescriber" if "prescriber" in access.roles else "medical_director"
    services.session_override(
        session=session,
        by_role=role,
        reason=payload.reason,
        origin=_origin(request),
        now=timezone.now(),
    )
    return _fresh(session)


@router.post("/{session_id}/start-dosing", response={200: SessionOut, **ERRORS})
@refusals
def start_dosing(request, session_id: int, payload: StartIn):
    _, session = _documenting(request, session_id)
    services.session_start_dosing(
        session=session,
        lot_number=payload.lot_number,
        origin=_origin(request),
        now=timezone.now(),
        vial_concentration_mg_per_ml=payload.vial_concentration_mg_per_ml,
        bag_drug_mg=payload.bag_drug_mg,
        bag_diluent_ml=payload.bag_diluent_ml,
        bag_volume_ml=payload.bag_volume_ml,
        rate_ml_per_h=payload.rate_ml_per_h,
        dose_mg=payload.dose_mg,
    )
    return _fresh(session)


@router.post("/{session_id}/administration", response={201: SessionOut, **ERRORS})
@refusals
def administration(request, session_id: int, payload: AdministrationIn):
    _, session = _documenting(request, session_id)
    now = timezone.now()
    administration_record(
        session=session,
        kind=payload.kind,
        at=payload.at or now,
        origin=_origin(request),
        now=now,
        rate_ml_per_h=payload.rate_ml_per_h,
        dose_mg=payload.dose_mg,
        reason=payload.reason,
    )
    return Status(201, _fresh(session))


@router.post("/{session_id}/end-dosing", response={200: SessionOut, **ERRORS})
@refusals
def end_dosing(request, session_id: int, payload: OptionalReasonIn | None = None):
    _, session = _documenting(request, session_id)
    services.session_end_dosing(
        session=session,
        origin=_origin(request),
        now=timezone.now(),
        reason=payload.reason if payload else "",
    )
    return _fresh(session)


@router.post(
    "/{session_id}/vitals",
    response={201: dict, **ERRORS},
    summary="Record a flowsheet row; returns the findings and the alerts opened/resolved",
)
@refusals
def vitals(request, session_id: int, payload: VitalsIn):
    _, session = _documenting(request, session_id)
    now = timezone.now()
    entry, opened, resolved = flowsheet.vitals_record(
        session=session,
        values=payload.dict(exclude={"taken_at", "crisis_symptoms"}),
        taken_at=payload.taken_at or now,
        origin=_origin(request),
        now=now,
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


@router.post("/{session_id}/alerts/{alert_id}/acknowledge", response={200: dict, **ERRORS})
@refusals
def acknowledge(request, session_id: int, alert_id: int, payload: AcknowledgeIn):
    access = require(request, Capability.ALERT_ACKNOWLEDGE)
    session = session_get(access, session_id)
    alert = get_object_or_404(Alert, pk=alert_id, clinic_id=session.clinic_id)
    alert = flowsheet.vitals_alert_acknowledge(
        session=session,
        alert=alert,
        actions=list(payload.actions),
        note=payload.note,
        origin=_origin(request),
        now=timezone.now(),
    )
    return {"id": alert.pk, "status": alert.status, "action_note": alert.action_note}


@router.post("/{session_id}/observations", response={201: dict, **ERRORS})
@refusals
def observation(request, session_id: int, payload: ObservationIn):
    _, session = _documenting(request, session_id)
    now = timezone.now()
    row = flowsheet.observation_record(
        session=session,
        instrument=payload.instrument,
        answers=payload.answers,
        observed_at=payload.observed_at or now,
        origin=_origin(request),
        now=now,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "instrument": row.instrument,
            "total": row.total,
            "scorer_version": row.scorer_version,
        },
    )


@router.post("/{session_id}/side-effects", response={201: dict, **ERRORS})
@refusals
def side_effect(request, session_id: int, payload: SideEffectIn):
    _, session = _documenting(request, session_id)
    now = timezone.now()
    row = flowsheet.side_effect_record(
        session=session,
        effect=payload.effect,
        severity=payload.severity,
        observed_at=payload.observed_at or now,
        origin=_origin(request),
        now=now,
        serious_adverse_event=payload.serious_adverse_event,
        note=payload.note,
        intervention=payload.intervention,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "effect": row.effect,
            "severity": row.severity,
            "serious_adverse_event": row.serious_adverse_event,
        },
    )


@router.post(
    "/{session_id}/discharge",
    response={200: SessionOut, **ERRORS},
    summary="Discharge; 409 lists the unmet criteria (a prescriber may override)",
)
@refusals
def discharge(request, session_id: int, payload: DischargeIn):
    access, session = _documenting(request, session_id)
    by_role = None
    if payload.override_reason.strip() and access.can(Capability.SESSION_OVERRIDE):
        by_role = "prescriber" if "prescriber" in access.roles else "medical_director"
    services.session_discharge(
        session=session,
        answers=payload.dict(include=set(services.DISCHARGE_ANSWERS)),
        instructions=payload.instructions,
        origin=_origin(request),
        now=timezone.now(),
        by_role=by_role,
        override_reason=payload.override_reason,
        ready_to_leave_at=payload.ready_to_leave_at,
    )
    return _fresh(session)


@router.post("/{session_id}/sign", response={200: SessionOut, **ERRORS})
@refusals
def sign(request, session_id: int):
    _, session = _documenting(request, session_id)
    services.session_sign(session=session, origin=_origin(request), now=timezone.now())
    return _fresh(session)


@router.post("/{session_id}/cosign", response={200: SessionOut, **ERRORS})
@refusals
def cosign(request, session_id: int):
    _, session = _documenting(request, session_id, Capability.SESSION_COSIGN)
    services.session_cosign(session=session, origin=_origin(request), now=timezone.now())
    return _fresh(session)


@router.post("/{session_id}/cancel", response={200: SessionOut, **ERRORS})
@refusals
def cancel(request, session_id: int, payload: ReasonIn):
    _, session = _documenting(request, session_id)
    services.session_cancel(
        session=session, reason=payload.reason, origin=_origin(request), now=timezone.now()
    )
    return _fresh(session)


@router.post("/{session_id}/abort", response={200: SessionOut, **ERRORS})
@refusals
def abort(request, session_id: int, payload: ReasonIn):
    _, session = _documenting(request, session_id)
    services.session_abort(
        session=session, reason=payload.reason, origin=_origin(request), now=timezone.now()
    )
    return _fresh(session)


@router.post("/{session_id}/addenda", response={201: dict, **ERRORS})
@refusals
def addendum(request, session_id: int, payload: AddendumIn):
    _, session = _documenting(request, session_id)
    row = services.session_addendum(
        session=session,
        text=payload.text,
        reason=payload.reason,
        origin=_origin(request),
        now=timezone.now(),
    )
    return Status(
        201, {"id": row.pk, "text": row.text, "reason": row.reason, "created_at": row.created_at}
    )


@router.put("/{session_id}/rems-form/answers", response={200: dict, **ERRORS})
@refusals
def rems_answers(request, session_id: int, payload: RemsAnswersIn):
    _, session = _documenting(request, session_id)
    remsforms.rems_answers_update(
        session=session, answers=payload.answers, origin=_origin(request), now=timezone.now()
    )
    return rems_form(request, session_id)


@router.post("/{session_id}/rems-form/submitted", response={200: dict, **ERRORS})
@refusals
def rems_submitted(request, session_id: int, payload: SubmittedIn):
    _, session = _documenting(request, session_id)
    record = remsforms.rems_form_submitted(
        session=session,
        submitted_on=payload.submitted_on,
        origin=_origin(request),
        now=timezone.now(),
    )
    return {"session_id": session.pk, "submitted_on": record.submitted_on}
