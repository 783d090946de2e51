from __future__ import annotations

from django.db.models import Case, QuerySet, When

from ketacare.alerts.models import Alert


def alerts_open_for_patient(patient) -> QuerySet[Alert]:
    return Alert.objects.filter(patient=patient, status=Alert.Status.OPEN).order_by("-opened_at")


def alerts_open_for_clinic(clinic) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(clinic=clinic, status=Alert.Status.OPEN)
        .select_related("patient")
        .order_by(
            Case(When(level=Alert.Level.CRITICAL, then=0), default=1), "-opened_at"
        )
    )
