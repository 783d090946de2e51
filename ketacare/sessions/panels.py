"""What the session app adds to the patient chart, the portal and the clinic dashboard."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.core.roles import Capability
from ketacare.sessions.models import AtHomeSession, TreatmentSession
from ketacare.sessions.selectors.rems import forms_due
from ketacare.sessions.selectors.sessions import ACTIVE_STATES, at_home_course
from ketacare.treatment.models import RemsEnrolment


def chart_panel(request, patient) -> str | None:
    access = request.access
    if not access.can(Capability.CHART_VIEW):
        return None
    sessions = list(
        TreatmentSession.objects.filter(patient=patient).select_related("appointment")[:20]
    )
    return render_to_string(
        "sessions/_chart_panel.html",
        {
            "patient": patient,
            "sessions": sessions,
            "at_home": list(AtHomeSession.objects.filter(patient=patient)[:10]),
            "enrolment": RemsEnrolment.objects.filter(patient=patient).first(),
            "esketamine": patient.courses.filter(route="esketamine_nasal").exists(),
        },
        request=request,
    )


def portal_panel(request, patient) -> str | None:
    if at_home_course(patient) is None:
        return None
    return render_to_string("sessions/_portal_panel.html", {"patient": patient}, request=request)


def dashboard_panel(request) -> str | None:
    access = request.access
    if access.clinic is None or not access.can(Capability.SESSION_DOCUMENT):
        return None
    today = timezone.now().astimezone(access.clinic.zone).date()
    return render_to_string(
        "sessions/_dashboard_panel.html",
        {
            "in_chairs": TreatmentSession.objects.filter(
                clinic=access.clinic, state__in=ACTIVE_STATES
            ).count(),
            "rems_due": len(forms_due(access, today=today))
            if access.can(Capability.REMS_VIEW)
            else None,
        },
        request=request,
    )
