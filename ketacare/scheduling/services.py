"""Booking writes: a proposal in one step, moves, cancellations, no-shows, confirmations.

Each write is one transaction that first locks the clinic's ``ScheduleLock`` row, then checks
every slot against the calendar as it is now (``clinical.scheduling.check_slot``), then writes.
The database's own guard (``Occupancy``) refuses whatever might still slip through; either way
the second of two people booking the last chair gets ``Refused`` with a sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Max

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.scheduling import Problem, Slot, Why, check_slot
from ketacare.clinical.scheduling_series import SeriesPattern, check_move, spacing_problems
from ketacare.core.errors import Invalid, Refused
from ketacare.core.events import emit
from ketacare.core.models import Clinic
from ketacare.scheduling import events, selectors
from ketacare.scheduling.finding import check_course
from ketacare.scheduling.models import Booking, ChangeRequest, ScheduleLock, Series
from ketacare.scheduling.protocol import SchedulingProtocol, scheduling_protocol
from ketacare.treatment.models import Appointment, TreatmentCourse

# Problems with the input itself (422); the rest are the calendar's state (409).
INPUT_PROBLEMS = frozenset(
    {Why.PAST, Why.CLOSED, Why.OUTSIDE_HOURS, Why.NO_CAPABLE_CHAIR, Why.SPACING, Why.WINDOW}
)


@dataclass(frozen=True)
class SlotChoice:
    """One slot of a proposal as the person booking chose it."""

    start: dt.datetime
    chair_id: int
    nurse_id: int | None = None


def when(appointment_or_start, zone) -> str:
    start = getattr(appointment_or_start, "starts_at", appointment_or_start)
    return f"{start.astimezone(zone):%a %d %b %Y %H:%M}"


def lock_schedule(clinic: Clinic) -> None:
    """Take the clinic's booking lock for the rest of the transaction."""
    ScheduleLock.objects.get_or_create(clinic=clinic)
    ScheduleLock.objects.select_for_update().get(clinic=clinic)


def refuse(problems: Sequence[Problem], *, prefix: str = "", field: str = "start") -> None:
    """Raise the refusal the problems call for: Invalid for bad input, else Refused."""
    if not problems:
        return
    text = " ".join(dict.fromkeys(f"{p.message} {p.fix}" for p in problems))
    message = f"{prefix}{text}"
    details = {"problems": [{"why": str(p.why), "message": p.message} for p in problems]}
    if any(p.why in INPUT_PROBLEMS for p in problems):
        raise Invalid(message, fields={field: message}, details=details)
    raise Refused(message, details=details)


def _change_requests_handled(appointment: Appointment, origin: RequestOrigin, at) -> None:
    ChangeRequest.objects.filter(appointment=appointment, handled_at__isnull=True).update(
        handled_at=at, handled_by=origin.actor
    )


def _audit(
    origin: RequestOrigin,
    appointment: Appointment,
    action: str,
    summary: str,
    at: dt.datetime,
    changes: dict | None = None,
) -> None:
    audit_record(
        origin=origin,
        action=action,
        object_type="appointment",
        record=appointment,
        summary=summary[:300],
        changes=changes,
        at=at,
    )


@transaction.atomic
def series_book(
    *,
    course: TreatmentCourse,
    phase: str | None,
    slots: Sequence[SlotChoice],
    origin: RequestOrigin,
    at: dt.datetime,
    step: int = 0,
) -> list[Appointment]:
    """Book a proposal: one session (``phase`` None) or a whole series, all or none.

    Every slot is checked again now: in the future, inside opening hours, a chair that can take
    the route and is free, a nurse and (when needed) a prescriber, the patient free, and the
    series' spacing rules. Each appointment carries the route's preparation instructions.
    """
    if not slots:
        raise Invalid.field("slots", "Choose at least one slot to book.")
    check_course(course)
    clinic = course.clinic
    lock_schedule(clinic)
    protocol = scheduling_protocol(clinic)
    needs = protocol.needs(course.route)
    ordered = sorted(slots, key=lambda s: s.start)
    zone = clinic.zone
    days = [s.start.astimezone(zone).date() for s in ordered]
    pattern = None
    if phase is not None:
        pattern = protocol.pattern(course.regimen_key, phase, sessions=len(ordered), step=step)
        refuse(spacing_problems(pattern, days), field="slots")
    elif len(ordered) > 1:
        raise Invalid.field("phase", "Say which phase a series of sessions belongs to.")
    calendar = selectors.calendar_for(clinic, protocol, first=days[0], last=days[-1])
    patient = selectors.patient_availability(course.patient, first=days[0], last=days[-1])
    checked: list[Slot] = []
    for number, choice in enumerate(ordered, start=1):
        slot, problems = check_slot(
            needs,
            calendar,
            patient,
            start=choice.start,
            now=at,
            chair_id=choice.chair_id,
            nurse_id=choice.nurse_id,
        )
        label = f"Session {number} ({when(choice.start, zone)}): " if len(ordered) > 1 else ""
        refuse(problems, prefix=label)
        assert slot is not None
        checked.append(slot)
    series = None
    if pattern is not None:
        series = Series.objects.create(
            clinic=clinic,
            course=course,
            phase=phase,
            step=step,
            pattern=asdict(pattern),
            created_at=at,
            created_by=origin.actor,
        )
    first_number = (course.appointments.aggregate(n=Max("sequence"))["n"] or 0) + 1
    instructions = protocol.preparation(course.route)
    booked = []
    for index, slot in enumerate(checked):
        appointment = Appointment.objects.create(
            clinic=clinic,
            patient=course.patient,
            course=course,
            kind=Appointment.Kind.TREATMENT,
            chair_id=slot.chair_id,
            nurse_id=slot.nurse_id,
            starts_at=slot.start,
            ends_at=slot.end,
            sequence=first_number + index,
            preparation_instructions=instructions,
            created_at=at,
        )
        Booking.objects.create(
            appointment=appointment,
            series=series,
            nurse_minutes=needs.nurse_minutes,
            prescriber_id=slot.prescriber_id,
            booked_at=at,
            booked_by=origin.actor,
        )
        booked.append(appointment)
    what = f"{len(booked)} {phase} sessions" if phase else "1 session"
    audit_record(
        origin=origin,
        action="create",
        object_type="appointment",
        object_id=",".join(str(a.pk) for a in booked)[:60],
        clinic_id=clinic.pk,
        patient_id=course.patient_id,
        summary=f"Booked {what} from {when(booked[0], zone)} ({needs.chair_minutes} min each)",
        changes={"appointments": [a.pk for a in booked], "series": series.pk if series else None},
        at=at,
    )
    emit(events.APPOINTMENTS_BOOKED, appointments=booked, at=at)
    return booked


def _movable(appointment: Appointment, at: dt.datetime) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise Refused(f"This appointment is {appointment.get_status_display().lower()}.")
    if appointment.starts_at <= at:
        raise Refused("This appointment has started or passed; it can no longer be moved.")
    session = getattr(appointment, "treatment_session", None)
    if session is not None and session.state != "scheduled":
        raise Refused("The patient is already checked in for this session.")


def _series_check(appointment: Appointment, new_start: dt.datetime) -> None:
    """Refuse a move that breaks the series' spacing, naming what else must move."""
    sessions = selectors.series_sessions(appointment)
    if len(sessions) < 2:
        return
    pattern = SeriesPattern(**appointment.booking.series.pattern)
    zone = appointment.clinic.zone
    days = [s.starts_at.astimezone(zone).date() for s in sessions]
    index = [s.pk for s in sessions].index(appointment.pk)
    result = check_move(pattern, days, index, new_start.astimezone(zone).date())
    if not result.problems and not result.must_move:
        return
    also = [
        f"session {sessions[i].sequence or i + 1} ({when(sessions[i], zone)[:10]}) to "
        f"{earliest:%a %d %b} or later"
        for i, earliest in result.must_move
    ]
    text = " ".join(p.message for p in result.problems)
    if also:
        text += " Move " + "; ".join(also) + " first, or choose another day."
    raise Invalid(
        text.strip(),
        fields={"start": text.strip()},
        details={
            "must_move": [
                {"appointment_id": sessions[i].pk, "earliest": earliest.isoformat()}
                for i, earliest in result.must_move
            ]
        },
    )


@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    start: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    chair_id: int | None = None,
    nurse_id: int | None = None,
    protocol: SchedulingProtocol | None = None,
) -> Appointment:
    """Move a booked appointment with the same checks as booking it; a session of a series
    is also checked against the series' spacing, and the refusal says what else must move."""
    clinic = appointment.clinic
    lock_schedule(clinic)
    appointment = selectors.appointment_get_for_update(appointment.pk)
    _movable(appointment, at)
    protocol = protocol or scheduling_protocol(clinic)
    if appointment.kind == Appointment.Kind.TREATMENT and appointment.course_id:
        needs = protocol.needs(appointment.course.route)
    else:
        needs = selectors.visit_needs(appointment)
    _series_check(appointment, start)
    day = start.astimezone(clinic.zone).date()
    calendar = selectors.calendar_for(
        clinic, protocol, first=day, last=day, exclude=[appointment.pk]
    )
    patient = selectors.patient_availability(
        appointment.patient, first=day, last=day, exclude=[appointment.pk]
    )
    chair = chair_id or appointment.chair_id
    slot, problems = check_slot(
        needs,
        calendar,
        patient,
        start=start,
        now=at,
        chair_id=chair,
        nurse_id=nurse_id or appointment.nurse_id,
    )
    if slot is None and nurse_id is None and appointment.nurse_id:
        # The booked nurse is not free then: any nurse who is will do.
        slot, problems = check_slot(needs, calendar, patient, start=start, now=at, chair_id=chair)
    refuse(problems)
    assert slot is not None
    before = {"starts_at": appointment.starts_at, "chair": appointment.chair_id}
    appointment.starts_at, appointment.ends_at = slot.start, slot.end
    appointment.chair_id, appointment.nurse_id = slot.chair_id, slot.nurse_id
    appointment.save(update_fields=["starts_at", "ends_at", "chair", "nurse"])
    booking, _ = Booking.objects.get_or_create(
        appointment=appointment, defaults={"booked_at": at, "nurse_minutes": needs.nurse_minutes}
    )
    booking.moved_at, booking.confirmed_at = at, None
    booking.prescriber_id = slot.prescriber_id
    booking.save(update_fields=["moved_at", "confirmed_at", "prescriber"])
    _change_requests_handled(appointment, origin, at)
    zone = clinic.zone
    _audit(
        origin,
        appointment,
        "update",
        f"Moved appointment from {when(before['starts_at'], zone)} to {when(slot.start, zone)}",
        at,
        {
            "starts_at": {"before": before["starts_at"], "after": slot.start},
            "chair": {"before": before["chair"], "after": slot.chair_id},
        },
    )
    emit(
        events.APPOINTMENT_MOVED,
        appointment=appointment,
        freed_start=before["starts_at"],
        freed_chair_id=before["chair"],
        at=at,
    )
    return appointment


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, origin: RequestOrigin, at: dt.datetime
) -> Appointment:
    """Cancel with a reason; under the clinic's late-cancel window it is recorded as late."""
    if not reason.strip():
        raise Invalid.field("reason", "Say why the appointment is cancelled.")
    appointment = selectors.appointment_get_for_update(appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise Refused(f"This appointment is {appointment.get_status_display().lower()}.")
    protocol = scheduling_protocol(appointment.clinic)
    late = appointment.starts_at - at < dt.timedelta(hours=protocol.late_cancel_hours)
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    booking, _ = Booking.objects.get_or_create(appointment=appointment, defaults={"booked_at": at})
    booking.cancelled_at, booking.cancel_reason, booking.late_cancel = (
        at,
        reason.strip()[:300],
        late,
    )
    booking.save(update_fields=["cancelled_at", "cancel_reason", "late_cancel"])
    _change_requests_handled(appointment, origin, at)
    lateness = f" (late: under {protocol.late_cancel_hours} h before)" if late else ""
    _audit(
        origin,
        appointment,
        "update",
        f"Cancelled appointment {when(appointment, appointment.clinic.zone)}{lateness}: "
        f"{reason.strip()}",
        at,
        {"status": {"before": "booked", "after": "cancelled"}, "late": late},
    )
    emit(
        events.APPOINTMENT_CANCELLED,
        appointment=appointment,
        freed_start=appointment.starts_at,
        freed_chair_id=appointment.chair_id,
        at=at,
    )
    return appointment


@transaction.atomic
def appointment_no_show(
    *, appointment: Appointment, origin: RequestOrigin, at: dt.datetime
) -> Appointment:
    """Record that the patient did not come (only once the appointment has started)."""
    appointment = selectors.appointment_get_for_update(appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise Refused(f"This appointment is {appointment.get_status_display().lower()}.")
    if at < appointment.starts_at:
        raise Refused("A no-show is recorded once the appointment time has come.")
    session = getattr(appointment, "treatment_session", None)
    if session is not None and session.state != "scheduled":
        raise Refused("The patient checked in for this session; it is not a no-show.")
    appointment.status = Appointment.Status.NO_SHOW
    appointment.save(update_fields=["status"])
    booking, _ = Booking.objects.get_or_create(appointment=appointment, defaults={"booked_at": at})
    booking.no_show_at = at
    booking.save(update_fields=["no_show_at"])
    _audit(
        origin,
        appointment,
        "update",
        f"No-show: {when(appointment, appointment.clinic.zone)}",
        at,
        {"status": {"before": "booked", "after": "no_show"}},
    )
    emit(events.APPOINTMENT_NO_SHOW, appointment=appointment, at=at)
    return appointment


def appointment_confirm(
    *, appointment: Appointment, origin: RequestOrigin, at: dt.datetime
) -> Appointment:
    """The patient confirmed they will come (from a reminder or the portal)."""
    booking, _ = Booking.objects.get_or_create(appointment=appointment, defaults={"booked_at": at})
    booking.confirmed_at = at
    booking.save(update_fields=["confirmed_at"])
    _audit(origin, appointment, "update", "Patient confirmed the appointment", at)
    return appointment
