"""The clinic dashboard: open alerts first, then the day's work."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from ketacare.alerts.selectors import alerts_open_for_clinic
from ketacare.core.panels import dashboard_panels, dashboard_pinned_panels
from ketacare.core.roles import Capability
from ketacare.patients.models import IntakeVersion, Patient


def dashboard_context(request) -> dict:
    access = request.access
    clinic = access.clinic
    context: dict = {
        "clinic": clinic,
        "today": timezone.localdate(),
        "panels": dashboard_panels(request),
        "pinned": dashboard_pinned_panels(request),
    }
    if access.can(Capability.ALERT_VIEW):
        context["alerts"] = list(alerts_open_for_clinic(clinic)[:20])
    if access.can(Capability.INTAKE_SIGN):
        latest_numbers = IntakeVersion.objects.filter(patient__clinic=clinic)
        context["intakes_to_review"] = list(
            latest_numbers.filter(status=IntakeVersion.Status.SUBMITTED)
            .exclude(patient__intake_versions__number__gt=F("number"))
            .select_related("patient")
            .order_by("created_at")[:20]
        )
    if access.can(Capability.PATIENT_LIST):
        context["patient_count"] = Patient.objects.filter(clinic=clinic).count()
    return context
