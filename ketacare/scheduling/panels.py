"""Scheduling's panels on the chart, the portal and the dashboard."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.core.roles import Capability
from ketacare.scheduling.models import ChangeRequest, WaitlistEntry
from ketacare.scheduling.selectors import day_bounds
from ketacare.treatment.models import Appointment, TreatmentCourse


def chart_panel(request, patient) -> str | None:
    """Upcoming appointments, courses to book and the preferences link (front desk too)."""
    access = request.access
    if not access.can(Capability.APPOINTMENT_BOOK):
        return None
    now = timezone.now()
    upcoming = (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, ends_at__gte=now
        )
        .select_related("chair", "course")
        .order_by("starts_at")[:8]
    )
    courses = TreatmentCourse.objects.filter(patient=patient).exclude(
        phase=TreatmentCourse.Phase.COMPLETED
    )
    return render_to_string(
        "scheduling/_chart_panel.html",
        {"patient": patient, "upcoming": upcoming, "courses": courses},
        request=request,
    )


def portal_panel(request, patient) -> str | None:
    count = Appointment.objects.filter(
        patient=patient, status=Appointment.Status.BOOKED, ends_at__gte=timezone.now()
    ).count()
    return render_to_string("scheduling/_portal_panel.html", {"count": count}, request=request)


def dashboard_panel(request) -> str | None:
    """Today's bookings (the same appointments the today board reads), change requests from
    patients and the waitlist."""
    access = request.access
    clinic = access.clinic
    if clinic is None or not access.can(Capability.SCHEDULE_VIEW):
        return None
    today = timezone.now().astimezone(clinic.zone).date()
    start, end = day_bounds(clinic, today, today)
    booked = (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .aggregate(
            booked_today=Count("pk"),
            unconfirmed=Count(
                "pk",
                filter=Q(status=Appointment.Status.BOOKED, booking__confirmed_at__isnull=True),
            ),
        )
    )
    requests = (
        ChangeRequest.objects.filter(clinic=clinic, handled_at__isnull=True)
        .select_related("appointment", "appointment__patient")
        .order_by("created_at")[:20]
        if access.can(Capability.APPOINTMENT_BOOK)
        else []
    )
    waiting = WaitlistEntry.objects.filter(
        clinic=clinic, status__in=(WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)
    ).aggregate(
        waiting=Count("pk"), urgent=Count("pk", filter=Q(priority=WaitlistEntry.Priority.URGENT))
    )
    return render_to_string(
        "scheduling/_dashboard_panel.html",
        {
            "today": today,
            **booked,
            "requests": requests,
            **waiting,
            "zone": clinic.time_zone,
            "week_ahead": dt.timedelta(days=7),
        },
        request=request,
    )
