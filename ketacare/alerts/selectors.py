"""Reads of alerts that pages, the API and other apps' panels share, scoped to the clinic."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from ketacare.alerts.models import Alert
from ketacare.core.access import Access
from ketacare.core.errors import NotFound

UNRESOLVED = "unresolved"


def by_urgency(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Critical before warning, then newest first."""
    rank = Case(When(level=Alert.Level.CRITICAL, then=Value(0)), default=Value(1))
    return alerts.annotate(_rank=rank).order_by("_rank", "-opened_at")


def alerts_in_scope(access: Access) -> QuerySet[Alert]:
    """Alerts of the clinic in use, most urgent first."""
    if access.clinic is None:
        return Alert.objects.none()
    return by_urgency(Alert.objects.filter(clinic_id=access.clinic.pk)).select_related(
        "patient", "acknowledged_by", "resolved_by"
    )


def alerts_filtered(access: Access, *, status: str = UNRESOLVED, kind: str = "") -> QuerySet[Alert]:
    """The list page's and the API's filter: ``unresolved`` (open or acknowledged), one status,
    or ``all``; optionally one kind."""
    alerts = alerts_in_scope(access)
    if status == UNRESOLVED:
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    elif status != "all":
        alerts = alerts.filter(status=status)
    return alerts.filter(kind=kind) if kind else alerts


def alerts_unresolved(access: Access, *, kind: str | None = None) -> QuerySet[Alert]:
    """Open and acknowledged-but-unresolved alerts of the clinic in use."""
    return alerts_filtered(access, kind=kind or "")


def alert_get(access: Access, alert_id: int) -> Alert:
    try:
        return alerts_in_scope(access).get(pk=alert_id)
    except Alert.DoesNotExist as missing:
        raise NotFound("No such alert at this clinic.") from missing


def alerts_open_for_patient(patient) -> QuerySet[Alert]:
    return Alert.objects.filter(patient=patient, status=Alert.Status.OPEN).order_by("-opened_at")


def alerts_open_for_clinic(clinic) -> QuerySet[Alert]:
    return by_urgency(
        Alert.objects.filter(clinic=clinic, status=Alert.Status.OPEN).select_related("patient")
    )
