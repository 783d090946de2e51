"""Staff pages around the calendar: the clinic's resources, the waitlist, the outbox of
reminders and offers, and each staff member's private calendar feed."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketacare.clinical.scheduling_needs import CAPABILITY_LABELS
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_list_read
from ketacare.core.errors import DomainError, Invalid, NotFound
from ketacare.core.links import public_url
from ketacare.core.pages import form_post, page_errors
from ketacare.core.roles import Capability
from ketacare.scheduling import feeds, resources, selectors, waitlist
from ketacare.scheduling.models import (
    WEEKDAY_CHOICES,
    CalendarFeed,
    ChairBlock,
    Closure,
    OutboundMessage,
    StaffHours,
    TimeOff,
    WaitlistEntry,
)
from ketacare.treatment.models import Appointment


def _flash_back(target: str):
    def handler(request, error: DomainError, *args, **kwargs) -> HttpResponse:
        messages.error(request, error.message)
        return redirect(target)

    return handler


def _hours(text: str, field: str) -> list[tuple[dt.time, dt.time]]:
    """'08:00-12:00, 13:00-18:00' → ranges; blank → none."""
    ranges = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        try:
            opens, closes = (dt.time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError:
            raise Invalid.field(field, f"Write hours as 08:00-18:00 (got {part!r}).") from None
        ranges.append((opens, closes))
    return ranges


def _moment(request, field: str, zone) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(request.POST.get(field, "")).replace(tzinfo=zone)
    except ValueError:
        raise Invalid.field(field, "Give a date and time.") from None


@require_capability(Capability.CLINIC_MANAGE)
def resources_page(request: HttpRequest) -> HttpResponse:
    act = action(request)
    clinic = act.clinic
    today = act.at.astimezone(clinic.zone).date()
    hours = selectors.opening_hours(clinic)
    staff_hours: dict[int, dict[int, str]] = {}
    for row in StaffHours.objects.filter(clinic=clinic):
        text = f"{row.starts:%H:%M}-{row.ends:%H:%M}"
        day = staff_hours.setdefault(row.user_id, {})
        day[row.weekday] = f"{day[row.weekday]}, {text}" if row.weekday in day else text
    nurses, prescribers = selectors.staff_of(clinic)
    return render(
        request,
        "scheduling/resources.html",
        {
            "clinic": clinic,
            "weekdays": WEEKDAY_CHOICES,
            "hours": {
                d: ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in hours.get(d, []))
                for d, _ in WEEKDAY_CHOICES
            },
            "chairs": selectors.active_chairs(clinic),
            "capabilities": list(CAPABILITY_LABELS.items()),
            "closures": Closure.objects.filter(clinic=clinic, ends_on__gte=today),
            "staff": [(u, staff_hours.get(u.pk, {})) for u in [*nurses, *prescribers]],
            "time_off": TimeOff.objects.filter(clinic=clinic, ends_at__gte=act.at)
            .select_related("user")
            .order_by("starts_at"),
            "blocks": ChairBlock.objects.filter(clinic=clinic, ends_at__gte=act.at)
            .select_related("chair")
            .order_by("starts_at"),
        },
    )


@form_post(Capability.CLINIC_MANAGE, _flash_back("scheduling:resources"))
def resources_save(request: HttpRequest) -> HttpResponse:
    """One form per kind of resource; ``what`` says which."""
    act = action(request)
    clinic, zone, post = act.clinic, act.clinic.zone, request.POST
    common = {"origin": act.origin, "at": act.at}
    what = post.get("what", "")
    if what == "opening_hours":
        for weekday, _ in WEEKDAY_CHOICES:
            ranges = _hours(post.get(f"day-{weekday}", ""), f"day-{weekday}")
            if sorted(ranges) != sorted(selectors.opening_hours(clinic).get(weekday, [])):
                resources.opening_hours_set(clinic=clinic, weekday=weekday, hours=ranges, **common)
    elif what == "chair":
        chair = selectors.chair_get(act.access, int(post.get("chair", "0") or 0))
        resources.chair_capabilities_set(
            chair=chair, capabilities=post.getlist("capabilities"), **common
        )
    elif what == "closure":
        try:
            first = dt.date.fromisoformat(post.get("starts_on", ""))
            last = dt.date.fromisoformat(post.get("ends_on", "") or post.get("starts_on", ""))
        except ValueError:
            raise Invalid.field("starts_on", "Give the first and last closed day.") from None
        resources.closure_add(
            clinic=clinic, starts_on=first, ends_on=last, reason=post.get("reason", ""), **common
        )
    elif what == "staff_hours":
        user_id = int(post.get("user", "0") or 0)
        for weekday, _ in WEEKDAY_CHOICES:
            ranges = _hours(post.get(f"day-{weekday}", ""), f"day-{weekday}")
            resources.staff_hours_set(
                clinic=clinic, user_id=user_id, weekday=weekday, hours=ranges, **common
            )
    elif what == "time_off":
        resources.time_off_add(
            clinic=clinic,
            user_id=int(post.get("user", "0") or 0),
            starts_at=_moment(request, "starts_at", zone),
            ends_at=_moment(request, "ends_at", zone),
            reason=post.get("reason", ""),
            **common,
        )
    elif what == "chair_block":
        chair = selectors.chair_get(act.access, int(post.get("chair", "0") or 0))
        resources.chair_block_add(
            chair=chair,
            starts_at=_moment(request, "starts_at", zone),
            ends_at=_moment(request, "ends_at", zone),
            reason=post.get("reason", ""),
            **common,
        )
    elif what == "remove":
        resources.resource_remove(
            clinic=clinic,
            kind=post.get("kind", ""),
            object_id=int(post.get("id", "0") or 0),
            **common,
        )
    else:
        raise Invalid("Nothing to save.")
    messages.success(request, "Saved.")
    return redirect("scheduling:resources")


# --- waitlist -----------------------------------------------------------------------------------


@require_capability(Capability.APPOINTMENT_BOOK)
@page_errors(_flash_back("scheduling:waitlist"))
def waitlist_page(request: HttpRequest) -> HttpResponse:
    act = action(request)
    clinic = act.clinic
    if request.method == "POST":
        post = request.POST
        entry_id = int(post.get("entry", "0") or 0)
        if post.get("what") == "add":
            course = selectors.course_get(act.access, int(post.get("course", "0") or 0))
            appointment = None
            if post.get("appointment"):
                appointment = selectors.appointment_get(act.access, int(post["appointment"]))
            not_before = (
                dt.date.fromisoformat(post["not_before"]) if post.get("not_before") else None
            )
            waitlist.waitlist_add(
                course=course,
                wants=post.get("wants", ""),
                appointment=appointment,
                not_before=not_before,
                priority=int(post.get("priority", "0") or 0),
                priority_reason=post.get("priority_reason", ""),
                note=post.get("note", ""),
                actor=act.actor,
                **act.stamp,
            )
            messages.success(request, f"{course.patient.display_name} is on the waitlist.")
        else:
            entry = selectors.waitlist_entry_get(act.access, entry_id)
            if post.get("what") == "prioritise":
                waitlist.waitlist_prioritise(
                    entry=entry,
                    priority=int(post.get("priority", "0") or 0),
                    reason=post.get("priority_reason", ""),
                    actor=act.actor,
                    **act.stamp,
                )
            elif post.get("what") == "remove":
                waitlist.waitlist_remove(entry=entry, reason=post.get("reason", ""), **act.stamp)
            else:
                raise Invalid("Nothing to do.")
            messages.success(request, "Waitlist updated.")
        return redirect("scheduling:waitlist")
    course = None
    if request.GET.get("course", "").isdigit():
        course = selectors.course_get(act.access, int(request.GET["course"]))
    entries = (
        WaitlistEntry.objects.filter(clinic=clinic, status__in=waitlist.OPEN)
        .select_related("patient", "course", "appointment")
        .prefetch_related("offers")
    )
    return render(
        request,
        "scheduling/waitlist.html",
        {
            "entries": entries,
            "course": course,
            "upcoming": course.appointments.filter(
                status=Appointment.Status.BOOKED, starts_at__gt=act.at
            ).order_by("starts_at")
            if course
            else [],
            "priorities": WaitlistEntry.Priority.choices,
            "wants": WaitlistEntry.Wants.choices,
            "can_prioritise": act.access.can(Capability.WAITLIST_PRIORITISE),
        },
    )


# --- outbox ------------------------------------------------------------------------------------


@require_capability(Capability.APPOINTMENT_BOOK)
def outbox(request: HttpRequest) -> HttpResponse:
    """Reminders and offers sent, newest first (one-time link tokens are masked)."""
    act = action(request)
    rows = list(OutboundMessage.objects.filter(clinic=act.clinic).select_related("patient")[:200])
    audit_list_read(
        act, object_type="outbox", summary="Viewed the reminders and offers sent", rows=rows
    )
    return render(request, "scheduling/outbox.html", {"rows": rows, "clinic": act.clinic})


# --- the staff member's own feed -----------------------------------------------------------------


@require_capability(Capability.SCHEDULE_VIEW)
@page_errors(_flash_back("scheduling:feeds"))
def feeds_page(request: HttpRequest) -> HttpResponse:
    act = action(request)
    mine = CalendarFeed.objects.filter(user=act.access.user, clinic=act.clinic)
    new_url = ""
    if request.method == "POST":
        if request.POST.get("what") == "revoke":
            feed = mine.filter(pk=int(request.POST.get("feed", "0") or 0)).first()
            if feed is None:
                raise NotFound("No such feed.")
            feeds.feed_revoke(feed=feed, **act.stamp)
            messages.success(request, "Feed revoked: calendars using it stop updating.")
            return redirect("scheduling:feeds")
        _, token = feeds.feed_create(user=act.access.user, clinic=act.clinic, **act.stamp)
        new_url = public_url(reverse("scheduling:feed_ics", args=[token]))
    return render(request, "scheduling/feeds.html", {"feeds": mine, "new_url": new_url})
