"""What the patient's latest intake records: Condition (diagnoses, ICD-10-CM),
AllergyIntolerance and MedicationStatement (medications taken now).

The intake keeps these as lists in one versioned record; each list item is served from the
patient's latest version, named ``<version id>-<position>`` (a new intake version names its
items anew). A signed version's items are confirmed; a version awaiting review is provisional
(Condition) or unconfirmed (AllergyIntolerance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from ketacare.core.roles import Capability
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import Include, ResourceType, param, patient_params, refs_at, register
from ketacare.fhir.sources import (
    UPDATED,
    Build,
    CodingAt,
    Constant,
    DateField,
    Source,
    int_id,
    patient_reference,
)
from ketacare.patients.selectors import latest_intakes_in_scope

MEDICATION_STATUS = "http://hl7.org/fhir/CodeSystem/medication-statement-status"


def _item_id(text: str) -> Q | None:
    version, _, position = text.partition("-")
    if int_id(version) is None or int_id(position) is None:
        return None
    return Q(pk=int(version))


def _signed(version) -> bool:
    return version.status == "signed"


def recorder(version) -> dict[str, str] | None:
    if version.source == "patient":
        return t.ref("Patient", version.patient_id)
    return t.ref("Practitioner", version.created_by_id) if version.created_by_id else None


def _expander(
    key: str, make: Callable[[Any, dict[str, Any]], dict[str, Any]]
) -> Callable[[Any, Build], list[tuple[str, dict[str, Any]]]]:
    """Each item of the intake list ``key`` as a resource named ``<version>-<position>``."""

    def expand(version, build: Build) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for position, item in enumerate(version.data.get(key) or [], start=1):
            identifier = f"{version.pk}-{position}"
            resource = {"id": identifier, **make(version, item)}
            resource["meta"] = {"lastUpdated": t.when(getattr(version, UPDATED))}
            found.append((identifier, t.compact(resource)))
        return found

    return expand


def condition(version, item: dict[str, Any]) -> dict[str, Any]:
    description = item.get("description") or ""
    return {
        "resourceType": "Condition",
        "clinicalStatus": t.concept(t.CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": t.concept(
            t.CONDITION_VERIFICATION,
            *(("confirmed", "Confirmed") if _signed(version) else ("provisional", "Provisional")),
        ),
        "category": [t.concept(t.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": {
            "coding": [t.coding(t.ICD10_CM, item["code"], description)],
            "text": description or item["code"],
        },
        "subject": t.ref("Patient", version.patient_id),
        "recordedDate": t.when(version.created_at),
        "recorder": recorder(version),
    }


def allergy(version, item: dict[str, Any]) -> dict[str, Any]:
    reaction = item.get("reaction") or ""
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": t.concept(t.ALLERGY_CLINICAL, "active", "Active"),
        "verificationStatus": t.concept(
            t.ALLERGY_VERIFICATION,
            *(("confirmed", "Confirmed") if _signed(version) else ("unconfirmed", "Unconfirmed")),
        ),
        "code": t.text_concept(item["substance"]),
        "patient": t.ref("Patient", version.patient_id),
        "recordedDate": t.when(version.created_at),
        "recorder": recorder(version),
        "reaction": [{"manifestation": [t.text_concept(reaction)]}] if reaction else [],
    }


def medication(version, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": t.text_concept(item["name"]),
        "subject": t.ref("Patient", version.patient_id),
        "dateAsserted": t.when(version.created_at),
        "informationSource": recorder(version),
        "dosage": [{"text": item["dose"]}] if item.get("dose") else [],
        "note": [{"text": f"Interaction class chosen by a clinician: {item['drug_class']}"}]
        if item.get("drug_class")
        else [],
    }


def _intake_source(name: str, key: str, make, filters) -> Source:
    return Source(
        name=name,
        rows=latest_intakes_in_scope,
        to_id=lambda version: str(version.pk),
        from_id=_item_id,
        build=lambda version, build: {},
        patient="patient_id",
        filters={"patient": patient_reference("patient_id"), **filters},
        updated=Coalesce("signed_at", "created_at"),
        order=("patient_id", "pk"),
        expand=_expander(key, make),
    )


CONDITIONS = _intake_source(
    "intake diagnoses",
    "diagnoses",
    condition,
    {
        "subject": patient_reference("patient_id"),
        "code": CodingAt(("code",)),
        "clinical-status": CodingAt(("clinicalStatus",)),
        "verification-status": CodingAt(("verificationStatus",)),
        "category": CodingAt(("category",)),
        "recorded-date": DateField("created_at"),
    },
)
ALLERGIES = _intake_source(
    "intake allergies",
    "allergies",
    allergy,
    {
        "clinical-status": CodingAt(("clinicalStatus",)),
        "verification-status": CodingAt(("verificationStatus",)),
        "date": DateField("created_at"),
    },
)
MEDICATIONS = _intake_source(
    "intake medications",
    "medications",
    medication,
    {
        "subject": patient_reference("patient_id"),
        "status": Constant(MEDICATION_STATUS, "active"),
    },
)

PATIENT_INCLUDE = Include("patient", "Patient", refs_at("subject", "patient"))
SUBJECT_INCLUDE = Include("subject", "Patient", refs_at("subject"))

register(
    ResourceType(
        name="Condition",
        sources=(CONDITIONS,),
        params=(
            *patient_params("Condition"),
            param("Condition", "code", "token", "ICD-10-CM: http://hl7.org/fhir/sid/icd-10-cm|F33.2",
                  standard="clinical-code"),
            param("Condition", "clinical-status", "token", "active (every intake diagnosis)."),
            param("Condition", "verification-status", "token",
                  "confirmed (signed intake) or provisional (awaiting review)."),
            param("Condition", "category", "token", "problem-list-item."),
            param("Condition", "recorded-date", "date", "When the intake version was entered."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Diagnoses (ICD-10-CM) of the patient's latest intake version.",
        includes=(PATIENT_INCLUDE, SUBJECT_INCLUDE),
    ),
    ResourceType(
        name="AllergyIntolerance",
        sources=(ALLERGIES,),
        params=(
            *patient_params("AllergyIntolerance", subject=False),
            param("AllergyIntolerance", "clinical-status", "token", "active."),
            param("AllergyIntolerance", "verification-status", "token",
                  "confirmed (signed intake) or unconfirmed."),
            param("AllergyIntolerance", "date", "date", "When the intake version was entered.",
                  standard="clinical-date"),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Allergies of the patient's latest intake version (substance as text).",
        includes=(PATIENT_INCLUDE,),
    ),
    ResourceType(
        name="MedicationStatement",
        sources=(MEDICATIONS,),
        params=(
            *patient_params("MedicationStatement"),
            param("MedicationStatement", "status", "token", "active."),
        ),
        capability=Capability.CHART_VIEW,
        patient_compartment=True,
        description="Medications taken now, from the patient's latest intake version.",
        includes=(PATIENT_INCLUDE, SUBJECT_INCLUDE),
    ),
)
