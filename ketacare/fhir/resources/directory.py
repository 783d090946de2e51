"""The clinic as FHIR knows it: Organization (the clinic and its network), Location (the clinic
and its chairs and rooms as sub-locations), Practitioner (its staff) and PractitionerRole (each
role held)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from ketacare.core.roles import Role
from ketacare.core.selectors import (
    chairs_in_scope,
    clinics_in_scope,
    memberships_in_scope,
    npi_holders,
    organisations_in_scope,
    staff_in_scope,
)
from ketacare.fhir import terminology as t
from ketacare.fhir.registry import Include, ResourceType, param, refs_at, register
from ketacare.fhir.sources import (
    Build,
    ReferenceField,
    Source,
    StringField,
    TokenField,
    TokenMatch,
    int_id,
    prefixed_id,
)

ROLE_LABELS = dict(Role.choices)


def _prefixed(prefix: str):
    parse = prefixed_id(prefix)

    def from_id(text: str) -> Q | None:
        number = parse(text)
        return Q(pk=number) if number is not None else None

    return from_id


def _address(place) -> dict[str, Any]:
    return {
        "line": [line for line in (place.address_line1, place.address_line2) if line],
        "city": place.city,
        "state": place.state,
        "postalCode": place.postal_code,
    }


def _telecom(place) -> list[dict[str, str] | None]:
    return [
        {"system": "phone", "value": place.phone, "use": "work"} if place.phone else None,
        {"system": "email", "value": place.email, "use": "work"} if place.email else None,
    ]


# --- Organization -----------------------------------------------------------------------------


def build_clinic_organization(clinic, build: Build) -> dict[str, Any]:
    return t.compact(
        {
            "resourceType": "Organization",
            "id": f"clinic-{clinic.pk}",
            "active": True,
            "type": [t.concept(t.ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
            "name": clinic.name,
            "telecom": _telecom(clinic),
            "address": [_address(clinic)],
            "partOf": t.ref("Organization", f"network-{clinic.organisation_id}"),
        }
    )


def build_network(organisation, build: Build) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": f"network-{organisation.pk}",
        "active": True,
        "name": organisation.name,
    }


ORGANIZATION_FILTERS = {"name": StringField(("name",))}
CLINIC_ORGANIZATIONS = Source(
    name="clinic",
    rows=clinics_in_scope,
    to_id=lambda clinic: f"clinic-{clinic.pk}",
    from_id=_prefixed("clinic-"),
    build=build_clinic_organization,
    patient=None,
    filters=ORGANIZATION_FILTERS,
)
NETWORKS = Source(
    name="network",
    rows=organisations_in_scope,
    to_id=lambda organisation: f"network-{organisation.pk}",
    from_id=_prefixed("network-"),
    build=build_network,
    patient=None,
    filters=ORGANIZATION_FILTERS,
)


# --- Location ---------------------------------------------------------------------------------


def build_clinic_location(clinic, build: Build) -> dict[str, Any]:
    return t.compact(
        {
            "resourceType": "Location",
            "id": f"clinic-{clinic.pk}",
            "status": "active",
            "mode": "instance",
            "name": clinic.name,
            "physicalType": t.concept(t.LOCATION_TYPE, "si", "Site"),
            "telecom": _telecom(clinic),
            "address": _address(clinic),
            "managingOrganization": t.ref("Organization", f"clinic-{clinic.pk}"),
        }
    )


def build_chair(chair, build: Build) -> dict[str, Any]:
    # A treatment chair is the place a session happens, like a bed: "bd"; a room is "ro".
    physical = ("ro", "Room") if chair.kind == "room" else ("bd", "Bed")
    return {
        "resourceType": "Location",
        "id": f"chair-{chair.pk}",
        "status": "active" if chair.active else "inactive",
        "mode": "instance",
        "name": chair.name,
        "description": chair.get_kind_display(),
        "physicalType": t.concept(t.LOCATION_TYPE, *physical, text=chair.get_kind_display()),
        "managingOrganization": t.ref("Organization", f"clinic-{chair.clinic_id}"),
        "partOf": t.ref("Location", f"clinic-{chair.clinic_id}"),
    }


CLINIC_LOCATIONS = Source(
    name="clinic",
    rows=clinics_in_scope,
    to_id=lambda clinic: f"clinic-{clinic.pk}",
    from_id=_prefixed("clinic-"),
    build=build_clinic_location,
    patient=None,
    filters={
        "name": StringField(("name",)),
        "status": TokenMatch(lambda token: Q() if token.code in (None, "active") else None),
        "organization": ReferenceField({"Organization": ("pk", prefixed_id("clinic-"))}),
    },
)
CHAIRS = Source(
    name="chairs",
    rows=chairs_in_scope,
    to_id=lambda chair: f"chair-{chair.pk}",
    from_id=_prefixed("chair-"),
    build=build_chair,
    patient=None,
    order=("name", "pk"),
    filters={
        "name": StringField(("name",)),
        "status": TokenField("active", None, {"active": [True], "inactive": [False]}),
        "partof": ReferenceField({"Location": ("clinic_id", prefixed_id("clinic-"))}),
        "organization": ReferenceField({"Organization": ("clinic_id", prefixed_id("clinic-"))}),
    },
)


# --- Practitioner and PractitionerRole ----------------------------------------------------------


def _staff(access):
    here = Prefetch("memberships", queryset=memberships_in_scope(access), to_attr="held_here")
    return staff_in_scope(access).prefetch_related(here)


def build_practitioner(user, build: Build) -> dict[str, Any]:
    held = getattr(user, "held_here", [])
    npis = sorted({m.npi for m in held if m.npi})
    credentials = sorted({m.credential for m in held if m.credential})
    return t.compact(
        {
            "resourceType": "Practitioner",
            "id": str(user.pk),
            "identifier": [{"system": t.NPI, "value": npi} for npi in npis],
            "active": user.is_active and any(m.active for m in held),
            "name": [
                {
                    "family": user.last_name,
                    "given": [user.first_name],
                    "text": user.get_full_name(),
                }
            ],
            "telecom": [{"system": "email", "value": user.email, "use": "work"}]
            if user.email
            else [],
            "qualification": [
                {"code": t.concept(t.CREDENTIAL, credential, credential)}
                for credential in credentials
            ],
        }
    )


def _npi(token) -> Q | None:
    if token.system not in (None, t.NPI):
        return None
    if token.code is None:
        return Q(pk__in=npi_holders(None))
    return Q(pk__in=npi_holders(token.code))


PRACTITIONERS = Source(
    name="staff",
    rows=_staff,
    to_id=lambda user: str(user.pk),
    from_id=lambda text: Q(pk=int_id(text)) if int_id(text) is not None else None,
    build=build_practitioner,
    patient=None,
    order=("last_name", "first_name", "pk"),
    filters={
        "identifier": TokenMatch(_npi),
        "name": StringField(("last_name", "first_name")),
        "family": StringField(("last_name",)),
        "given": StringField(("first_name",)),
        "active": TokenField("is_active", None, {"true": [True], "false": [False]}),
    },
)


def build_role(membership, build: Build) -> dict[str, Any]:
    organization = (
        f"clinic-{membership.clinic_id}"
        if membership.clinic_id
        else f"network-{membership.organisation_id}"
    )
    return t.compact(
        {
            "resourceType": "PractitionerRole",
            "id": str(membership.pk),
            "identifier": [{"system": t.NPI, "value": membership.npi}] if membership.npi else [],
            "active": membership.active and membership.user.is_active,
            "practitioner": t.ref("Practitioner", membership.user_id),
            "organization": t.ref("Organization", organization),
            "code": [
                t.concept(t.STAFF_ROLE, membership.role, ROLE_LABELS.get(membership.role, ""))
            ],
            "location": [t.ref("Location", f"clinic-{membership.clinic_id}")]
            if membership.clinic_id
            else [],
        }
    )


ROLES = Source(
    name="memberships",
    rows=memberships_in_scope,
    to_id=lambda membership: str(membership.pk),
    from_id=lambda text: Q(pk=int_id(text)) if int_id(text) is not None else None,
    build=build_role,
    patient=None,
    related=("user",),
    filters={
        "practitioner": ReferenceField({"Practitioner": ("user_id", int_id)}),
        "organization": ReferenceField(
            {
                "Organization": ("clinic_id", prefixed_id("clinic-")),
            }
        ),
        "role": TokenField("role", t.STAFF_ROLE),
        "active": TokenField("active", None, {"true": [True], "false": [False]}),
    },
)

register(
    ResourceType(
        name="Organization",
        sources=(CLINIC_ORGANIZATIONS, NETWORKS),
        params=(param("Organization", "name", "string", "Start of the name."),),
        capability=None,
        patient_compartment=False,
        description="The clinic ('clinic-<id>') and its network ('network-<id>').",
        patient_export=False,
    ),
    ResourceType(
        name="Location",
        sources=(CLINIC_LOCATIONS, CHAIRS),
        params=(
            param("Location", "name", "string", "Start of the name."),
            param("Location", "status", "token", "active or inactive (chairs taken out of use)."),
            param("Location", "partof", "reference", "The clinic a chair or room belongs to."),
            param("Location", "organization", "reference", "The clinic's Organization."),
        ),
        capability=None,
        patient_compartment=False,
        description="The clinic ('clinic-<id>') and its chairs and rooms ('chair-<id>').",
        includes=(Include("partof", "Location", refs_at("partOf")),),
        patient_export=False,
    ),
    ResourceType(
        name="Practitioner",
        sources=(PRACTITIONERS,),
        params=(
            param("Practitioner", "identifier", "token", "The NPI."),
            param("Practitioner", "name", "string", "Start of the family or given name."),
            param("Practitioner", "family", "string", "Start of the family name.",
                  standard="individual-family"),
            param("Practitioner", "given", "string", "Start of the given name.",
                  standard="individual-given"),
            param("Practitioner", "active", "token", "true while they hold a role."),
        ),
        capability=None,
        patient_compartment=False,
        description="Everyone who holds or held a role at the clinic.",
        patient_export=False,
    ),
    ResourceType(
        name="PractitionerRole",
        sources=(ROLES,),
        params=(
            param("PractitionerRole", "practitioner", "reference", "The person."),
            param("PractitionerRole", "organization", "reference", "The clinic."),
            param("PractitionerRole", "role", "token", "The Ketacare role (e.g. nurse)."),
            param("PractitionerRole", "active", "token", "true while the role is held."),
        ),
        capability=None,
        patient_compartment=False,
        description="Each role a person holds at the clinic (or network-wide over it).",
        includes=(Include("practitioner", "Practitioner", refs_at("practitioner")),),
        patient_export=False,
    ),
)
