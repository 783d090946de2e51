"""Writes to the clinic's resources over time: chair capabilities, opening hours, closures,
staff working hours, time off, chair blocks, and a patient's scheduling preferences. Each is
one transaction with its audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import pairwise

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.scheduling_needs import CAPABILITY_LABELS, ChairCapability
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.models import Chair, Clinic, StaffMembership, User
from ketacare.patients.models import Patient
from ketacare.scheduling.models import (
    WEEKDAY_CHOICES,
    ChairBlock,
    ChairSetup,
    Closure,
    OpeningHours,
    PatientPreferences,
    StaffHours,
    TimeOff,
)

DAY_NAMES = dict(WEEKDAY_CHOICES)
Hours = Sequence[tuple[dt.time, dt.time]]


def _audit(origin, clinic_id, object_type, object_id, summary, at, changes=None, patient_id=None):
    audit_record(
        origin=origin,
        action="update",
        object_type=object_type,
        object_id=object_id,
        clinic_id=clinic_id,
        patient_id=patient_id,
        summary=summary[:300],
        changes=changes,
        at=at,
    )


def check_hours(weekday: int, hours: Hours, field: str = "hours") -> list[tuple[dt.time, dt.time]]:
    """Each range ends after it starts and none overlap; refused with the day named."""
    if not 0 <= weekday <= 6:
        raise Invalid.field("weekday", "Weekdays are 0 (Monday) to 6 (Sunday).")
    ranges = sorted(hours)
    for opens, closes in ranges:
        if closes <= opens:
            raise Invalid.field(
                field, f"{DAY_NAMES[weekday]}: {closes:%H:%M} is not after {opens:%H:%M}."
            )
    for (_, first_end), (second_start, _) in pairwise(ranges):
        if second_start < first_end:
            raise Invalid.field(field, f"{DAY_NAMES[weekday]}: the hours overlap.")
    return ranges


@transaction.atomic
def opening_hours_set(
    *, clinic: Clinic, weekday: int, hours: Hours, origin: RequestOrigin, at: dt.datetime
) -> list[OpeningHours]:
    """Replace the clinic's opening hours on ``weekday`` (empty: closed that day)."""
    ranges = check_hours(weekday, hours)
    OpeningHours.objects.filter(clinic=clinic, weekday=weekday).delete()
    rows = [
        OpeningHours.objects.create(clinic=clinic, weekday=weekday, opens=o, closes=c)
        for o, c in ranges
    ]
    text = ", ".join(f"{o:%H:%M}–{c:%H:%M}" for o, c in ranges) or "closed"
    _audit(origin, clinic.pk, "opening_hours", weekday, f"{DAY_NAMES[weekday]}: {text}", at)
    return rows


@transaction.atomic
def chair_capabilities_set(
    *, chair: Chair, capabilities: Iterable[str], origin: RequestOrigin, at: dt.datetime
) -> ChairSetup:
    """What ``chair`` can do (``ChairCapability`` values)."""
    chosen = sorted(set(capabilities))
    unknown = [c for c in chosen if c not in ChairCapability._value2member_map_]
    if unknown:
        raise Invalid.field("capabilities", f"Unknown capability: {', '.join(unknown)}.")
    setup, _ = ChairSetup.objects.select_for_update().get_or_create(
        chair=chair, defaults={"updated_at": at}
    )
    before = list(setup.capabilities)
    setup.capabilities, setup.updated_at, setup.updated_by = chosen, at, origin.actor
    setup.save()
    names = ", ".join(CAPABILITY_LABELS[ChairCapability(c)] for c in chosen) or "nothing special"
    _audit(
        origin,
        chair.clinic_id,
        "chair_setup",
        chair.pk,
        f"{chair.name} can take: {names}",
        at,
        {"capabilities": {"before": before, "after": chosen}},
    )
    return setup


@transaction.atomic
def closure_add(
    *,
    clinic: Clinic,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Closure:
    if ends_on < starts_on:
        raise Invalid.field("ends_on", "The closure ends before it starts.")
    if not reason.strip():
        raise Invalid.field("reason", "Say why the clinic is closed (e.g. a public holiday).")
    closure = Closure.objects.create(
        clinic=clinic,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:200],
        created_at=at,
        created_by=origin.actor,
    )
    _audit(
        origin,
        clinic.pk,
        "closure",
        closure.pk,
        f"Closed {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}: {closure.reason}",
        at,
    )
    return closure


def _staff_member(clinic: Clinic, user_id: int) -> User:
    membership = (
        StaffMembership.objects.filter(clinic=clinic, user_id=user_id, active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise NotFound("No such staff member at this clinic.")
    return membership.user


@transaction.atomic
def staff_hours_set(
    *,
    clinic: Clinic,
    user_id: int,
    weekday: int,
    hours: Hours,
    origin: RequestOrigin,
    at: dt.datetime,
) -> list[StaffHours]:
    """Replace a staff member's working hours at the clinic on ``weekday`` (empty: off)."""
    user = _staff_member(clinic, user_id)
    ranges = check_hours(weekday, hours)
    StaffHours.objects.filter(clinic=clinic, user=user, weekday=weekday).delete()
    rows = [
        StaffHours.objects.create(clinic=clinic, user=user, weekday=weekday, starts=s, ends=e)
        for s, e in ranges
    ]
    text = ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in ranges) or "off"
    name = user.get_full_name() or user.username
    _audit(origin, clinic.pk, "staff_hours", user.pk, f"{name}, {DAY_NAMES[weekday]}: {text}", at)
    return rows


def _span(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid.field("starts_at", "Give times with their time zone.")
    if ends_at <= starts_at:
        raise Invalid.field("ends_at", "The end must be after the start.")


@transaction.atomic
def time_off_add(
    *,
    clinic: Clinic,
    user_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> TimeOff:
    """Time off for a staff member. Sessions already booked with them are neither moved nor
    flagged: move them (the move finds another nurse) before the time off starts."""
    user = _staff_member(clinic, user_id)
    _span(starts_at, ends_at)
    off = TimeOff.objects.create(
        clinic=clinic,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_at=at,
        created_by=origin.actor,
    )
    name = user.get_full_name() or user.username
    zone = clinic.zone
    _audit(
        origin,
        clinic.pk,
        "time_off",
        off.pk,
        f"{name} off {starts_at.astimezone(zone):%Y-%m-%d %H:%M} to "
        f"{ends_at.astimezone(zone):%Y-%m-%d %H:%M}",
        at,
    )
    return off


@transaction.atomic
def chair_block_add(
    *,
    chair: Chair,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ChairBlock:
    """Hold a chair for something other than a patient; refused over a booked session."""
    from ketacare.scheduling.models import Occupancy

    _span(starts_at, ends_at)
    if not reason.strip():
        raise Invalid.field("reason", "Say why the chair is blocked.")
    clash = Occupancy.objects.filter(chair=chair, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if clash.exists():
        raise Invalid.field("starts_at", f"{chair.name} has a session booked then: move it first.")
    block = ChairBlock.objects.create(
        clinic_id=chair.clinic_id,
        chair=chair,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_at=at,
        created_by=origin.actor,
    )
    _audit(origin, chair.clinic_id, "chair_block", block.pk, f"{chair.name} blocked: {reason}", at)
    return block


@transaction.atomic
def resource_remove(
    *, clinic: Clinic, kind: str, object_id: int, origin: RequestOrigin, at: dt.datetime
) -> None:
    """Remove a closure, a time off or a chair block of the clinic."""
    model = {"closure": Closure, "time_off": TimeOff, "chair_block": ChairBlock}.get(kind)
    if model is None:
        raise NotFound(f"Nothing called {kind} can be removed.")
    deleted, _ = model.objects.filter(clinic=clinic, pk=object_id).delete()
    if not deleted:
        raise NotFound("It is no longer there.")
    audit_record(
        origin=origin,
        action="delete",
        object_type=kind,
        object_id=object_id,
        clinic_id=clinic.pk,
        summary=f"Removed a {kind.replace('_', ' ')}",
        at=at,
    )


@transaction.atomic
def preferences_set(
    *,
    patient: Patient,
    weekdays: Iterable[int],
    earliest: dt.time | None,
    latest_start: dt.time | None,
    email_reminders: bool,
    sms_reminders: bool,
    origin: RequestOrigin,
    at: dt.datetime,
) -> PatientPreferences:
    """When the patient likes to come and how they want reminders (SMS only with consent)."""
    days = sorted(set(weekdays))
    if any(not 0 <= d <= 6 for d in days):
        raise Invalid.field("weekdays", "Weekdays are 0 (Monday) to 6 (Sunday).")
    if earliest and latest_start and latest_start < earliest:
        raise Invalid.field("latest_start", "The latest start is before the earliest.")
    if sms_reminders and not patient.phone:
        raise Invalid.field("sms_reminders", "Add the patient's mobile number first.")
    prefs, _ = PatientPreferences.objects.update_or_create(
        patient=patient,
        defaults={
            "weekdays": days,
            "earliest": earliest,
            "latest_start": latest_start,
            "email_reminders": email_reminders,
            "sms_reminders": sms_reminders,
            "updated_at": at,
        },
    )
    _audit(
        origin,
        patient.clinic_id,
        "scheduling_preferences",
        patient.pk,
        "Scheduling preferences saved",
        at,
        patient_id=patient.pk,
    )
    return prefs
