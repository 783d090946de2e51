"""Patient (the registry, US Core Patient) and Group (the clinic's patient lists that
``Group/[id]/$export`` exports)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ketacare.core.access import Access
from ketacare.core.roles import Capability
from ketacare.core.selectors import clinics_in_scope
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import ResourceType, param, register
from ketacare.fhir.sources import (
    Build,
    DateField,
    Source,
    StringField,
    TokenField,
    TokenMatch,
    int_id,
)
from ketacare.patients.selectors import patients_in_scope
from ketacare.treatment.selectors.treatment import courses_in_scope

GENDER = "http://hl7.org/fhir/administrative-gender"
# Administrative gender from the registry's sex assigned at birth (the only sex recorded);
# gender identity travels as text. The US Core birth-sex extension carries F, M or UNK.
GENDER_OF_SEX = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
BIRTH_SEX = {"female": "F", "male": "M"}


def _patient_id(text: str) -> Q | None:
    number = int_id(text)
    return Q(pk=number) if number is not None else None


def _active(token) -> Q | None:
    if token.code == "true":
        return Q(merged_into__isnull=True)
    if token.code == "false":
        return Q(merged_into__isnull=False)
    return None


def _identifier(token) -> Q | None:
    if token.code is None:
        return Q()
    if token.system and not token.system.startswith("urn:ketacare:clinic:"):
        return None
    return Q(mrn__iexact=token.code)


def build_patient(patient, build: Build) -> dict[str, Any]:
    names = [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}]
    if patient.preferred_name and patient.preferred_name != patient.first_name:
        names.append(
            {"use": "usual", "family": patient.last_name, "given": [patient.preferred_name]}
        )
    telecom = [
        {"system": "phone", "value": patient.phone, "use": "home"} if patient.phone else None,
        {"system": "email", "value": patient.email} if patient.email else None,
    ]
    address = {
        "line": [line for line in (patient.address_line1, patient.address_line2) if line],
        "city": patient.city,
        "state": patient.state,
        "postalCode": patient.postal_code,
    }
    contact = None
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact = {
            "relationship": [
                {"text": patient.emergency_contact_relationship or "Emergency contact"}
            ],
            "name": {"text": patient.emergency_contact_name},
            "telecom": [{"system": "phone", "value": patient.emergency_contact_phone}]
            if patient.emergency_contact_phone
            else [],
        }
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"profile": [t.US_CORE_PATIENT]},
        "extension": [
            {"url": t.US_CORE_BIRTHSEX, "valueCode": BIRTH_SEX.get(patient.sex_at_birth, "UNK")}
        ],
        "identifier": [
            {
                "use": "usual",
                "type": t.concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"
                ),
                "system": t.mrn_system(patient.clinic.slug),
                "value": patient.mrn,
            }
        ],
        "active": patient.merged_into_id is None,
        "name": names,
        "telecom": telecom,
        "gender": GENDER_OF_SEX.get(patient.sex_at_birth, "unknown"),
        "birthDate": t.when(patient.date_of_birth),
        "address": [address],
        "contact": [contact],
        "managingOrganization": t.ref("Organization", f"clinic-{patient.clinic_id}"),
    }
    if patient.merged_into_id:
        resource["link"] = [
            {"other": t.ref("Patient", patient.merged_into_id), "type": "replaced-by"}
        ]
    return t.compact(resource)


PATIENTS = Source(
    name="registry",
    rows=patients_in_scope,
    to_id=lambda patient: str(patient.pk),
    from_id=_patient_id,
    build=build_patient,
    patient="pk",
    related=("clinic",),
    updated="updated_at",
    order=("last_name", "first_name", "pk"),
    filters={
        "identifier": TokenMatch(_identifier),
        "name": StringField(
            ("search_last_name", "search_first_name", "preferred_name"),
            ("last_name", "first_name", "preferred_name"),
        ),
        "family": StringField(("search_last_name",), ("last_name",)),
        "given": StringField(
            ("search_first_name", "preferred_name"), ("first_name", "preferred_name")
        ),
        "birthdate": DateField("date_of_birth", is_date=True),
        "gender": TokenField(
            "sex_at_birth",
            GENDER,
            {fhir: [sex for sex, g in GENDER_OF_SEX.items() if g == fhir] for fhir in
             GENDER_OF_SEX.values()},
        ),
        "active": TokenMatch(_active),
        "email": StringField(("email",)),
        "phone": StringField(("phone",)),
    },
)


# --- Group: the clinic's patient lists ---------------------------------------------------------

GROUPS = {
    "all": "Every patient registered at the clinic (records merged into another left out)",
    "active-course": "Patients with a treatment course that has not ended",
}


def group_members(access: Access, group_id: str) -> QuerySet:
    """The ids of the patients in one of the clinic's groups."""
    patients = patients_in_scope(access).filter(merged_into__isnull=True)
    if group_id == "active-course":
        in_course = courses_in_scope(access).exclude(phase="completed").values("patient_id")
        patients = patients.filter(pk__in=in_course)
    return patients.values_list("pk", flat=True)


def _groups(clinic, build: Build) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for group_id, description in GROUPS.items():
        members = list(group_members(build.access, group_id))
        found.append(
            (
                group_id,
                {
                    "resourceType": "Group",
                    "id": group_id,
                    "identifier": [{"system": t.GROUP, "value": f"{clinic.slug}:{group_id}"}],
                    "active": True,
                    "type": "person",
                    "actual": True,
                    "code": t.text_concept(description),
                    "name": f"{clinic.name}: {description.lower()}",
                    "managingEntity": t.ref("Organization", f"clinic-{clinic.pk}"),
                    "quantity": len(members),
                    "member": [{"entity": t.ref("Patient", pk)} for pk in members],
                },
            )
        )
    return found


GROUP_SOURCE = Source(
    name="groups",
    rows=clinics_in_scope,
    to_id=lambda clinic: "",
    from_id=lambda text: Q() if text in GROUPS else None,
    build=lambda clinic, build: {},
    patient=None,
    expand=_groups,
)

register(
    ResourceType(
        name="Patient",
        sources=(PATIENTS,),
        params=(
            param("Patient", "identifier", "token", "The MRN (system|value or the value)."),
            param("Patient", "name", "string", "Start of the family, given or preferred name."),
            param("Patient", "family", "string", "Start of the family name."),
            param("Patient", "given", "string", "Start of the given or preferred name."),
            param("Patient", "birthdate", "date", "Date of birth, with prefixes.",
                  standard="individual-birthdate"),
            param("Patient", "gender", "token", "Administrative gender (from sex at birth).",
                  standard="individual-gender"),
            param("Patient", "active", "token", "false for a record merged into another."),
            param("Patient", "email", "string", "Start of the e-mail address.",
                  standard="individual-email"),
            param("Patient", "phone", "string", "Start of the phone number.",
                  standard="individual-phone"),
        ),
        capability=Capability.PATIENT_LIST,
        patient_compartment=True,
        description="The clinic's registry: demographics, contacts, MRN, merged records.",
        profiles=(t.US_CORE_PATIENT,),
        operations=(("export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"),),
    ),
    ResourceType(
        name="Group",
        sources=(GROUP_SOURCE,),
        params=(),
        capability=Capability.PATIENT_LIST,
        patient_compartment=False,
        description="The clinic's patient lists: 'all' and 'active-course'.",
        patient_export=False,
        operations=(("export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"),),
    ),
)
