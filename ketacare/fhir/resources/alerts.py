"""Flag: the clinic's alerts (suicide-risk safety alerts, vital signs, adverse events) — active
while open or acknowledged, inactive once resolved."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from ketacare.alerts.selectors import alerts_in_scope
from ketacare.core.roles import Capability
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import ResourceType, param, patient_params, register
from ketacare.fhir.resources.intake import PATIENT_INCLUDE, SUBJECT_INCLUDE
from ketacare.fhir.sources import (
    BY_PK,
    Build,
    CodeMap,
    DateField,
    Source,
    patient_filters,
)

FLAG_STATUS = {
    "active": Q(status__in=("open", "acknowledged")),
    "inactive": Q(status="resolved"),
}
SAFETY = "safety"
CATEGORY = {"safety": Q(kind=SAFETY), "clinical": ~Q(kind=SAFETY)}


def build_flag(alert, build: Build) -> dict[str, Any]:
    category = ("safety", "Safety") if alert.kind == SAFETY else ("clinical", "Clinical")
    return t.compact(
        {
            "resourceType": "Flag",
            "id": str(alert.pk),
            "status": "inactive" if alert.status == "resolved" else "active",
            "category": [t.concept(t.FLAG_CATEGORY, *category)],
            "code": {
                "coding": [t.coding(t.ALERT, alert.code, alert.get_kind_display())],
                "text": alert.message
                + (f" Recommended: {alert.recommended_action}" if alert.recommended_action else ""),
            },
            "subject": t.ref("Patient", alert.patient_id),
            "period": t.period(alert.opened_at, alert.resolved_at),
            "author": t.ref("Organization", f"clinic-{alert.clinic_id}"),
        }
    )


FLAGS = Source(
    name="alerts",
    rows=lambda access: alerts_in_scope(access).select_related(None),
    **BY_PK,
    build=build_flag,
    patient="patient_id",
    updated=Coalesce("resolved_at", "acknowledged_at", "opened_at"),
    order=("opened_at", "pk"),
    filters={
        **patient_filters("patient_id"),
        "status": CodeMap(FLAG_STATUS),
        "date": DateField("opened_at"),
        "category": CodeMap(CATEGORY, t.FLAG_CATEGORY),
    },
)

register(
    ResourceType(
        name="Flag",
        sources=(FLAGS,),
        params=(
            *patient_params("Flag"),
            param("Flag", "status", "token", "active (open or acknowledged) or inactive.",
                  custom=True),
            param("Flag", "date", "date", "When the alert was opened.", standard="clinical-date"),
            param("Flag", "category", "token", "safety (suicide risk) or clinical.", custom=True),
        ),
        capability=Capability.ALERT_VIEW,
        # Alerts are the staff's work list, not the patient's record.
        patient_compartment=False,
        description="Alerts that need a clinician (safety alerts as category 'safety').",
        includes=(PATIENT_INCLUDE, SUBJECT_INCLUDE),
    ),
)
