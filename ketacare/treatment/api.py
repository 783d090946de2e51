"""Screening, protocol, courses, orders, consent and booking under /api/v1/treatment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.core.api_utils import require
from ketacare.core.models import Chair, User
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patient_get
from ketacare.treatment import booking, consent, presenters, selectors, services
from ketacare.treatment.errors import TreatmentError
from ketacare.treatment.models import AftercarePlan, ConsentDocument, ConsentSignature
from ketacare.treatment.schemas import (
    ERRORS,
    AftercareIn,
    AppointmentIn,
    AppointmentOut,
    ChecklistNoteIn,
    ConsentDocumentIn,
    ConsentDocumentOut,
    ConsentStatusOut,
    CourseIn,
    CourseOut,
    DoseIn,
    DoseOut,
    Error,
    OrderIn,
    OrderOut,
    PhaseIn,
    ProtocolOut,
    ReasonIn,
    RemsIn,
    ScreeningIn,
    ScreeningOut,
    SeriesIn,
    SettingIn,
)

router = Router(tags=["treatment"])


def _refused(error: TreatmentError) -> Status:
    return Status(error.status, {"detail": str(error), "fields": error.fields})


def _origin(request) -> RequestOrigin:
    return RequestOrigin.from_request(request)


def _audit_view(request, *, patient_id: int, clinic_id: int, what: str, object_id="") -> None:
    audit_record(
        origin=_origin(request),
        action="view",
        object_type=what,
        object_id=object_id or patient_id,
        clinic_id=clinic_id,
        patient_id=patient_id,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


# --- protocol ---------------------------------------------------------------------------------


@router.get("/protocol", response=ProtocolOut, summary="Every rule and setting, as in force")
def get_protocol(request):
    access = require(request, Capability.PROTOCOL_VIEW)
    protocol = selectors.clinic_protocol(access.clinic)
    return {
        "settings": presenters.protocol_rows(protocol),
        "unset_required": [spec.key for spec in protocol.unset_required()],
        "rules": presenters.rules_rows(protocol),
    }


@router.put("/protocol/{key}", response={200: dict, **ERRORS}, summary="Change one setting")
def set_protocol(request, key: str, payload: SettingIn):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        services.protocol_setting_set(
            clinic=access.clinic,
            key=key,
            value=payload.value,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    protocol = selectors.clinic_protocol(access.clinic)
    return {"key": key, "value": protocol.value(key)}


@router.delete("/protocol/{key}", response={200: dict, **ERRORS}, summary="Back to the default")
def reset_protocol(request, key: str):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        services.protocol_setting_reset(
            clinic=access.clinic, key=key, origin=_origin(request), at=timezone.now()
        )
    except TreatmentError as refused:
        return _refused(refused)
    return {"key": key, "value": selectors.clinic_protocol(access.clinic).value(key)}


# --- screening --------------------------------------------------------------------------------


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, **ERRORS},
    summary="Screen the current intake for a route and indication",
)
def run_screening(request, patient_id: int, payload: ScreeningIn):
    access = require(request, Capability.ELIGIBILITY_SCREEN)
    patient = patient_get(access, patient_id)
    try:
        result = services.screening_run(
            patient=patient,
            route=payload.route,
            indication=payload.indication,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, presenters.screening_dict(result))


@router.get("/patients/{patient_id}/screenings", response=list[ScreeningOut])
def list_screenings(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient_id=patient.pk, clinic_id=patient.clinic_id, what="screenings")
    return [presenters.screening_dict(s) for s in selectors.screenings_for(patient)[:100]]


@router.get("/screenings/{screening_id}", response=ScreeningOut)
def get_screening(request, screening_id: int):
    access = require(request, Capability.CHART_VIEW)
    result = selectors.screening_get(access, screening_id)
    _audit_view(
        request,
        patient_id=result.patient_id,
        clinic_id=result.clinic_id,
        what="screening",
        object_id=result.pk,
    )
    return presenters.screening_dict(result)


# --- courses and orders -----------------------------------------------------------------------


def _course_out(course) -> dict:
    template = selectors.clinic_protocol(course.clinic).templates.get(course.regimen_key)
    return presenters.course_dict(
        course, selectors.signed_order(course), template.label if template else course.regimen_key
    )


@router.post(
    "/patients/{patient_id}/courses",
    response={201: CourseOut, **ERRORS},
    summary="Plan a course on the latest screening",
)
def create_course(request, patient_id: int, payload: CourseIn):
    access = require(request, Capability.PLAN_EDIT)
    patient = patient_get(access, patient_id)
    try:
        course = services.course_create(
            patient=patient,
            route=payload.route,
            indication=payload.indication,
            regimen_key=payload.regimen_key,
            risk_benefit_note=payload.risk_benefit_note,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, _course_out(course))


@router.get("/patients/{patient_id}/courses", response=list[CourseOut])
def list_courses(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient_id=patient.pk, clinic_id=patient.clinic_id, what="courses")
    return [_course_out(c) for c in selectors.courses_for(patient)]


@router.get("/courses/{course_id}", response=CourseOut)
def get_course(request, course_id: int):
    access = require(request, Capability.CHART_VIEW)
    course = selectors.course_get(access, course_id)
    _audit_view(
        request,
        patient_id=course.patient_id,
        clinic_id=course.clinic_id,
        what="course",
        object_id=course.pk,
    )
    return _course_out(course)


@router.post("/courses/{course_id}/phase", response={200: CourseOut, **ERRORS})
def move_course(request, course_id: int, payload: PhaseIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    relapse, reason = False, payload.reason
    if payload.to == "booster":
        relapse, reason = selectors.booster_grounds(course, payload.reason)
    try:
        course = services.course_move(
            course=course,
            to=payload.to,
            relapse_detected=relapse,
            reason=reason,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return _course_out(course)


@router.post(
    "/courses/{course_id}/dose",
    response={200: DoseOut, **ERRORS},
    summary="Compute the dose without saving",
)
def preview_dose(request, course_id: int, payload: DoseIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    try:
        outcome = services.dose_preview(
            course=course,
            inputs=payload.inputs(),
            titration_reason=payload.titration_reason,
            at=timezone.now(),
        )
    except ClinicalRuleError as refused:
        return Status(409, {"detail": str(refused), "fields": {"dose": str(refused)}})
    _audit_view(
        request,
        patient_id=course.patient_id,
        clinic_id=course.clinic_id,
        what="dose_calculation",
        object_id=course.pk,
    )
    return {**outcome.__dict__, "warnings": list(outcome.warnings)}


@router.post("/courses/{course_id}/orders", response={201: OrderOut, **ERRORS})
def create_order(request, course_id: int, payload: OrderIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    try:
        order = services.order_draft(
            course=course,
            inputs=payload.inputs(),
            titration_reason=payload.titration_reason,
            sessions_authorised=payload.sessions_authorised,
            instructions=payload.instructions,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, presenters.order_dict(order))


@router.get("/courses/{course_id}/orders", response=list[OrderOut])
def list_orders(request, course_id: int):
    """Prescribers see drafts too; everyone else sees only signed (actionable) and past orders."""
    access = require(request, Capability.CHART_VIEW)
    course = selectors.course_get(access, course_id)
    _audit_view(request, patient_id=course.patient_id, clinic_id=course.clinic_id, what="orders")
    return [presenters.order_dict(o) for o in selectors.orders_visible(course, access)]


@router.get("/orders/{order_id}", response={200: OrderOut, 404: Error})
def get_order(request, order_id: int):
    access = require(request, Capability.CHART_VIEW)
    order = selectors.order_get(access, order_id)
    if order.status == order.Status.DRAFT and not access.is_prescriber:
        return Status(404, {"detail": "Drafts are visible to prescribers only."})
    _audit_view(
        request,
        patient_id=order.patient_id,
        clinic_id=order.course.clinic_id,
        what="order",
        object_id=order.pk,
    )
    return presenters.order_dict(order)


@router.post("/orders/{order_id}/sign", response={200: OrderOut, **ERRORS})
def sign_order(request, order_id: int):
    access = require(request, Capability.ORDER_SIGN)
    order = selectors.order_get(access, order_id)
    try:
        order = services.order_sign(order=order, origin=_origin(request), at=timezone.now())
    except TreatmentError as refused:
        return _refused(refused)
    return presenters.order_dict(order)


@router.post("/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS})
def cancel_order(request, order_id: int, payload: ReasonIn):
    access = require(request, Capability.PLAN_EDIT)
    order = selectors.order_get(access, order_id)
    try:
        order = services.order_cancel(
            order=order, reason=payload.reason, origin=_origin(request), at=timezone.now()
        )
    except TreatmentError as refused:
        return _refused(refused)
    return presenters.order_dict(order)


# --- checklist, REMS, aftercare ---------------------------------------------------------------


@router.get("/courses/{course_id}/checklist", response=list[dict[str, Any]])
def get_checklist(request, course_id: int):
    access = require(request, Capability.CHART_VIEW)
    course = selectors.course_get(access, course_id)
    _audit_view(request, patient_id=course.patient_id, clinic_id=course.clinic_id, what="checklist")
    return [entry.__dict__ for entry in selectors.course_checklist(course, at=timezone.now())]


@router.post("/courses/{course_id}/checklist/{key}", response={200: dict, **ERRORS})
def confirm_checklist(request, course_id: int, key: str, payload: ChecklistNoteIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    try:
        services.checklist_confirm(
            course=course, key=key, note=payload.note, origin=_origin(request), at=timezone.now()
        )
    except TreatmentError as refused:
        return _refused(refused)
    return {"key": key, "done": True}


@router.delete("/courses/{course_id}/checklist/{key}", response={200: dict, **ERRORS})
def clear_checklist(request, course_id: int, key: str):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    services.checklist_clear(course=course, key=key, origin=_origin(request), at=timezone.now())
    return {"key": key, "done": False}


@router.put("/courses/{course_id}/rems", response={200: CourseOut, **ERRORS})
def record_rems(request, course_id: int, payload: RemsIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    try:
        course = services.course_rems_enrol(
            course=course,
            enrolled_on=payload.enrolled_on,
            enrolment_id=payload.enrolment_id,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return _course_out(course)


@router.get("/courses/{course_id}/aftercare", response={200: AftercareIn, 404: Error})
def get_aftercare(request, course_id: int):
    access = require(request, Capability.CHART_VIEW)
    course = selectors.course_get(access, course_id)
    plan = AftercarePlan.objects.filter(course=course).first()
    _audit_view(
        request, patient_id=course.patient_id, clinic_id=course.clinic_id, what="aftercare_plan"
    )
    if plan is None:
        return Status(404, {"detail": "No aftercare plan yet."})
    return {name: getattr(plan, name) for name in AftercarePlan.FIELDS}


@router.put("/courses/{course_id}/aftercare", response={200: AftercareIn, **ERRORS})
def save_aftercare(request, course_id: int, payload: AftercareIn):
    access = require(request, Capability.PLAN_EDIT)
    course = selectors.course_get(access, course_id)
    plan = services.aftercare_save(
        course=course, values=payload.dict(), origin=_origin(request), at=timezone.now()
    )
    return {name: getattr(plan, name) for name in AftercarePlan.FIELDS}


# --- booking ----------------------------------------------------------------------------------


def _chair(access, chair_id: int | None) -> Chair | None:
    if chair_id is None:
        return None
    return get_object_or_404(Chair, pk=chair_id, clinic=access.clinic)


def _nurse(access, nurse_id: int | None) -> User | None:
    if nurse_id is None:
        return None
    return get_object_or_404(selectors.nurses_at(access.clinic), pk=nurse_id)


@router.post(
    "/courses/{course_id}/appointments",
    response={201: list[AppointmentOut], **ERRORS},
    summary="Book the regimen's sessions for a phase",
)
def book_series(request, course_id: int, payload: SeriesIn):
    access = require(request, Capability.APPOINTMENT_BOOK)
    course = selectors.course_get(access, course_id)
    chair = _chair(access, payload.chair_id)
    try:
        booked = booking.course_book_series(
            course=course,
            phase=payload.phase,
            start=payload.start,
            time=payload.time,
            weekdays=tuple(payload.weekdays) if payload.weekdays else None,
            until=payload.until,
            duration_minutes=payload.duration_minutes or booking.default_duration_minutes(course),
            chair=chair,
            nurse=_nurse(access, payload.nurse_id),
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, [presenters.appointment_dict(a) for a in booked])


@router.post("/appointments", response={201: AppointmentOut, **ERRORS})
def book_one(request, payload: AppointmentIn):
    access = require(request, Capability.APPOINTMENT_BOOK)
    patient = patient_get(access, payload.patient_id)
    course = selectors.course_get(access, payload.course_id) if payload.course_id else None
    starts_at = payload.starts_at
    if timezone.is_naive(starts_at):
        starts_at = starts_at.replace(tzinfo=access.clinic.zone)
    try:
        appointment = booking.appointment_book(
            patient=patient,
            course=course,
            kind=payload.kind,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=payload.duration_minutes),
            chair=_chair(access, payload.chair_id),
            nurse=_nurse(access, payload.nurse_id),
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, presenters.appointment_dict(appointment))


@router.get("/appointments", response={200: list[AppointmentOut], 422: Error})
def list_appointments(request, day: dt.date | None = None, days: int = 1):
    """The clinic's appointments from ``day`` (clinic time zone, default today) for ``days``."""
    access = require(request, Capability.APPOINTMENT_BOOK)
    if not 1 <= days <= 31:
        return Status(422, {"detail": "days must be 1 to 31"})
    zone = access.clinic.zone
    day = day or timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = list(selectors.appointments_between(access.clinic, start, start + dt.timedelta(days)))
    audit_record(
        origin=_origin(request),
        action="view",
        object_type="appointment_list",
        clinic_id=access.clinic.pk,
        summary=f"Listed {len(rows)} appointments through the API",
        changes={"day": day, "days": days, "patient_ids": sorted({a.patient_id for a in rows})},
    )
    return [presenters.appointment_dict(a) for a in rows]


@router.get("/patients/{patient_id}/appointments", response=list[AppointmentOut])
def patient_appointments(request, patient_id: int):
    access = require(request, Capability.APPOINTMENT_BOOK)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient_id=patient.pk, clinic_id=patient.clinic_id, what="appointments")
    return [presenters.appointment_dict(a) for a in selectors.appointments_for(patient)]


@router.post("/appointments/{appointment_id}/cancel", response={200: AppointmentOut, **ERRORS})
def cancel_appointment(request, appointment_id: int, payload: ReasonIn):
    access = require(request, Capability.APPOINTMENT_BOOK)
    appointment = selectors.appointment_get(access, appointment_id)
    try:
        appointment = booking.appointment_cancel(
            appointment=appointment,
            reason=payload.reason,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return presenters.appointment_dict(appointment)


# --- consent ----------------------------------------------------------------------------------


@router.get("/consent-documents", response=list[ConsentDocumentOut])
def list_consent_documents(request):
    access = require(request, Capability.CONSENT_MANAGE)
    consent.consent_documents_ensure(
        clinic=access.clinic, on=timezone.localdate(), origin=_origin(request)
    )
    return list(ConsentDocument.objects.filter(clinic=access.clinic).order_by("route", "-version"))


@router.post("/consent-documents", response={201: ConsentDocumentOut, **ERRORS})
def publish_consent(request, payload: ConsentDocumentIn):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        document = consent.consent_document_publish(
            clinic=access.clinic,
            route=payload.route,
            title=payload.title,
            body=payload.body,
            origin=_origin(request),
            at=timezone.now(),
        )
    except TreatmentError as refused:
        return _refused(refused)
    return Status(201, document)


@router.get("/patients/{patient_id}/consents", response=list[ConsentStatusOut])
def patient_consents(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = patient_get(access, patient_id)
    now = timezone.now()
    rows = []
    for route in Route:
        document = consent.consent_document_current(patient.clinic, route, at=now)
        signature = (
            ConsentSignature.objects.filter(
                document=document, patient=patient, revoked_at__isnull=True
            )
            .order_by("-patient_signed_at")
            .first()
            if document
            else None
        )
        rows.append(
            {
                "route": route.value,
                "document_id": document.pk if document else None,
                "version": document.version if document else None,
                "current": consent.consent_is_current(patient, route, at=now),
                "signature_id": signature.pk if signature else None,
                "patient_signed_at": signature.patient_signed_at if signature else None,
                "clinician_signed_at": signature.clinician_signed_at if signature else None,
            }
        )
    _audit_view(request, patient_id=patient.pk, clinic_id=patient.clinic_id, what="consents")
    return rows


def _signature(access, signature_id: int) -> ConsentSignature:
    return get_object_or_404(
        ConsentSignature.objects.select_related("document", "patient"),
        pk=signature_id,
        patient__clinic=access.clinic,
    )


@router.post("/consent-signatures/{signature_id}/countersign", response={200: dict, **ERRORS})
def countersign(request, signature_id: int):
    access = require(request, Capability.CONSENT_MANAGE)
    signature = _signature(access, signature_id)
    try:
        signature = consent.consent_countersign(
            signature=signature, origin=_origin(request), at=timezone.now()
        )
    except TreatmentError as refused:
        return _refused(refused)
    return {"id": signature.pk, "clinician_signed_at": signature.clinician_signed_at}


@router.post("/consent-signatures/{signature_id}/revoke", response={200: dict, **ERRORS})
def revoke(request, signature_id: int, payload: ReasonIn):
    access = require(request, Capability.CONSENT_MANAGE)
    signature = _signature(access, signature_id)
    try:
        signature = consent.consent_revoke(
            signature=signature, reason=payload.reason, origin=_origin(request), at=timezone.now()
        )
    except TreatmentError as refused:
        return _refused(refused)
    return {"id": signature.pk, "revoked_at": signature.revoked_at}
