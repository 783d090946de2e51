"""What the alerts app adds to shared pages: unacknowledged safety alerts pinned on top of the
dashboard of every clinician on duty at the clinic, until someone acknowledges them."""

from __future__ import annotations

from django.template.loader import render_to_string

from ketacare.alerts.models import Alert
from ketacare.alerts.selectors import by_urgency
from ketacare.core.roles import Capability


def safety_alerts_to_acknowledge(clinic):
    """Open (not yet acknowledged) suicide-risk alerts of ``clinic``, most urgent first."""
    return by_urgency(
        Alert.objects.filter(clinic=clinic, kind=Alert.Kind.SAFETY, status=Alert.Status.OPEN)
    ).select_related("patient")


def dashboard_pinned(request) -> str | None:
    access = request.access
    if access.clinic is None or not access.can(Capability.ALERT_VIEW):
        return None
    alerts = list(safety_alerts_to_acknowledge(access.clinic)[:20])
    if not alerts:
        return None
    return render_to_string("alerts/_pinned.html", {"alerts": alerts}, request=request)
