"""Booking: one appointment or a regimen's series, never double-booking a chair, a nurse or the
patient; cancelling with a reason."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.regimens import plan_booster, plan_induction, plan_maintenance
from ketacare.core.models import Chair, Clinic, User
from ketacare.patients.models import Patient
from ketacare.treatment import selectors
from ketacare.treatment.errors import BookingConflict, TreatmentError, TreatmentInvalid
from ketacare.treatment.models import Appointment, TreatmentCourse
from ketacare.treatment.preparation import instructions_text
from ketacare.treatment.selectors.booking import (
    _when,
    appointment_conflicts,
)


def _check_resources(clinic: Clinic, chair: Chair | None, nurse: User | None) -> None:
    if chair is not None and (chair.clinic_id != clinic.pk or not chair.active):
        raise TreatmentError("Choose an active chair of this clinic.", fields={"chair": "Invalid."})
    if nurse is not None and not selectors.nurses_at(clinic).filter(pk=nurse.pk).exists():
        raise TreatmentError("Choose a nurse of this clinic.", fields={"nurse": "Invalid."})


def _audit_booking(origin: RequestOrigin, appointment: Appointment, at: dt.datetime) -> None:
    audit_record(
        origin=origin,
        action="create",
        object_type="appointment",
        record=appointment,
        summary=f"Booked {appointment.get_kind_display().lower()} "
        f"{_when(appointment.starts_at, appointment.ends_at, appointment.clinic.zone)}"
        + (f" in {appointment.chair.name}" if appointment.chair_id else ""),
        at=at,
    )


def _instructions(course: TreatmentCourse | None, kind: str) -> str:
    if course is None or kind != Appointment.Kind.TREATMENT:
        return ""
    protocol = selectors.clinic_protocol(course.clinic)
    return instructions_text(course.route, protocol.monitoring[Route(course.route)])


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    kind: str = Appointment.Kind.TREATMENT,
    course: TreatmentCourse | None = None,
    chair: Chair | None = None,
    nurse: User | None = None,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Appointment:
    """Book one appointment; refused on any conflict, in the past, or without a chair for a
    treatment."""
    clinic = patient.clinic
    if kind not in Appointment.Kind.values:
        raise TreatmentInvalid(f"Unknown appointment kind {kind!r}.")
    if course is not None and course.patient_id != patient.pk:
        raise TreatmentInvalid("The course belongs to another patient.")
    if kind == Appointment.Kind.TREATMENT:
        if course is None:
            raise TreatmentInvalid("A treatment is booked on a course.")
        if chair is None:
            raise TreatmentError("A treatment needs a chair.", fields={"chair": "Required."})
    if ends_at <= starts_at:
        raise TreatmentInvalid("The appointment must end after it starts.")
    if starts_at < at:
        raise TreatmentError("The appointment is in the past.", fields={"date": "In the past."})
    _check_resources(clinic, chair, nurse)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    problems = appointment_conflicts(
        patient=patient, chair=chair, nurse=nurse, starts_at=starts_at, ends_at=ends_at
    )
    if problems:
        raise BookingConflict(" ".join(problems))
    sequence = None
    if course is not None and kind == Appointment.Kind.TREATMENT:
        sequence = (course.appointments.aggregate(n=Max("sequence"))["n"] or 0) + 1
    appointment = Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        kind=kind,
        chair=chair,
        nurse=nurse,
        starts_at=starts_at,
        ends_at=ends_at,
        sequence=sequence,
        preparation_instructions=_instructions(course, kind),
        created_at=at,
    )
    _audit_booking(origin, appointment, at)
    return appointment


@transaction.atomic
def course_book_series(
    *,
    course: TreatmentCourse,
    phase: str,
    start: dt.date,
    time: dt.time,
    duration_minutes: int,
    chair: Chair,
    nurse: User | None,
    origin: RequestOrigin,
    at: dt.datetime,
    weekdays: tuple[int, ...] | None = None,
    until: dt.date | None = None,
) -> list[Appointment]:
    """Book the regimen's sessions for ``phase`` (induction, maintenance or booster) from
    ``start`` at ``time`` in the clinic's zone. All or none: any conflict refuses the series."""
    if course.phase == TreatmentCourse.Phase.COMPLETED:
        raise TreatmentError("The course is completed.")
    if duration_minutes < 5 or duration_minutes > 24 * 60:
        raise TreatmentInvalid("Duration must be 5 minutes to 24 hours.")
    _check_resources(course.clinic, chair, nurse)
    template = selectors.clinic_protocol(course.clinic).templates[course.regimen_key]
    try:
        if phase == "induction":
            planned = plan_induction(template, start=start, weekdays=weekdays)
        elif phase == "maintenance":
            if until is None:
                raise ClinicalRuleError("Maintenance is open-ended: give the last date to book.")
            planned = plan_maintenance(template, start=start, until=until)
        elif phase == "booster":
            planned = plan_booster(
                template,
                start=start,
                relapse_detected=course.phase == TreatmentCourse.Phase.BOOSTER,
                weekdays=weekdays,
            )
        else:
            raise ClinicalRuleError(f"Unknown phase {phase!r}")
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused), fields={"start": str(refused)}) from None
    zone = course.clinic.zone
    length = dt.timedelta(minutes=duration_minutes)
    slots = [(p, dt.datetime.combine(p.scheduled_date, time, tzinfo=zone)) for p in planned]
    Patient.objects.select_for_update().filter(pk=course.patient_id).first()
    problems = []
    for _, starts_at in slots:
        if starts_at < at:
            problems.append(f"{starts_at:%Y-%m-%d %H:%M} is in the past.")
        problems += appointment_conflicts(
            patient=course.patient,
            chair=chair,
            nurse=nurse,
            starts_at=starts_at,
            ends_at=starts_at + length,
        )
    if problems:
        raise BookingConflict("The series was not booked: " + " ".join(dict.fromkeys(problems)))
    first = (course.appointments.aggregate(n=Max("sequence"))["n"] or 0) + 1
    instructions = _instructions(course, Appointment.Kind.TREATMENT)
    booked = []
    for index, (_, starts_at) in enumerate(slots):
        appointment = Appointment.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            course=course,
            kind=Appointment.Kind.TREATMENT,
            chair=chair,
            nurse=nurse,
            starts_at=starts_at,
            ends_at=starts_at + length,
            sequence=first + index,
            preparation_instructions=instructions,
            created_at=at,
        )
        booked.append(appointment)
    audit_record(
        origin=origin,
        action="create",
        object_type="appointment",
        object_id=",".join(str(a.pk) for a in booked)[:60],
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        summary=f"Booked {len(booked)} {phase} treatments from {start:%Y-%m-%d} in {chair.name}",
        changes={"appointments": [a.pk for a in booked]},
        at=at,
    )
    return booked


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, origin: RequestOrigin, at: dt.datetime
) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise TreatmentError(f"This appointment is {appointment.get_status_display().lower()}.")
    if not reason.strip():
        raise TreatmentInvalid("Say why it is cancelled.", fields={"reason": "Required."})
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    audit_record(
        origin=origin,
        action="update",
        object_type="appointment",
        record=appointment,
        summary=f"Cancelled appointment "
        f"{_when(appointment.starts_at, appointment.ends_at, appointment.clinic.zone)}: "
        f"{reason.strip()}"[:300],
        changes={"status": {"before": "booked", "after": "cancelled"}, "reason": reason.strip()},
        at=at,
    )
    return appointment
