"""Booking a regimen's treatments, cancelling an appointment, the clinic's schedule."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.audit.services import audit_record
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.pages import flash_back, page_errors
from ketacare.core.roles import Capability
from ketacare.treatment import forms, selectors, services

WEEKDAYS = (
    (0, "Mon"),
    (1, "Tue"),
    (2, "Wed"),
    (3, "Thu"),
    (4, "Fri"),
    (5, "Sat"),
    (6, "Sun"),
)


@require_capability(Capability.APPOINTMENT_BOOK)
def book(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    clinic = course.clinic
    today = timezone.now().astimezone(clinic.zone).date()
    values = {
        "phase": "induction",
        "start": (today + dt.timedelta(days=1)).isoformat(),
        "time": "09:00",
        "duration_minutes": selectors.default_duration_minutes(course),
        "weekdays": [],
    }
    error, errors, refused_status = "", {}, 200
    if request.method == "POST":
        values = {**request.POST.dict(), "weekdays": request.POST.getlist("weekdays")}
        start = forms.date_field(request.POST, "start", errors)
        time = forms.time_field(request.POST, "time", errors)
        duration = forms.number(request.POST, "duration_minutes", errors, whole=True)
        chosen = forms.weekdays(request.POST, errors)
        until = (
            forms.date_field(request.POST, "until", errors) if request.POST.get("until") else None
        )
        chair = selectors.chairs_at(clinic).filter(pk=request.POST.get("chair") or 0).first()
        if chair is None:
            errors["chair"] = "Choose a chair."
        nurse_id = request.POST.get("nurse") or None
        nurse = selectors.nurses_at(clinic).filter(pk=nurse_id).first() if nurse_id else None
        if not errors:
            try:
                booked = services.course_book_series(
                    course=course,
                    phase=request.POST.get("phase", "induction"),
                    start=start,
                    time=time,
                    weekdays=chosen,
                    until=until,
                    duration_minutes=duration or selectors.default_duration_minutes(course),
                    chair=chair,
                    nurse=nurse,
                    origin=act.origin,
                    at=act.at,
                )
            except DomainError as refused:
                error, errors, refused_status = refused.message, refused.fields, refused.status
            else:
                messages.success(
                    request,
                    f"Booked {len(booked)} treatments; each carries its preparation instructions.",
                )
                if request.access.can(Capability.CHART_VIEW):
                    return redirect("treatment:course", course_id=course.pk)
                return redirect(f"{reverse('treatment:schedule')}?day={start.isoformat()}")
    return render(
        request,
        "treatment/book.html",
        {
            "course": course,
            "patient": course.patient,
            "values": values,
            "error": error,
            "errors": errors,
            "chairs": selectors.chairs_at(clinic),
            "nurses": selectors.nurses_at(clinic),
            "weekdays": WEEKDAYS,
            "chosen_weekdays": [int(d) for d in values.get("weekdays") or [] if str(d).isdigit()],
        },
        status=refused_status if error else (422 if errors else 200),
    )


def _after_cancel(request: HttpRequest, appointment_id: int) -> str:
    """The course for those who see charts, else the schedule of the appointment's day."""
    appointment = selectors.appointment_get(request.access, appointment_id)
    if appointment.course_id and request.access.can(Capability.CHART_VIEW):
        return reverse("treatment:course", args=[appointment.course_id])
    day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
    return f"{reverse('treatment:schedule')}?day={day.isoformat()}"


@require_POST
@require_capability(Capability.APPOINTMENT_BOOK)
@page_errors(flash_back(_after_cancel))
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    services.appointment_cancel(
        appointment=selectors.appointment_get(request.access, appointment_id),
        reason=request.POST.get("reason", ""),
        origin=act.origin,
        at=act.at,
    )
    messages.success(request, "Appointment cancelled.")
    return redirect(_after_cancel(request, appointment_id))


@require_capability(Capability.APPOINTMENT_BOOK)
def schedule(request: HttpRequest) -> HttpResponse:
    act = action(request)
    clinic = request.access.clinic
    zone = clinic.zone
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.now().astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = list(selectors.appointments_between(clinic, start, start + dt.timedelta(days=1)))
    audit_record(
        origin=act.origin,
        action="view",
        object_type="schedule",
        clinic_id=clinic.pk,
        summary=f"Viewed the schedule for {day:%Y-%m-%d}",
        changes={"patient_ids": sorted({a.patient_id for a in rows})},
        at=act.at,
    )
    return render(
        request,
        "treatment/schedule.html",
        {
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "appointments": rows,
            "to_book": selectors.courses_to_book(clinic, now=timezone.now()),
        },
    )
