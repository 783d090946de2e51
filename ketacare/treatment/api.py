"""Screening, protocol, courses, orders, consent and booking under /api/v1/treatment."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from ketacare.audit.services import audit_record
from ketacare.clinical.common import Route
from ketacare.core.actions import Action, action, audit_read
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.models import Chair, User
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.patients.selectors import patient_get
from ketacare.treatment import presenters, selectors, services
from ketacare.treatment.models import AftercarePlan, ConsentDocument, ConsentSignature
from ketacare.treatment.schemas import (
    AftercareIn,
    AppointmentIn,
    AppointmentOut,
    ChecklistEntryOut,
    ChecklistNoteIn,
    ChecklistStateOut,
    ConsentDocumentIn,
    ConsentDocumentOut,
    ConsentStatusOut,
    CountersignedOut,
    CourseIn,
    CourseOut,
    DoseIn,
    DoseOut,
    OrderIn,
    OrderOut,
    PhaseIn,
    RemsIn,
    RevokedOut,
    ScreeningIn,
    ScreeningOut,
    SeriesIn,
    SettingIn,
    SettingValueOut,
    TreatmentProtocolOut,
    TreatmentReasonIn,
)

router = Router(tags=["treatment"])


def _audit_view(act: Action, *, patient_id: int, clinic_id: int, what: str, object_id="") -> None:
    audit_read(
        act,
        object_type=what,
        object_id=object_id or patient_id,
        patient_id=patient_id,
        clinic_id=clinic_id,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


def _audit_record_view(act: Action, record, what: str, *, clinic_id: int | None = None) -> None:
    """Audit an API read of one of a patient's records (a screening, course, order...)."""
    _audit_view(
        act,
        patient_id=record.patient_id,
        clinic_id=clinic_id or record.clinic_id,
        what=what,
        object_id=record.pk,
    )


# --- protocol ---------------------------------------------------------------------------------


@router.get(
    "/protocol",
    response={200: TreatmentProtocolOut, **READ_ERRORS},
    summary="Every rule and setting, as in force",
)
def get_protocol(request):
    act = action(request, Capability.PROTOCOL_VIEW)
    protocol = selectors.clinic_protocol(act.clinic)
    return {
        "settings": presenters.protocol_rows(protocol),
        "unset_required": [spec.key for spec in protocol.unset_required()],
        "rules": presenters.rules_rows(protocol),
    }


@router.put(
    "/protocol/{key}", response={200: SettingValueOut, **ERRORS}, summary="Change one setting"
)
def set_protocol(request, key: str, payload: SettingIn):
    act = action(request, Capability.PROTOCOL_EDIT)
    services.protocol_setting_set(clinic=act.clinic, key=key, value=payload.value, **act.stamp)
    protocol = selectors.clinic_protocol(act.clinic)
    return SettingValueOut(key=key, value=protocol.value(key))


@router.delete(
    "/protocol/{key}", response={200: SettingValueOut, **ERRORS}, summary="Back to the default"
)
def reset_protocol(request, key: str):
    act = action(request, Capability.PROTOCOL_EDIT)
    services.protocol_setting_reset(clinic=act.clinic, key=key, **act.stamp)
    return SettingValueOut(key=key, value=selectors.clinic_protocol(act.clinic).value(key))


# --- screening --------------------------------------------------------------------------------


@router.post(
    "/patients/{patient_id}/screenings",
    response={201: ScreeningOut, **ERRORS},
    summary="Screen the current intake for a route and indication",
)
def run_screening(request, patient_id: int, payload: ScreeningIn):
    act = action(request, Capability.ELIGIBILITY_SCREEN)
    patient = patient_get(act.access, patient_id)
    result = services.screening_run(
        patient=patient, route=payload.route, indication=payload.indication, **act.stamp
    )
    return Status(201, presenters.screening_dict(result))


@router.get("/patients/{patient_id}/screenings", response={200: list[ScreeningOut], **READ_ERRORS})
def list_screenings(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient_id=patient.pk, clinic_id=patient.clinic_id, what="screenings")
    return [presenters.screening_dict(s) for s in selectors.screenings_for(patient)[:100]]


@router.get("/screenings/{screening_id}", response={200: ScreeningOut, **READ_ERRORS})
def get_screening(request, screening_id: int):
    act = action(request, Capability.CHART_VIEW)
    result = selectors.screening_get(act.access, screening_id)
    _audit_record_view(act, result, "screening")
    return presenters.screening_dict(result)


# --- courses and orders -----------------------------------------------------------------------


def _course_out(course) -> dict:
    template = selectors.clinic_protocol(course.clinic).templates.get(course.regimen_key)
    return presenters.course_dict(
        course,
        selectors.signed_order(course),
        template.label if template else course.regimen_key,
        selectors.rems_enrolment(course.patient_id),
    )


@router.post(
    "/patients/{patient_id}/courses",
    response={201: CourseOut, **ERRORS},
    summary="Plan a course on the latest screening",
)
def create_course(request, patient_id: int, payload: CourseIn):
    act = action(request, Capability.PLAN_EDIT)
    patient = patient_get(act.access, patient_id)
    course = services.course_create(patient=patient, **payload.model_dump(), **act.stamp)
    return Status(201, _course_out(course))


@router.get("/patients/{patient_id}/courses", response={200: list[CourseOut], **READ_ERRORS})
def list_courses(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient_id=patient.pk, clinic_id=patient.clinic_id, what="courses")
    return [_course_out(c) for c in selectors.courses_for(patient)]


@router.get("/courses/{course_id}", response={200: CourseOut, **READ_ERRORS})
def get_course(request, course_id: int):
    act = action(request, Capability.CHART_VIEW)
    course = selectors.course_get(act.access, course_id)
    _audit_record_view(act, course, "course")
    return _course_out(course)


@router.post("/courses/{course_id}/phase", response={200: CourseOut, **ERRORS})
def move_course(request, course_id: int, payload: PhaseIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    relapse, reason = False, payload.reason
    if payload.to == "booster":
        relapse, reason = selectors.booster_grounds(course, payload.reason)
    course = services.course_move(
        course=course, to=payload.to, relapse_detected=relapse, reason=reason, **act.stamp
    )
    return _course_out(course)


@router.post(
    "/courses/{course_id}/dose",
    response={200: DoseOut, **ERRORS},
    summary="Compute the dose without saving",
)
def preview_dose(request, course_id: int, payload: DoseIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    outcome = selectors.dose_preview(
        course=course,
        inputs=payload.inputs(),
        titration_reason=payload.titration_reason,
        at=act.at,
    )
    _audit_record_view(act, course, "dose_calculation")
    return {**outcome.__dict__, "warnings": list(outcome.warnings)}


@router.post("/courses/{course_id}/orders", response={201: OrderOut, **ERRORS})
def create_order(request, course_id: int, payload: OrderIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    order = services.order_draft(
        course=course,
        inputs=payload.inputs(),
        titration_reason=payload.titration_reason,
        sessions_authorised=payload.sessions_authorised,
        instructions=payload.instructions,
        **act.stamp,
    )
    return Status(201, presenters.order_dict(order))


@router.get("/courses/{course_id}/orders", response={200: list[OrderOut], **READ_ERRORS})
def list_orders(request, course_id: int):
    """Prescribers see drafts too; everyone else sees only signed (actionable) and past orders."""
    act = action(request, Capability.CHART_VIEW)
    course = selectors.course_get(act.access, course_id)
    _audit_view(act, patient_id=course.patient_id, clinic_id=course.clinic_id, what="orders")
    return [presenters.order_dict(o) for o in selectors.orders_visible(course, act.access)]


@router.get("/orders/{order_id}", response={200: OrderOut, **READ_ERRORS})
def get_order(request, order_id: int):
    act = action(request, Capability.CHART_VIEW)
    order = selectors.order_get(act.access, order_id)
    if order.status == order.Status.DRAFT and not act.access.is_prescriber:
        raise NotFound("Drafts are visible to prescribers only.")
    _audit_record_view(act, order, "order", clinic_id=order.course.clinic_id)
    return presenters.order_dict(order)


@router.post("/orders/{order_id}/sign", response={200: OrderOut, **ERRORS})
def sign_order(request, order_id: int):
    act = action(request, Capability.ORDER_SIGN)
    order = selectors.order_get(act.access, order_id)
    order = services.order_sign(order=order, **act.stamp)
    return presenters.order_dict(order)


@router.post("/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS})
def cancel_order(request, order_id: int, payload: TreatmentReasonIn):
    act = action(request, Capability.PLAN_EDIT)
    order = selectors.order_get(act.access, order_id)
    order = services.order_cancel(order=order, reason=payload.reason, **act.stamp)
    return presenters.order_dict(order)


# --- checklist, REMS, aftercare ---------------------------------------------------------------


@router.get(
    "/courses/{course_id}/checklist", response={200: list[ChecklistEntryOut], **READ_ERRORS}
)
def get_checklist(request, course_id: int):
    act = action(request, Capability.CHART_VIEW)
    course = selectors.course_get(act.access, course_id)
    _audit_view(act, patient_id=course.patient_id, clinic_id=course.clinic_id, what="checklist")
    return [ChecklistEntryOut(**e.__dict__) for e in selectors.course_checklist(course, at=act.at)]


@router.post("/courses/{course_id}/checklist/{key}", response={200: ChecklistStateOut, **ERRORS})
def confirm_checklist(request, course_id: int, key: str, payload: ChecklistNoteIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    services.checklist_confirm(course=course, key=key, note=payload.note, **act.stamp)
    return ChecklistStateOut(key=key, done=True)


@router.delete("/courses/{course_id}/checklist/{key}", response={200: ChecklistStateOut, **ERRORS})
def clear_checklist(request, course_id: int, key: str):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    services.checklist_clear(course=course, key=key, **act.stamp)
    return ChecklistStateOut(key=key, done=False)


@router.put("/courses/{course_id}/rems", response={200: CourseOut, **ERRORS})
def record_rems(request, course_id: int, payload: RemsIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    course = services.course_rems_enrol(
        course=course,
        enrolled_on=payload.enrolled_on,
        enrolment_id=payload.enrolment_id,
        **act.stamp,
    )
    return _course_out(course)


@router.get("/courses/{course_id}/aftercare", response={200: AftercareIn, **READ_ERRORS})
def get_aftercare(request, course_id: int):
    act = action(request, Capability.CHART_VIEW)
    course = selectors.course_get(act.access, course_id)
    plan = AftercarePlan.objects.filter(course=course).first()
    _audit_view(
        act, patient_id=course.patient_id, clinic_id=course.clinic_id, what="aftercare_plan"
    )
    if plan is None:
        raise NotFound("No aftercare plan yet.")
    return {name: getattr(plan, name) for name in AftercarePlan.FIELDS}


@router.put("/courses/{course_id}/aftercare", response={200: AftercareIn, **ERRORS})
def save_aftercare(request, course_id: int, payload: AftercareIn):
    act = action(request, Capability.PLAN_EDIT)
    course = selectors.course_get(act.access, course_id)
    plan = services.aftercare_save(course=course, values=payload.dict(), **act.stamp)
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
    act = action(request, Capability.APPOINTMENT_BOOK)
    course = selectors.course_get(act.access, course_id)
    chair = _chair(act.access, payload.chair_id)
    booked = services.course_book_series(
        course=course,
        phase=payload.phase,
        start=payload.start,
        time=payload.time,
        weekdays=tuple(payload.weekdays) if payload.weekdays else None,
        until=payload.until,
        duration_minutes=payload.duration_minutes or selectors.default_duration_minutes(course),
        chair=chair,
        nurse=_nurse(act.access, payload.nurse_id),
        **act.stamp,
    )
    return Status(201, [presenters.appointment_dict(a) for a in booked])


@router.post("/appointments", response={201: AppointmentOut, **ERRORS})
def book_one(request, payload: AppointmentIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    patient = patient_get(act.access, payload.patient_id)
    course = selectors.course_get(act.access, payload.course_id) if payload.course_id else None
    starts_at = payload.starts_at
    if timezone.is_naive(starts_at):
        starts_at = starts_at.replace(tzinfo=act.clinic.zone)
    appointment = services.appointment_book(
        patient=patient,
        course=course,
        kind=payload.kind,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=payload.duration_minutes),
        chair=_chair(act.access, payload.chair_id),
        nurse=_nurse(act.access, payload.nurse_id),
        **act.stamp,
    )
    return Status(201, presenters.appointment_dict(appointment))


@router.get("/appointments", response={200: list[AppointmentOut], **ERRORS})
def list_appointments(request, day: dt.date | None = None, days: int = 1):
    """The clinic's appointments from ``day`` (clinic time zone, default today) for ``days``."""
    act = action(request, Capability.APPOINTMENT_BOOK)
    if not 1 <= days <= 31:
        raise Invalid.field("days", "Days must be 1 to 31.")
    zone = act.clinic.zone
    day = day or act.at.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = list(selectors.appointments_between(act.clinic, start, start + dt.timedelta(days)))
    audit_record(
        action="view",
        object_type="appointment_list",
        clinic_id=act.clinic.pk,
        summary=f"Listed {len(rows)} appointments through the API",
        changes={"day": day, "days": days, "patient_ids": sorted({a.patient_id for a in rows})},
        **act.stamp,
    )
    return [presenters.appointment_dict(a) for a in rows]


@router.get(
    "/patients/{patient_id}/appointments", response={200: list[AppointmentOut], **READ_ERRORS}
)
def patient_appointments(request, patient_id: int):
    act = action(request, Capability.APPOINTMENT_BOOK)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient_id=patient.pk, clinic_id=patient.clinic_id, what="appointments")
    return [presenters.appointment_dict(a) for a in selectors.appointments_for(patient)]


@router.post("/appointments/{appointment_id}/cancel", response={200: AppointmentOut, **ERRORS})
def cancel_appointment(request, appointment_id: int, payload: TreatmentReasonIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    appointment = selectors.appointment_get(act.access, appointment_id)
    appointment = services.appointment_cancel(
        appointment=appointment, reason=payload.reason, **act.stamp
    )
    return presenters.appointment_dict(appointment)


# --- consent ----------------------------------------------------------------------------------


@router.get("/consent-documents", response={200: list[ConsentDocumentOut], **READ_ERRORS})
def list_consent_documents(request):
    act = action(request, Capability.CONSENT_MANAGE)
    services.consent_documents_ensure(
        clinic=act.clinic, on=act.at.astimezone(act.clinic.zone).date(), origin=act.origin
    )
    return list(ConsentDocument.objects.filter(clinic=act.clinic).order_by("route", "-version"))


@router.post("/consent-documents", response={201: ConsentDocumentOut, **ERRORS})
def publish_consent(request, payload: ConsentDocumentIn):
    act = action(request, Capability.PROTOCOL_EDIT)
    document = services.consent_document_publish(
        clinic=act.clinic, **payload.model_dump(), **act.stamp
    )
    return Status(201, document)


@router.get(
    "/patients/{patient_id}/consents", response={200: list[ConsentStatusOut], **READ_ERRORS}
)
def patient_consents(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = patient_get(act.access, patient_id)
    now = act.at
    rows = []
    for route in Route:
        document = selectors.consent_document_current(patient.clinic, route, at=now)
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
                "current": selectors.consent_is_current(patient, route, at=now),
                "signature_id": signature.pk if signature else None,
                "patient_signed_at": signature.patient_signed_at if signature else None,
                "clinician_signed_at": signature.clinician_signed_at if signature else None,
            }
        )
    _audit_view(act, patient_id=patient.pk, clinic_id=patient.clinic_id, what="consents")
    return rows


def _signature(access, signature_id: int) -> ConsentSignature:
    return get_object_or_404(
        ConsentSignature.objects.select_related("document", "patient"),
        pk=signature_id,
        patient__clinic=access.clinic,
    )


@router.post(
    "/consent-signatures/{signature_id}/countersign", response={200: CountersignedOut, **ERRORS}
)
def countersign(request, signature_id: int):
    act = action(request, Capability.CONSENT_MANAGE)
    signature = _signature(act.access, signature_id)
    signature = services.consent_countersign(signature=signature, **act.stamp)
    return CountersignedOut(id=signature.pk, clinician_signed_at=signature.clinician_signed_at)


@router.post("/consent-signatures/{signature_id}/revoke", response={200: RevokedOut, **ERRORS})
def revoke(request, signature_id: int, payload: TreatmentReasonIn):
    act = action(request, Capability.CONSENT_MANAGE)
    signature = _signature(act.access, signature_id)
    signature = services.consent_revoke(signature=signature, reason=payload.reason, **act.stamp)
    return RevokedOut(id=signature.pk, revoked_at=signature.revoked_at)
