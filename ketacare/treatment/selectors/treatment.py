"""Reads of screenings, courses, orders and appointments, clinic-scoped; the clinic's protocol
and the course checklist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet
from django.http import Http404

from ketacare.clinic_settings.selectors import StoredValue
from ketacare.clinic_settings.selectors import clinic_protocol as settings_of
from ketacare.clinical.common import Route
from ketacare.clinical.dosing import BodyMeasurements
from ketacare.clinical.monitoring import MonitoringProtocol
from ketacare.core.access import Access
from ketacare.core.lookups import one_or_not_found
from ketacare.core.models import Chair, Clinic, StaffMembership, User
from ketacare.core.roles import Role
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.patients.selectors import intake_current
from ketacare.treatment import checklist
from ketacare.treatment.models import (
    Appointment,
    ChecklistItem,
    ConsentSignature,
    Order,
    RemsEnrolment,
    ScreeningResult,
    TreatmentCourse,
    overlapping,
)
from ketacare.treatment.protocol import (
    PREFIX,
    ClinicProtocol,
    build_protocol,
)
from ketacare.treatment.selectors.consent import (
    consent_is_current,
)

ACTIVE_APPOINTMENT = (Appointment.Status.BOOKED, Appointment.Status.COMPLETED)


def protocol_overrides(clinic: Clinic) -> dict[str, object]:
    """The clinic's own treatment protocol values (stored with every other protocol setting)."""
    return {key: row.value for key, row in protocol_stored(clinic).items()}


def protocol_stored(clinic: Clinic) -> dict[str, StoredValue]:
    """The clinic's own treatment protocol values with who set each and when (protocol keys)."""
    stored = settings_of(clinic).stored  # the one read of the clinic's settings per request
    return {
        key.removeprefix(f"{PREFIX}."): row
        for key, row in stored.items()
        if key.startswith(f"{PREFIX}.")
    }


def clinic_protocol(clinic: Clinic) -> ClinicProtocol:
    """The clinical-core objects in force at ``clinic`` (reference defaults + its overrides)."""
    return build_protocol(protocol_overrides(clinic))


def monitoring_protocol(clinic: Clinic, route: Route | str) -> MonitoringProtocol:
    """The monitoring protocol for ``route`` with the clinic's fasting times (for sessions)."""
    return clinic_protocol(clinic).monitoring[Route(route)]


def rems_enrolment(patient_id: int) -> RemsEnrolment | None:
    """The patient's one SPRAVATO REMS enrolment record, if any."""
    return RemsEnrolment.objects.filter(patient_id=patient_id).first()


def _clinic_id(access: Access) -> int:
    if access.clinic is None:
        raise Http404("No clinic in use.")
    return access.clinic.pk


def course_get(access: Access, course_id: int) -> TreatmentCourse:
    return one_or_not_found(
        TreatmentCourse.objects.select_related("patient", "clinic", "screening"),
        "No such course at this clinic.",
        pk=course_id,
        clinic_id=_clinic_id(access),
    )


def order_get(access: Access, order_id: int) -> Order:
    return one_or_not_found(
        Order.objects.select_related("course", "patient"),
        "No such order at this clinic.",
        pk=order_id,
        course__clinic_id=_clinic_id(access),
    )


def screening_get(access: Access, screening_id: int) -> ScreeningResult:
    return one_or_not_found(
        ScreeningResult.objects.select_related("patient", "screened_by"),
        "No such screening at this clinic.",
        pk=screening_id,
        clinic_id=_clinic_id(access),
    )


def appointment_get(access: Access, appointment_id: int) -> Appointment:
    return one_or_not_found(
        Appointment.objects.select_related("patient", "course", "chair", "nurse"),
        "No such appointment at this clinic.",
        pk=appointment_id,
        clinic_id=_clinic_id(access),
    )


def screenings_for(patient: Patient) -> QuerySet[ScreeningResult]:
    return ScreeningResult.objects.filter(patient=patient).select_related("screened_by")


def latest_screening(patient: Patient, route: str, indication: str) -> ScreeningResult | None:
    return screenings_for(patient).filter(route=route, indication=indication).first()


def courses_for(patient: Patient) -> QuerySet[TreatmentCourse]:
    return TreatmentCourse.objects.filter(patient=patient).select_related("screening")


def appointments_for(patient: Patient) -> QuerySet[Appointment]:
    return Appointment.objects.filter(patient=patient).select_related("chair", "nurse", "course")


def upcoming_appointments(patient: Patient, *, now: dt.datetime) -> QuerySet[Appointment]:
    return appointments_for(patient).filter(status=Appointment.Status.BOOKED, ends_at__gte=now)


def treatment_datetimes(patient: Patient) -> list[dt.datetime]:
    """Start times of the patient's treatment appointments that are booked or completed, oldest
    first, future ones included (callers cut at their own "now"); cancelled and no-shows left out.
    For marking treatments on outcome charts."""
    return list(
        Appointment.objects.filter(
            patient=patient, kind=Appointment.Kind.TREATMENT, status__in=ACTIVE_APPOINTMENT
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )


def treatment_datetimes_by_patient(patient_ids) -> dict[int, list[dt.datetime]]:
    """``treatment_datetimes`` for many patients in one query (the clinic's due list)."""
    times: dict[int, list[dt.datetime]] = {pk: [] for pk in patient_ids}
    rows = (
        Appointment.objects.filter(
            patient_id__in=list(times),
            kind=Appointment.Kind.TREATMENT,
            status__in=ACTIVE_APPOINTMENT,
        )
        .order_by("starts_at")
        .values_list("patient_id", "starts_at")
    )
    for patient_id, starts_at in rows:
        times[patient_id].append(starts_at)
    return times


def appointments_between(
    clinic: Clinic, start: dt.datetime, end: dt.datetime
) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(overlapping(start, end), clinic=clinic)
        .select_related("patient", "chair", "nurse", "course")
        .order_by("starts_at", "chair__name")
    )


def courses_to_book(clinic: Clinic, *, now: dt.datetime) -> QuerySet[TreatmentCourse]:
    """Open courses with no treatment booked from ``now`` on: the front desk's booking list."""
    upcoming = Appointment.objects.filter(
        kind=Appointment.Kind.TREATMENT, status=Appointment.Status.BOOKED, starts_at__gte=now
    ).values("course_id")
    return (
        TreatmentCourse.objects.filter(clinic=clinic)
        .exclude(phase__in=(TreatmentCourse.Phase.COMPLETED, TreatmentCourse.Phase.PAUSED))
        .exclude(pk__in=upcoming)
        .select_related("patient")
        .order_by("created_at")
    )


def orders_visible(course: TreatmentCourse, access: Access) -> QuerySet[Order]:
    """Every order for prescribers; only actionable (signed) and past ones for everyone else,
    so a nurse never sees a draft as something to act on."""
    orders = course.orders.select_related("signed_by", "created_by").order_by("-created_at")
    if access.is_prescriber:
        return orders
    return orders.exclude(status=Order.Status.DRAFT)


def signed_order(course: TreatmentCourse) -> Order | None:
    return course.orders.filter(status=Order.Status.SIGNED).first()


def last_dosed_order(course: TreatmentCourse) -> Order | None:
    """The order the next dose is titrated from: the signed one, else the latest superseded."""
    return (
        course.orders.filter(status__in=(Order.Status.SIGNED, Order.Status.SUPERSEDED))
        .order_by("-signed_at")
        .first()
    )


@dataclass(frozen=True)
class Body:
    """What dosing knows of the patient's body, from the current intake."""

    measurements: BodyMeasurements | None
    intake: IntakeVersion | None
    problem: str = ""


def body_for_dosing(patient: Patient) -> Body:
    intake = intake_current(patient)
    data = intake.data if intake else {}
    weight = data.get("weight_kg")
    if not weight:
        return Body(None, intake, "No weight recorded in the current intake: enter it first.")
    sex = patient.sex_at_birth if patient.sex_at_birth in ("female", "male") else None
    return Body(
        BodyMeasurements(weight_kg=float(weight), height_cm=data.get("height_cm"), sex=sex),
        intake,
    )


def nurses_at(clinic: Clinic) -> QuerySet[User]:
    ids = StaffMembership.objects.filter(clinic=clinic, role=Role.NURSE, active=True).values(
        "user_id"
    )
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name")


def chairs_at(clinic: Clinic) -> QuerySet[Chair]:
    return Chair.objects.filter(clinic=clinic, active=True).order_by("name")


def baseline_scores_recorded(patient: Patient, *, before: dt.datetime | None = None) -> bool | None:
    """Whether the assessments app holds a score for the patient (before ``before`` if given).

    None when the assessments app offers nothing to read yet: the item is then confirmed by hand.
    """
    try:
        from ketacare.assessments import selectors as assessment_selectors
    except ImportError:
        assessment_selectors = None
    reader = getattr(assessment_selectors, "baseline_recorded", None)
    if callable(reader):
        return bool(reader(patient))
    try:
        models = apps.get_app_config("assessments").get_models()
    except LookupError:
        return None
    for model in models:
        names = {f.name for f in model._meta.get_fields()}
        if "patient" in names and names & {"total", "score"}:
            return model.objects.filter(patient=patient).exists()
    return None


@dataclass(frozen=True)
class ChecklistEntry:
    key: str
    label: str
    why: str
    source: str
    manual: bool
    done: bool
    detail: str = ""
    done_by: str = ""
    done_at: dt.datetime | None = None


def course_checklist(course: TreatmentCourse, *, at: dt.datetime) -> list[ChecklistEntry]:
    """The pre-treatment checklist: every item that applies, done or not, and why it applies."""
    protocol = clinic_protocol(course.clinic)
    intake = intake_current(course.patient)
    conditions = (intake.data.get("conditions") or {}) if intake else {}
    required = checklist.required_items(
        route=course.route, policies=protocol.checklist, conditions=conditions
    )
    confirmed = {
        item.key: item
        for item in ChecklistItem.objects.filter(course=course).select_related("done_by")
    }
    entries = []
    for key, why in required.items():
        spec = checklist.ITEMS[key]
        done, detail = False, ""
        item = confirmed.get(key)
        if key == "screening":
            screening = course.screening
            current_number = intake.number if intake else None
            done = bool(
                screening
                and screening.allows_treatment
                and screening.intake_number == current_number
            )
            if screening is None:
                detail = "No screening linked to this course."
            elif screening.intake_number != current_number:
                detail = (
                    f"Screened on intake v{screening.intake_number}; the intake is now "
                    f"v{current_number}: screen again."
                )
            else:
                detail = f"{screening.outcome_label} (intake v{screening.intake_number})"
        elif key == "consent":
            done = consent_is_current(course.patient, course.route, at=at)
            detail = "" if done else "Patient signature and clinician countersignature needed."
        elif key == "rems_enrolment":
            rems = rems_enrolment(course.patient_id)
            done = rems is not None and rems.enrolled
            detail = rems.summary if done else "Record the REMS patient enrolment."
        elif key == "baseline_scores":
            recorded = baseline_scores_recorded(course.patient)
            done = bool(recorded) or item is not None
            if recorded:
                detail = "Scores found in the assessment record."
        else:
            done = item is not None
        if item is not None:
            detail = item.note or detail
        entries.append(
            ChecklistEntry(
                key=key,
                label=spec.label,
                why=why,
                source=spec.source,
                manual=spec.manual,
                done=done,
                detail=detail,
                done_by=(item.done_by.get_full_name() or item.done_by.username) if item else "",
                done_at=item.done_at if item else None,
            )
        )
    return entries


def first_treatment_at(course: TreatmentCourse) -> dt.datetime | None:
    first = (
        course.appointments.filter(kind=Appointment.Kind.TREATMENT, status__in=ACTIVE_APPOINTMENT)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return first


def relapse_status(course: TreatmentCourse, *, code: str = "phq9") -> tuple[bool | None, str]:
    """Whether the outcome rules (``clinical.outcomes.course_status``) see a relapse.

    Reads ``ketacare.assessments.selectors.dated_scores(patient, code=...)`` when the assessments
    app offers it; (None, why) when scores cannot be read, and the prescriber documents the
    relapse instead.
    """
    from ketacare.clinical.outcomes import CourseState, course_status

    try:
        from ketacare.assessments import selectors as assessment_selectors
    except ImportError:
        return None, "Scores are not available here: document the relapse."
    reader = getattr(assessment_selectors, "dated_scores", None)
    first = first_treatment_at(course)
    if not callable(reader) or first is None:
        return None, "Scores are not available here: document the relapse."
    status = course_status(
        list(reader(course.patient, code=code)), code=code, first_treatment_at=first
    )
    return status.status is CourseState.RELAPSE, status.reason


def booster_grounds(course: TreatmentCourse, reason: str) -> tuple[bool, str]:
    """(relapse detected, the reason recorded) for a move into a booster: the outcome rules'
    verdict when the scores show a relapse, else the prescriber's described relapse."""
    detected, why = relapse_status(course)
    if detected:
        return True, reason.strip() or why
    return bool(reason.strip()), reason.strip()


def signed_order_for(appointment: Appointment) -> Order | None:
    """The signed order that authorises the appointment's treatment, or None.

    None when the appointment is not a treatment, has no course, or its course has no signed
    order (a draft, cancelled or superseded order never authorises anything).
    """
    if appointment.kind != Appointment.Kind.TREATMENT or appointment.course_id is None:
        return None
    return Order.objects.filter(course_id=appointment.course_id, status=Order.Status.SIGNED).first()


# --- cohort reads (analytics export) ------------------------------------------------------------


def courses_in_scope(access: Access) -> QuerySet[TreatmentCourse]:
    """Every treatment course of the clinic in use."""
    if access.clinic is None:
        return TreatmentCourse.objects.none()
    return TreatmentCourse.objects.filter(clinic_id=access.clinic.pk)


def screenings_in_scope(access: Access) -> QuerySet[ScreeningResult]:
    if access.clinic is None:
        return ScreeningResult.objects.none()
    return ScreeningResult.objects.filter(clinic_id=access.clinic.pk)


def consents_in_scope(access: Access) -> QuerySet[ConsentSignature]:
    """Consent signatures of the clinic's patients (complete or not, revoked or not)."""
    if access.clinic is None:
        return ConsentSignature.objects.none()
    return ConsentSignature.objects.filter(patient__clinic_id=access.clinic.pk)


def treatment_appointments_in_scope(access: Access, *, until: dt.datetime) -> QuerySet[Appointment]:
    """The clinic's treatment appointments that took place or are booked up to ``until``
    (cancelled and no-shows left out), oldest first: the treatments outcomes count from."""
    if access.clinic is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(
        clinic_id=access.clinic.pk,
        kind=Appointment.Kind.TREATMENT,
        status__in=ACTIVE_APPOINTMENT,
        course_id__isnull=False,
        starts_at__lte=until,
    ).order_by("starts_at", "pk")


def orders_in_scope(access: Access) -> QuerySet[Order]:
    """Every order of the clinic in use that a prescriber signed (still in force, superseded or
    cancelled after signing); drafts are left out."""
    if access.clinic is None:
        return Order.objects.none()
    return Order.objects.filter(course__clinic_id=access.clinic.pk, signed_at__isnull=False)


def appointments_in_scope(access: Access) -> QuerySet[Appointment]:
    """Every appointment of the clinic in use, of any kind and status."""
    if access.clinic is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(clinic_id=access.clinic.pk)
