"""Calendar pages: the day and week views (chairs as columns), the printable day sheet, one
appointment with its move, cancel and no-show forms. Moving by drag and drop posts the same form
(htmx); every page works without JavaScript."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketacare.core.access import require_capability
from ketacare.core.actions import Action, action, audit_list_read, audit_read
from ketacare.core.errors import DomainError, Invalid
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability
from ketacare.scheduling import calendar, selectors, services
from ketacare.treatment.models import Appointment
from ketacare.treatment.selectors import courses_to_book


def _day(request: HttpRequest, zone, key: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, "") or request.POST.get(key, ""))
    except ValueError:
        return dt.datetime.now(tz=zone).date()


def _audit_calendar(act: Action, days: list[calendar.Day], what: str) -> None:
    shown = [
        item.appointment
        for day in days
        for column in day.columns
        for item in column.items
        if item.appointment is not None
    ]
    audit_list_read(
        act,
        object_type="calendar",
        summary=f"Viewed the {what} from {days[0].day:%Y-%m-%d}",
        rows=shown,
    )


def _calendar_context(act: Action, day: dt.date, view: str) -> dict:
    clinic = act.clinic
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        days = calendar.calendar_range(clinic, first, first + dt.timedelta(days=6))
        days = [d for d in days if not d.closed or d.session_count] or days[:5]
        step = dt.timedelta(days=7)
    else:
        first = day
        days = calendar.calendar_range(clinic, day, day)
        step = dt.timedelta(days=1)
    _audit_calendar(act, days, f"{view} calendar")
    return {
        "clinic": clinic,
        "day": day,
        "view": view,
        "days": days,
        "previous": first - step,
        "next": first + step,
        "today": act.at.astimezone(clinic.zone).date(),
        "can_move": act.access.can(Capability.APPOINTMENT_BOOK),
        "to_book": list(courses_to_book(clinic, now=act.at)[:30])
        if act.access.can(Capability.APPOINTMENT_BOOK)
        else [],
    }


@require_capability(Capability.SCHEDULE_VIEW)
def calendar_page(request: HttpRequest) -> HttpResponse:
    act = action(request)
    view = "week" if request.GET.get("view") == "week" else "day"
    context = _calendar_context(act, _day(request, act.clinic.zone), view)
    template = "scheduling/_calendar.html" if request.htmx else "scheduling/calendar.html"
    return render(request, template, context)


@require_capability(Capability.SCHEDULE_VIEW)
def day_sheet(request: HttpRequest) -> HttpResponse:
    """The day on paper: per chair, each session with who, what and the preparation."""
    act = action(request)
    day = _day(request, act.clinic.zone)
    start, end = selectors.day_bounds(act.clinic, day, day)
    rows = [
        a
        for a in selectors.appointments_between(act.clinic, start, end)
        if a.status != Appointment.Status.CANCELLED
    ]
    audit_list_read(
        act, object_type="day_sheet", summary=f"Printed the day sheet for {day:%Y-%m-%d}", rows=rows
    )
    by_chair: dict[str, list[Appointment]] = {}
    for appointment in sorted(
        rows, key=lambda a: (a.chair.name if a.chair_id else "~", a.starts_at)
    ):
        by_chair.setdefault(
            appointment.chair.name if appointment.chair_id else "No chair", []
        ).append(appointment)
    return render(
        request,
        "scheduling/day_sheet.html",
        {"clinic": act.clinic, "day": day, "by_chair": by_chair, "count": len(rows)},
    )


def _detail(request, appointment, *, error: DomainError | None = None, values=None, status=200):
    act = action(request)
    clinic = act.clinic
    series = selectors.series_sessions(appointment)
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "booking": getattr(appointment, "booking", None),
            "series": series,
            "chairs": selectors.active_chairs(clinic),
            "values": values
            or {
                "date": appointment.starts_at.astimezone(clinic.zone).date().isoformat(),
                "time": f"{appointment.starts_at.astimezone(clinic.zone):%H:%M}",
                "chair": appointment.chair_id,
            },
            "error": error,
            "errors": error.fields if error else {},
            "change_requests": appointment.change_requests.filter(handled_at__isnull=True),
            "can_book": act.access.can(Capability.APPOINTMENT_BOOK),
            "started": appointment.starts_at <= act.at,
        },
        status=status,
    )


@require_capability(Capability.SCHEDULE_VIEW)
def appointment_page(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    appointment = selectors.appointment_get(act.access, appointment_id)
    audit_read(act, object_type="appointment", record=appointment, summary="Viewed an appointment")
    return _detail(request, appointment)


def _move_start(request: HttpRequest, zone) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
        clock = dt.time.fromisoformat(request.POST.get("time", ""))
    except ValueError:
        raise Invalid(
            "Give a date and a time to move to.", fields={"time": "A date and time."}
        ) from None
    return dt.datetime.combine(day, clock, tzinfo=zone)


def _move_refused(request, error: DomainError, appointment_id: int) -> HttpResponse:
    if request.htmx:
        return render(
            request, "scheduling/_move_refused.html", {"error": error}, status=error.status
        )
    appointment = selectors.appointment_get(request.access, appointment_id)
    return _detail(
        request, appointment, error=error, values=request.POST.dict(), status=error.status
    )


@form_post(Capability.APPOINTMENT_BOOK, _move_refused)
def appointment_move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Move to a date, time and chair (the form, or a drop on the calendar)."""
    act = action(request)
    appointment = selectors.appointment_get(act.access, appointment_id)
    chair = request.POST.get("chair") or None
    moved = services.appointment_move(
        appointment=appointment,
        start=_move_start(request, act.clinic.zone),
        chair_id=int(chair) if chair and chair.isdigit() else None,
        **act.stamp,
    )
    local = moved.starts_at.astimezone(act.clinic.zone)
    message = f"Moved to {local:%a %d %b %H:%M} in {moved.chair.name if moved.chair_id else '—'}."
    if request.htmx:
        context = _calendar_context(
            act, _day(request, act.clinic.zone), request.POST.get("view", "day")
        )
        context["moved_message"] = message
        return render(request, "scheduling/_calendar.html", context)
    messages.success(request, message)
    return redirect(f"{reverse('scheduling:calendar')}?day={local.date().isoformat()}")


def _appointment_url(request, appointment_id: int, *args, **kwargs) -> str:
    return reverse("scheduling:appointment", args=[appointment_id])


# a refusal goes back to the appointment with its message
_back = flash_back(_appointment_url)


@form_post(Capability.APPOINTMENT_BOOK, _back)
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    appointment = services.appointment_cancel(
        appointment=selectors.appointment_get(act.access, appointment_id),
        reason=request.POST.get("reason", ""),
        **act.stamp,
    )
    late = " It was a late cancellation." if appointment.booking.late_cancel else ""
    messages.success(request, f"Appointment cancelled.{late}")
    return redirect("scheduling:appointment", appointment_id=appointment.pk)


@form_post(Capability.APPOINTMENT_BOOK, _back)
def appointment_no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    appointment = services.appointment_no_show(
        appointment=selectors.appointment_get(act.access, appointment_id), **act.stamp
    )
    messages.success(request, "Recorded as a no-show.")
    return redirect("scheduling:appointment", appointment_id=appointment.pk)
