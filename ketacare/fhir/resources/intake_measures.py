"""Body weight and height from the patient's latest intake version, as vital-signs Observations
(LOINC from reference §4.5, tagged [memory, verify] there: ``ketacare.clinical.vital_signs``),
named ``intake-<version>-weight`` and ``intake-<version>-height``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from ketacare.clinical.vital_signs import BODY_HEIGHT, BODY_WEIGHT, VitalSign
from ketacare.fhir import terminology as t
from ketacare.fhir.resources.intake import recorder
from ketacare.fhir.sources import (
    UPDATED,
    Build,
    CodingAt,
    Constant,
    DateField,
    Source,
    int_id,
    patient_filters,
)
from ketacare.patients.selectors import latest_intakes_in_scope

OBSERVATION_STATUS = "http://hl7.org/fhir/observation-status"
# The intake's field of each measure (heights and weights are stored in metric units).
MEASURES: tuple[tuple[str, VitalSign], ...] = (
    ("weight_kg", BODY_WEIGHT),
    ("height_cm", BODY_HEIGHT),
)


def _version_of(text: str) -> Q | None:
    head, _, key = text.rpartition("-")
    if not head.startswith("intake-") or key not in {sign.key for _, sign in MEASURES}:
        return None
    number = int_id(head[len("intake-") :])
    return Q(pk=number) if number is not None else None


def _measures(version, build: Build) -> list[tuple[str, dict[str, Any]]]:
    found = []
    author = recorder(version)
    for field, sign in MEASURES:
        value = (version.data or {}).get(field)
        if value is None:
            continue
        identifier = f"intake-{version.pk}-{sign.key}"
        found.append((identifier, t.compact({
            "resourceType": "Observation",
            "id": identifier,
            "meta": {"profile": [t.VITAL_SIGNS_PROFILE],
                     "lastUpdated": t.when(getattr(version, UPDATED))},
            "status": "final",
            "category": [t.concept(t.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
            "code": {"coding": [t.coding(t.LOINC, sign.loinc.code, sign.label)],
                     "text": sign.label},
            "subject": t.ref("Patient", version.patient_id),
            "effectiveDateTime": t.when(version.created_at),
            "performer": [author] if author else [],
            "valueQuantity": {"value": float(value), "unit": sign.unit, "system": t.UCUM,
                              "code": sign.ucum},
            "note": [{"text": "As recorded in the intake"}],
        })))
    return found


INTAKE_MEASURES = Source(
    name="intake measures",
    rows=latest_intakes_in_scope,
    to_id=lambda version: str(version.pk),
    from_id=_version_of,
    build=lambda version, build: {},
    patient="patient_id",
    updated=Coalesce("signed_at", "created_at"),
    order=("patient_id", "pk"),
    expand=_measures,
    filters={
        **patient_filters("patient_id"),
        "code": CodingAt(("code",)),
        "category": Constant(t.OBSERVATION_CATEGORY, "vital-signs"),
        "date": DateField("created_at"),
        "status": Constant(OBSERVATION_STATUS, "final"),
    },
)
