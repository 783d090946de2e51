"""Reading a small FHIR Bundle (a Patient with their Conditions, MedicationStatements and
AllergyIntolerances) into what the registration and intake forms hold, for staff to review.

Nothing here writes: ``prefill_from_bundle`` checks the Bundle and each resource with its
fhir.resources R4B class and answers the form values plus notes, in words, on everything it did
not take over (another code system, a resolved diagnosis, a stopped medication, resource types
the intake does not hold). Staff then correct and confirm on the review page
(``ketacare.fhir.services.prefill_confirm``), which registers through the patients app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ketacare.core.errors import Invalid
from ketacare.fhir import terminology as t
from ketacare.fhir.model import NotConformant, fhir_model
from ketacare.patients.intake import Allergy, Diagnosis, Medication

MAX_ENTRIES = 200
US_CORE_BIRTHSEX = t.US_CORE_BIRTHSEX
BIRTH_SEX = {"F": "female", "M": "male"}
# Administrative gender is not sex assigned at birth: used only when the US Core birth-sex
# extension is absent, and said so in a note for staff to check.
GENDER_AS_SEX = {"female": "female", "male": "male"}
ENDED_CONDITION = {"inactive", "remission", "resolved"}
ENDED_MEDICATION = {"completed", "entered-in-error", "stopped", "not-taken"}
TAKEN_OVER = {"Patient", "Condition", "MedicationStatement", "AllergyIntolerance", "Medication"}


@dataclass
class Prefill:
    """The registration form's values, the intake's lists and what was left out."""

    registration: dict[str, str] = field(default_factory=dict)
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    allergies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(concept: dict[str, Any] | None) -> str:
    """What a CodeableConcept says in words: its text, else its first coding's display/code."""
    if not concept:
        return ""
    if concept.get("text"):
        return concept["text"].strip()
    for coding in concept.get("coding", []):
        if coding.get("display") or coding.get("code"):
            return (coding.get("display") or coding["code"]).strip()
    return ""


def _codes(concept: dict[str, Any] | None) -> set[str]:
    return {c.get("code", "") for c in (concept or {}).get("coding", [])}


def _resources(bundle: Any) -> list[dict[str, Any]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Invalid.field("resourceType", "Send a FHIR Bundle (resourceType 'Bundle').")
    entries = bundle.get("entry") or []
    if len(entries) > MAX_ENTRIES:
        raise Invalid.field("entry", f"At most {MAX_ENTRIES} entries are read; split the Bundle.")
    found = []
    try:
        fhir_model({k: v for k, v in bundle.items() if k != "entry"})
        for position, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                raise Invalid.field(f"entry[{position}]", "This entry holds no resource.")
            fhir_model(resource)
            found.append(resource)
    except NotConformant as bad:
        raise Invalid(f"The Bundle is not valid FHIR R4: {bad}") from bad
    return found


def _patient(resource: dict[str, Any], into: Prefill) -> None:
    names = resource.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    usual = next((n for n in names if n.get("use") == "usual" and n is not official), None)
    given = official.get("given") or []
    values = {
        "first_name": given[0] if given else "",
        "last_name": official.get("family", ""),
        "preferred_name": (usual.get("given") or [""])[0] if usual else "",
        "date_of_birth": resource.get("birthDate", ""),
    }
    if len(values["date_of_birth"]) != len("YYYY-MM-DD"):
        if values["date_of_birth"]:
            into.notes.append(f"The date of birth {values['date_of_birth']} is not a whole date.")
        values["date_of_birth"] = ""
    extensions = resource.get("extension", [])
    birth_sex = next(
        (e.get("valueCode") for e in extensions if e.get("url") == US_CORE_BIRTHSEX), None
    )
    if birth_sex in BIRTH_SEX:
        values["sex_at_birth"] = BIRTH_SEX[birth_sex]
    elif resource.get("gender") in GENDER_AS_SEX:
        values["sex_at_birth"] = GENDER_AS_SEX[resource["gender"]]
        into.notes.append(
            "Sex assigned at birth was taken from the administrative gender "
            f"({resource['gender']}); check it with the patient."
        )
    telecom = resource.get("telecom") or []
    values["phone"] = next((c["value"] for c in telecom if c.get("system") == "phone"
                            and c.get("value")), "")
    values["email"] = next((c["value"] for c in telecom if c.get("system") == "email"
                            and c.get("value")), "")
    address = (resource.get("address") or [{}])[0]
    lines = address.get("line") or []
    values |= {
        "address_line1": lines[0] if lines else "",
        "address_line2": ", ".join(lines[1:]),
        "city": address.get("city", ""),
        "state": address.get("state", ""),
        "postal_code": address.get("postalCode", ""),
    }
    contact = (resource.get("contact") or [{}])[0]
    contact_name = contact.get("name") or {}
    values |= {
        "emergency_contact_name": contact_name.get("text")
        or " ".join([*(contact_name.get("given") or []), contact_name.get("family", "")]).strip(),
        "emergency_contact_phone": next(
            (c["value"] for c in contact.get("telecom") or [] if c.get("system") == "phone"), ""
        ),
        "emergency_contact_relationship": ", ".join(
            _text(r) for r in contact.get("relationship") or [] if _text(r)
        ),
    }
    into.registration = {key: str(value).strip() for key, value in values.items()}


def _condition(resource: dict[str, Any], into: Prefill) -> None:
    words = _text(resource.get("code")) or "a diagnosis without words"
    if _codes(resource.get("clinicalStatus")) & ENDED_CONDITION:
        into.notes.append(f"Left out the diagnosis '{words}': it is no longer active.")
        return
    codes = [c for c in (resource.get("code") or {}).get("coding", [])
             if c.get("system") == t.ICD10_CM and c.get("code")]
    if not codes:
        into.notes.append(f"Left out the diagnosis '{words}': it has no ICD-10-CM code.")
        return
    try:
        description = (codes[0].get("display") or words)[:200]
        item = Diagnosis(code=codes[0]["code"], description=description)
    except ValidationError:
        into.notes.append(f"Left out the diagnosis '{words}': {codes[0]['code']} is not ICD-10-CM.")
        return
    into.diagnoses.append(item.model_dump(mode="json"))


def _medication_name(resource: dict[str, Any], medications: dict[str, dict]) -> str:
    if resource.get("medicationCodeableConcept"):
        return _text(resource["medicationCodeableConcept"])
    reference = (resource.get("medicationReference") or {}).get("reference", "")
    contained = {f"#{m.get('id')}": m for m in resource.get("contained", [])}
    found = contained.get(reference) or medications.get(reference)
    return _text(found.get("code")) if found else ""


def _medication(resource: dict[str, Any], into: Prefill, medications: dict[str, dict]) -> None:
    name = _medication_name(resource, medications)
    if resource.get("status") in ENDED_MEDICATION:
        into.notes.append(f"Left out the medication '{name}': it is {resource['status']}.")
        return
    dose = next((d.get("text", "") for d in resource.get("dosage") or [] if d.get("text")), "")
    try:
        item = Medication(name=name[:120], dose=dose[:80])
    except ValidationError:
        into.notes.append("Left out a medication that names no drug.")
        return
    into.medications.append(item.model_dump(mode="json", exclude={"drug_class"}))


def _allergy(resource: dict[str, Any], into: Prefill) -> None:
    substance = _text(resource.get("code"))
    if _codes(resource.get("clinicalStatus")) & {"inactive", "resolved"}:
        into.notes.append(f"Left out the allergy to '{substance}': it is no longer active.")
        return
    manifestations = [
        _text(m) for r in resource.get("reaction") or [] for m in r.get("manifestation") or []
    ]
    try:
        reaction = ", ".join(filter(None, manifestations))[:200]
        item = Allergy(substance=substance[:120], reaction=reaction)
    except ValidationError:
        into.notes.append("Left out an allergy that names no substance.")
        return
    into.allergies.append(item.model_dump(mode="json"))


def prefill_from_bundle(bundle: Any) -> Prefill:
    """The form values a Bundle of one Patient (and their Conditions, MedicationStatements and
    AllergyIntolerances) gives; Invalid when it is no valid R4 Bundle of exactly one Patient."""
    resources = _resources(bundle)
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise Invalid.field("entry", f"The Bundle must hold one Patient, not {len(patients)}.")
    into = Prefill()
    _patient(patients[0], into)
    medications = {f"Medication/{r.get('id')}": r for r in resources
                   if r["resourceType"] == "Medication"}
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Condition":
            _condition(resource, into)
        elif kind == "MedicationStatement":
            _medication(resource, into, medications)
        elif kind == "AllergyIntolerance":
            _allergy(resource, into)
    ignored = sorted({r["resourceType"] for r in resources} - TAKEN_OVER)
    if ignored:
        into.notes.append(f"Not taken over (the intake does not hold them): {', '.join(ignored)}.")
    return into
