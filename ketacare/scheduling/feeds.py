"""iCalendar files: the patient's own appointments (portal download) and each staff member's
private feed of their sessions (token in the URL, revocable, no patient names: initials and MRN
only). Times are written in UTC, so every calendar program shows them right in its own zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from icalendar import Calendar, Event

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import NotFound
from ketacare.core.links import link_digest, new_link_token
from ketacare.core.models import Clinic, User
from ketacare.scheduling.models import CalendarFeed
from ketacare.treatment.models import Appointment

PRODID = "-//Ketacare//Scheduling//EN"
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(appointment: Appointment, *, summary: str, at: dt.datetime, description: str = ""):
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@ketacare")
    event.add("dtstamp", at.astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    clinic = appointment.clinic
    where = ", ".join(p for p in (clinic.name, clinic.address_line1, clinic.city) if p)
    event.add("location", where)
    event.add(
        "status", "CANCELLED" if appointment.status == Appointment.Status.CANCELLED else "CONFIRMED"
    )
    return event


def _what(appointment: Appointment) -> str:
    if appointment.course_id and appointment.kind == Appointment.Kind.TREATMENT:
        label = appointment.course.route_label
        return label[:1].upper() + label[1:]
    return appointment.get_kind_display()


def patient_ics(appointments: Iterable[Appointment], *, at: dt.datetime) -> bytes:
    """The patient's appointments with their preparation instructions."""
    calendar = _calendar("My appointments")
    for appointment in appointments:
        calendar.add_component(
            _event(
                appointment,
                summary=f"{_what(appointment)} at {appointment.clinic.name}",
                description=appointment.preparation_instructions,
                at=at,
            )
        )
    return calendar.to_ical()


def initials_and_mrn(appointment: Appointment) -> str:
    patient = appointment.patient
    return f"{patient.first_name[:1]}.{patient.last_name[:1]}. ({patient.mrn})".upper()


def staff_sessions(feed: CalendarFeed, *, at: dt.datetime):
    """The feed owner's sessions at the feed's clinic (as nurse or prescriber on site)."""
    return (
        Appointment.objects.filter(clinic_id=feed.clinic_id)
        .filter(Q(nurse_id=feed.user_id) | Q(booking__prescriber_id=feed.user_id))
        .filter(
            starts_at__gte=at - dt.timedelta(days=FEED_PAST_DAYS),
            starts_at__lte=at + dt.timedelta(days=FEED_FUTURE_DAYS),
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient", "course", "chair", "clinic")
        .order_by("starts_at")
    )


def staff_ics(feed: CalendarFeed, *, at: dt.datetime) -> tuple[bytes, list[Appointment]]:
    """The feed as iCalendar: route or visit, chair, initials and MRN; never a name."""
    rows = list(staff_sessions(feed, at=at))
    calendar = _calendar(f"Ketacare sessions — {feed.clinic.name}")
    for appointment in rows:
        chair = f" · {appointment.chair.name}" if appointment.chair_id else ""
        calendar.add_component(
            _event(
                appointment,
                summary=f"{_what(appointment)}{chair} — {initials_and_mrn(appointment)}",
                at=at,
            )
        )
    return calendar.to_ical(), rows


@transaction.atomic
def feed_create(
    *, user: User, clinic: Clinic, origin: RequestOrigin, at: dt.datetime
) -> tuple[CalendarFeed, str]:
    """A new private feed for ``user`` at ``clinic``; the token is shown once."""
    token, digest = new_link_token()
    feed = CalendarFeed.objects.create(clinic=clinic, user=user, token_sha256=digest, created_at=at)
    audit_record(
        origin=origin,
        action="create",
        object_type="calendar_feed",
        object_id=feed.pk,
        clinic_id=clinic.pk,
        summary="Created a private calendar feed",
        at=at,
    )
    return feed, token


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed, origin: RequestOrigin, at: dt.datetime) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = at
        feed.save(update_fields=["revoked_at"])
        audit_record(
            origin=origin,
            action="update",
            object_type="calendar_feed",
            object_id=feed.pk,
            clinic_id=feed.clinic_id,
            summary="Revoked a private calendar feed",
            at=at,
        )
    return feed


def feed_resolve(token: str) -> CalendarFeed:
    """The live feed for ``token``; NotFound for an unknown or revoked one (no hint which)."""
    feed = (
        CalendarFeed.objects.select_related("user", "clinic")
        .filter(token_sha256=link_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active:
        raise NotFound("No such calendar feed.")
    return feed
