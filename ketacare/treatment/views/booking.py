"""Booking a regimen's treatments, cancelling an appointment, the clinic's schedule."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability
from ketacare.treatment import selectors, services


@require_capability(Capability.APPOINTMENT_BOOK)
def book(request: HttpRequest, course_id: int) -> HttpResponse:
    """Retired: booking is the scheduling app's slot finding, which books a whole series in one
    step with chair, nurse and prescriber checked first."""
    selectors.course_get(request.access, course_id)
    return redirect("scheduling:book", course_id=course_id)


def _after_cancel(request: HttpRequest, appointment_id: int) -> str:
    """The course for those who see charts, else the schedule of the appointment's day."""
    appointment = selectors.appointment_get(request.access, appointment_id)
    if appointment.course_id and request.access.can(Capability.CHART_VIEW):
        return reverse("treatment:course", args=[appointment.course_id])
    day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
    return f"{reverse('treatment:schedule')}?day={day.isoformat()}"


@form_post(Capability.APPOINTMENT_BOOK, flash_back(_after_cancel))
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    services.appointment_cancel(
        appointment=selectors.appointment_get(request.access, appointment_id),
        reason=request.POST.get("reason", ""),
        **act.stamp,
    )
    messages.success(request, "Appointment cancelled.")
    return redirect(_after_cancel(request, appointment_id))


@require_capability(Capability.APPOINTMENT_BOOK)
def schedule(request: HttpRequest) -> HttpResponse:
    """Retired: the day list is the scheduling calendar (chairs as columns)."""
    day = request.GET.get("day", "")
    return redirect(f"{reverse('scheduling:calendar')}?day={day}" if day else "scheduling:calendar")
