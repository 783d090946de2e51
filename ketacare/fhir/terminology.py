"""Code systems and identifier systems the server writes, and small helpers to write them.

Standard systems where the record holds a standard code: LOINC for instrument totals and vital
signs (reference §4.5, through ``ketacare.clinical``), ICD-10-CM for diagnoses, the NPI, UCUM
units and HL7's own terminology. Where Ketacare holds its own codes (instruments without a LOINC
total, routes, staff roles, alert causes, side effects) they are written in Ketacare's code
systems, ``urn:ketacare:codesystem:<name>``, with the words beside them; a patient's MRN is an
identifier in ``urn:ketacare:clinic:<clinic slug>:mrn``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LOINC = "http://loinc.org"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOCATION_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ADVERSE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
ADVERSE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
CARE_PLAN_CATEGORY = "urn:ketacare:codesystem:care-plan-category"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"


def ketacare_system(name: str) -> str:
    """Ketacare's own code system ``name``."""
    return f"urn:ketacare:codesystem:{name}"


INSTRUMENT = ketacare_system("instrument")
ROUTE = ketacare_system("route")
STAFF_ROLE = ketacare_system("staff-role")
CREDENTIAL = ketacare_system("credential")
ALERT = ketacare_system("alert")
SIDE_EFFECT = ketacare_system("side-effect")
APPOINTMENT_KIND = ketacare_system("appointment-kind")
GROUP = ketacare_system("group")


def mrn_system(clinic_slug: str) -> str:
    return f"urn:ketacare:clinic:{clinic_slug}:mrn"


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str = "", *, text: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text or display:
        result["text"] = text or display
    return result


def text_concept(text: str) -> dict[str, str]:
    return {"text": text}


def ref(resource_type: str, identifier: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{identifier}"}


def when(moment: dt.datetime | dt.date | None) -> str | None:
    """A FHIR dateTime (UTC, ``Z``) or date; None stays None."""
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def period(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, str] | None:
    found = {k: v for k, v in (("start", when(start)), ("end", when(end))) if v}
    return found or None


def compact(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty values (FHIR forbids empty elements), nested ones included."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {k: clean(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
        if isinstance(value, list):
            kept_list = [clean(v) for v in value]
            return [v for v in kept_list if v not in (None, "", [], {})]
        return value

    return clean(resource)
