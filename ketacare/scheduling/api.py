"""Scheduling under /api/v1/scheduling: slot finding, one-step booking, changes, the calendar;
the waitlist, resources and feeds are sub-routers (``api_more.py``)."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Status

from ketacare.core.actions import action, audit_list_read, audit_read
from ketacare.core.errors import Invalid
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS
from ketacare.scheduling import selectors, services
from ketacare.scheduling.api_more import more_router, resources_router, waitlist_router
from ketacare.scheduling.finding import Preferences, slots_find
from ketacare.scheduling.schemas import (
    BookingIn,
    MoveIn,
    NeedsOut,
    ProblemOut,
    ScheduledAppointmentOut,
    SchedulingReasonIn,
    SlotOut,
    SlotSearchIn,
    SlotSearchOut,
)
from ketacare.scheduling.services import SlotChoice

router = Router(tags=["scheduling"])
router.add_router("/waitlist", waitlist_router)
router.add_router("/resources", resources_router)
router.add_router("/", more_router)


def _aware(value: dt.datetime, zone) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


@router.post(
    "/slots",
    response={200: SlotSearchOut, **ERRORS},
    summary="The earliest complete sets of slots for one session or a whole series",
)
def find(request, payload: SlotSearchIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    course = selectors.course_get(act.access, payload.course_id)
    zone = act.clinic.zone
    stored = Preferences.stored(course)
    preferences = Preferences(
        weekdays=frozenset(payload.weekdays) if payload.weekdays else stored.weekdays,
        earliest=payload.earliest or stored.earliest,
        latest_start=payload.latest_start or stored.latest_start,
        nurse_id=payload.nurse_id,
        chair_id=payload.chair_id,
    )
    not_before = _aware(payload.not_before, zone) if payload.not_before else act.at
    if payload.not_before and not_before < act.at - dt.timedelta(minutes=1):
        raise Invalid.field("not_before", "The earliest start is in the past: choose from now on.")
    found = slots_find(
        course=course,
        phase=payload.phase,
        sessions=payload.sessions,
        step=payload.step,
        not_before=not_before,
        at=act.at,
        preferences=preferences,
        limit=payload.limit,
    )
    audit_read(
        act,
        object_type="slot_search",
        record=course,
        summary=f"Searched slots for {payload.phase or 'one session'} of a course",
    )
    return SlotSearchOut(
        needs=NeedsOut.of(found.needs),
        pattern=found.pattern.describe() if found.pattern else None,
        proposals=[[SlotOut.of(slot) for slot in proposal] for proposal in found.proposals],
        problems=[ProblemOut.of(problem) for problem in found.problems],
    )


@router.post(
    "/bookings",
    response={201: list[ScheduledAppointmentOut], **ERRORS},
    summary="Book a proposal in one step (all sessions or none)",
)
def book(request, payload: BookingIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    course = selectors.course_get(act.access, payload.course_id)
    zone = act.clinic.zone
    booked = services.series_book(
        course=course,
        phase=payload.phase,
        step=payload.step,
        slots=[SlotChoice(_aware(s.start, zone), s.chair_id, s.nurse_id) for s in payload.slots],
        **act.stamp,
    )
    return Status(201, [ScheduledAppointmentOut.of(a) for a in booked])


@router.post(
    "/appointments/{appointment_id}/move",
    response={200: ScheduledAppointmentOut, **ERRORS},
    summary="Move an appointment (same checks as booking; a series is re-checked)",
)
def move(request, appointment_id: int, payload: MoveIn):
    act = action(request, Capability.APPOINTMENT_BOOK)
    appointment = services.appointment_move(
        appointment=selectors.appointment_get(act.access, appointment_id),
        start=_aware(payload.start, act.clinic.zone),
        chair_id=payload.chair_id,
        nurse_id=payload.nurse_id,
        **act.stamp,
    )
    return ScheduledAppointmentOut.of(selectors.appointment_get(act.access, appointment.pk))


def _appointment_step(request, appointment_id: int, step, **details) -> ScheduledAppointmentOut:
    """One change to an appointment of the clinic (cancel, no-show), answered as it now stands."""
    act = action(request, Capability.APPOINTMENT_BOOK)
    changed = step(
        appointment=selectors.appointment_get(act.access, appointment_id), **details, **act.stamp
    )
    return ScheduledAppointmentOut.of(selectors.appointment_get(act.access, changed.pk))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: ScheduledAppointmentOut, **ERRORS},
    summary="Cancel with a reason (recorded as late inside the clinic's window)",
)
def cancel(request, appointment_id: int, payload: SchedulingReasonIn):
    return _appointment_step(
        request, appointment_id, services.appointment_cancel, reason=payload.reason
    )


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: ScheduledAppointmentOut, **ERRORS},
    summary="Record a no-show",
)
def no_show(request, appointment_id: int):
    return _appointment_step(request, appointment_id, services.appointment_no_show)


@router.get(
    "/appointments/{appointment_id}",
    response={200: ScheduledAppointmentOut, **ERRORS},
    summary="One appointment",
)
def appointment(request, appointment_id: int):
    act = action(request, Capability.SCHEDULE_VIEW)
    found = selectors.appointment_get(act.access, appointment_id)
    audit_read(
        act,
        object_type="appointment",
        record=found,
        summary="Viewed an appointment through the API",
    )
    return ScheduledAppointmentOut.of(found)


@router.get(
    "/calendar",
    response={200: list[ScheduledAppointmentOut], **ERRORS},
    summary="The clinic's appointments from a day (clinic time zone) for up to 31 days",
)
def calendar(request, day: dt.date | None = None, days: int = 7):
    act = action(request, Capability.SCHEDULE_VIEW)
    if not 1 <= days <= 31:
        raise Invalid.field("days", "Days must be 1 to 31.")
    first = day or act.at.astimezone(act.clinic.zone).date()
    start, end = selectors.day_bounds(act.clinic, first, first + dt.timedelta(days=days - 1))
    rows = list(selectors.appointments_between(act.clinic, start, end))
    audit_list_read(
        act,
        object_type="calendar",
        summary=f"Listed {len(rows)} appointments from {first:%Y-%m-%d} through the API",
        rows=rows,
    )
    return [ScheduledAppointmentOut.of(a) for a in rows]
