"""Reads: the clinic's calendar for slot finding, the patient's availability, scoped lookups.

Each read is a fixed number of queries however many appointments the days hold.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from ketacare.clinical.scheduling import (
    ChairCalendar,
    ClinicCalendar,
    Commitment,
    Interval,
    PatientAvailability,
    StaffCalendar,
    add_minutes,
    subtract,
    weekly_intervals,
)
from ketacare.clinical.scheduling_needs import ResourceNeeds
from ketacare.clinical.scheduling_needs import visit_needs as needs_of_visit
from ketacare.core.access import Access
from ketacare.core.errors import NotFound
from ketacare.core.models import Chair, Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.patients.models import Patient
from ketacare.scheduling.models import (
    ChairBlock,
    Closure,
    OpeningHours,
    PatientPreferences,
    StaffHours,
    TimeOff,
    WaitlistEntry,
)
from ketacare.scheduling.protocol import SchedulingProtocol
from ketacare.treatment.models import Appointment, TreatmentCourse, overlapping

HOLDS_TIME = (Appointment.Status.BOOKED, Appointment.Status.COMPLETED)
PRESCRIBER_ROLES = (Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)


def day_bounds(clinic: Clinic, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight at the start of ``first`` to midnight after ``last``, in the clinic's zone."""
    return day_bounds_zone(clinic.zone, first, last)


def day_bounds_zone(zone, first: dt.date, last: dt.date | None = None):
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        dt.datetime.combine((last or first) + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def weekly_hours(rows: Iterable) -> dict[int, list[tuple[dt.time, dt.time]]]:
    hours: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in rows:
        hours[row[0]].append((row[1], row[2]))
    return dict(hours)


def opening_hours(clinic: Clinic) -> dict[int, list[tuple[dt.time, dt.time]]]:
    rows = OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes")
    return weekly_hours(rows)


def open_weekdays(clinic: Clinic) -> frozenset[int]:
    return frozenset(
        OpeningHours.objects.filter(clinic=clinic).values_list("weekday", flat=True).distinct()
    )


def closures_between(clinic: Clinic, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    days = {}
    for closure in Closure.objects.filter(clinic=clinic, starts_on__lte=last, ends_on__gte=first):
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            days[day] = closure.reason
            day += dt.timedelta(days=1)
    return days


def active_chairs(clinic: Clinic) -> list[Chair]:
    return list(
        Chair.objects.filter(clinic=clinic, active=True).select_related("setup").order_by("name")
    )


def chair_capabilities(chair: Chair) -> frozenset[str]:
    setup = getattr(chair, "setup", None)
    return frozenset(setup.capabilities) if setup is not None else frozenset()


def staff_of(clinic: Clinic) -> tuple[list, list]:
    """The clinic's nurses and prescribers (medical directors count as prescribers)."""
    memberships = (
        StaffMembership.objects.filter(
            clinic=clinic, active=True, role__in=(Role.NURSE, *PRESCRIBER_ROLES)
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id")
    )
    nurses, prescribers, seen = [], [], set()
    for membership in memberships:
        key = (membership.role == Role.NURSE, membership.user_id)
        if key in seen:
            continue
        seen.add(key)
        (nurses if membership.role == Role.NURSE else prescribers).append(membership.user)
    return nurses, prescribers


def calendar_for(
    clinic: Clinic,
    protocol: SchedulingProtocol,
    *,
    first: dt.date,
    last: dt.date,
    exclude: Iterable[int] = (),
) -> ClinicCalendar:
    """The clinic's calendar from ``first`` to ``last`` inclusive (appointments ``exclude``d, e.g.
    the one being moved). Staff without hours of their own work the opening hours."""
    zone = clinic.zone
    start, end = day_bounds(clinic, first, last)
    closed = closures_between(clinic, first, last)
    hours = opening_hours(clinic)
    whole_days = [Interval(*day_bounds(clinic, day, day)) for day in closed]
    opening = subtract(weekly_intervals(hours, start=first, end=last, zone=zone), whole_days)

    busy: dict[int, list[Interval]] = defaultdict(list)
    for block in ChairBlock.objects.filter(clinic=clinic, starts_at__lt=end, ends_at__gt=start):
        busy[block.chair_id].append(Interval(block.starts_at, block.ends_at))
    sessions: dict[int, list[Commitment]] = defaultdict(list)
    appointments = (
        Appointment.objects.filter(overlapping(start, end), clinic=clinic, status__in=HOLDS_TIME)
        .exclude(pk__in=list(exclude))
        .values_list("chair_id", "nurse_id", "starts_at", "ends_at", "booking__nurse_minutes")
    )
    for chair_id, nurse_id, starts_at, ends_at, nurse_minutes in appointments:
        span = Interval(starts_at.astimezone(zone), ends_at.astimezone(zone))
        if chair_id is not None:
            busy[chair_id].append(span)
        if nurse_id is not None:
            # Without a scheduling record (booked before scheduling) the whole visit counts.
            alone = span.end if nurse_minutes is None else add_minutes(span.start, nurse_minutes)
            sessions[nurse_id].append(Commitment(span, alone))

    nurses, prescribers = staff_of(clinic)
    people = [u.pk for u in nurses + prescribers]
    own_hours: dict[int, list] = defaultdict(list)
    for row in StaffHours.objects.filter(clinic=clinic, user_id__in=people).values_list(
        "user_id", "weekday", "starts", "ends"
    ):
        own_hours[row[0]].append(row[1:])
    away: dict[int, list[Interval]] = defaultdict(list)
    for off in TimeOff.objects.filter(
        clinic=clinic, user_id__in=people, starts_at__lt=end, ends_at__gt=start
    ):
        away[off.user_id].append(Interval(off.starts_at, off.ends_at))

    def staff_calendar(user) -> StaffCalendar:
        weekly = weekly_hours(own_hours[user.pk]) if user.pk in own_hours else hours
        working = weekly_intervals(weekly, start=first, end=last, zone=zone)
        return StaffCalendar(
            user.pk,
            user.get_full_name() or user.username,
            tuple(subtract(working, away[user.pk] + whole_days)),
            tuple(sessions[user.pk]),
        )

    return ClinicCalendar(
        zone=zone,
        opening=tuple(opening),
        chairs=tuple(
            ChairCalendar(chair.pk, chair.name, chair_capabilities(chair), tuple(busy[chair.pk]))
            for chair in active_chairs(clinic)
        ),
        nurses=tuple(staff_calendar(user) for user in nurses),
        prescribers=tuple(staff_calendar(user) for user in prescribers),
        nurse_capacity=protocol.nurse_capacity,
        step_minutes=protocol.step_minutes,
        closures=closed,
    )


def preferences_of(patient: Patient) -> PatientPreferences | None:
    return PatientPreferences.objects.filter(patient=patient).first()


def patient_availability(
    patient: Patient,
    *,
    first: dt.date,
    last: dt.date,
    exclude: Iterable[int] = (),
    weekdays: frozenset[int] | None = None,
    earliest: dt.time | None = None,
    latest_start: dt.time | None = None,
    nurse_id: int | None = None,
    chair_id: int | None = None,
) -> PatientAvailability:
    """The patient's other appointments over the days, with the preferences given."""
    start, end = day_bounds(patient.clinic, first, last)
    rows = (
        Appointment.objects.filter(
            patient=patient, status__in=HOLDS_TIME, starts_at__lt=end, ends_at__gt=start
        )
        .exclude(pk__in=list(exclude))
        .values_list("starts_at", "ends_at")
    )
    return PatientAvailability(
        busy=tuple(Interval(s, e) for s, e in rows),
        weekdays=weekdays,
        earliest=earliest,
        latest_start=latest_start,
        nurse_id=nurse_id,
        chair_id=chair_id,
    )


# --- scoped lookups ----------------------------------------------------------------------------


def _clinic(access: Access) -> Clinic:
    if access.clinic is None:
        raise NotFound("No clinic in use.")
    return access.clinic


def appointment_get(access: Access, appointment_id: int) -> Appointment:
    """An appointment of the clinic in use (NotFound for another clinic's)."""
    try:
        return Appointment.objects.select_related(
            "patient", "patient__clinic", "course", "chair", "nurse", "clinic", "booking"
        ).get(pk=appointment_id, clinic=_clinic(access))
    except Appointment.DoesNotExist:
        raise NotFound("No such appointment at this clinic.") from None


def course_get(access: Access, course_id: int) -> TreatmentCourse:
    try:
        return TreatmentCourse.objects.select_related("patient", "patient__clinic", "clinic").get(
            pk=course_id, clinic=_clinic(access)
        )
    except TreatmentCourse.DoesNotExist:
        raise NotFound("No such course at this clinic.") from None


def chair_get(access: Access, chair_id: int) -> Chair:
    try:
        return Chair.objects.select_related("setup").get(pk=chair_id, clinic=_clinic(access))
    except Chair.DoesNotExist:
        raise NotFound("No such chair at this clinic.") from None


def appointments_between(
    clinic: Clinic, start: dt.datetime, end: dt.datetime
) -> QuerySet[Appointment]:
    """Every appointment overlapping [start, end) with what the calendar shows, one query."""
    return (
        Appointment.objects.filter(overlapping(start, end), clinic=clinic)
        .select_related("patient", "chair", "nurse", "course", "booking", "booking__prescriber")
        .order_by("starts_at", "pk")
    )


def series_sessions(appointment: Appointment) -> list[Appointment]:
    """The active sessions of the appointment's series, in date order (itself included)."""
    booking = getattr(appointment, "booking", None)
    if booking is None or booking.series_id is None:
        return []
    return list(
        Appointment.objects.filter(booking__series_id=booking.series_id)
        .filter(Q(status__in=HOLDS_TIME) | Q(pk=appointment.pk))
        .order_by("starts_at", "pk")
    )


def appointment_get_for_update(appointment_id: int) -> Appointment:
    """The appointment, row-locked for the rest of the transaction."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "patient__clinic", "course", "clinic", "booking__series")
        .get(pk=appointment_id)
    )


def visit_needs(appointment: Appointment) -> ResourceNeeds:
    """What a visit that is not a treatment holds: its own length, its chair and nurse if any."""
    minutes = round((appointment.ends_at - appointment.starts_at).total_seconds() / 60)
    return needs_of_visit(
        minutes, chair=appointment.chair_id is not None, nurse=appointment.nurse_id is not None
    )


def waitlist_entry_get(access: Access, entry_id: int) -> WaitlistEntry:
    try:
        return WaitlistEntry.objects.select_related("patient", "course", "appointment").get(
            pk=entry_id, clinic=_clinic(access)
        )
    except WaitlistEntry.DoesNotExist:
        raise NotFound("No such waitlist entry at this clinic.") from None
