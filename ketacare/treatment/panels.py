"""The treatment app's panels on the chart, the portal and the dashboard."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.core.roles import Capability
from ketacare.treatment import selectors
from ketacare.treatment.models import ConsentSignature, Order, TreatmentCourse


def chart_panel(request, patient) -> str | None:
    access = request.access
    if not access.can(Capability.CHART_VIEW):
        return None
    latest = {}
    for screening in selectors.screenings_for(patient)[:50]:
        latest.setdefault((screening.route, screening.indication), screening)
    return render_to_string(
        "treatment/_chart_panel.html",
        {
            "patient": patient,
            "screenings": list(latest.values())[:6],
            "courses": selectors.courses_for(patient)[:10],
            "appointments": selectors.upcoming_appointments(patient, now=timezone.now())[:5],
        },
        request=request,
    )


def portal_panel(request, patient) -> str | None:
    from ketacare.treatment.selectors import consents_to_sign

    now = timezone.now()
    courses = list(selectors.courses_for(patient).exclude(phase=TreatmentCourse.Phase.COMPLETED))
    appointments = list(selectors.upcoming_appointments(patient, now=now)[:3])
    to_sign = consents_to_sign(patient, at=now)
    if not (courses or appointments or to_sign):
        return None
    return render_to_string(
        "treatment/_portal_panel.html",
        {
            "courses": courses,
            "appointments": appointments,
            "to_sign": to_sign,
            "zone": patient.clinic.time_zone,
        },
        request=request,
    )


def dashboard_panel(request) -> str | None:
    access = request.access
    clinic = access.clinic
    if clinic is None:
        return None
    context: dict = {}
    if access.can(Capability.APPOINTMENT_BOOK):
        zone = clinic.zone
        start = dt.datetime.combine(timezone.now().astimezone(zone).date(), dt.time.min, zone)
        context["today"] = list(
            selectors.appointments_between(clinic, start, start + dt.timedelta(days=1)).exclude(
                status="cancelled"
            )[:50]
        )
    if access.can(Capability.ORDER_SIGN):
        context["drafts"] = list(
            Order.objects.filter(course__clinic=clinic, status=Order.Status.DRAFT)
            .select_related("patient", "course")
            .order_by("created_at")[:20]
        )
    if access.can(Capability.CONSENT_MANAGE):
        context["countersign"] = list(
            ConsentSignature.objects.filter(
                document__clinic=clinic, clinician_signed_at__isnull=True, revoked_at__isnull=True
            )
            .select_related("patient", "document")
            .order_by("patient_signed_at")[:20]
        )
    if access.can(Capability.PROTOCOL_EDIT):
        context["unset_count"] = len(selectors.clinic_protocol(clinic).unset_required())
    if not context:
        return None
    return render_to_string("treatment/_dashboard_panel.html", context, request=request)
