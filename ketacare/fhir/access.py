"""Who is asking the FHIR server, for what, and what they may read.

A request comes with a bearer token (as for the API) or the browser session. A token must carry
a SMART on FHIR scope (``ketacare.core.tokens``):

- ``user/*.read`` — what the user's roles at the clinic may read (``X-Ketacare-Clinic`` picks
  the clinic, as on the API); each resource type names the capability it needs;
- ``system/*.read`` — the same, and the bulk export;
- ``patient/*.read`` — on a token of a patient's portal account: that patient's own record.

Staff reading with the browser session are not narrowed by scopes; a patient signed in to the
portal reads their own record. Everything else is refused (403), and another clinic's or another
patient's resource is not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core import tokens
from ketacare.core.access import Access
from ketacare.core.actions import Action, actor_of
from ketacare.core.api_auth import session_user, token_user
from ketacare.core.errors import Forbidden
from ketacare.fhir.registry import ResourceType
from ketacare.fhir.sources import Build


class Unauthenticated(Exception):
    """No valid credentials (401 with ``WWW-Authenticate: Bearer``)."""


@dataclass(frozen=True)
class FhirCaller:
    """The caller of one FHIR request: their action context, and the patient they are confined
    to (a patient's own token or portal session)."""

    act: Action
    patient_id: int | None
    scopes: tuple[str, ...] | None  # None: the browser session

    @property
    def access(self) -> Access:
        return self.act.access

    @property
    def build(self) -> Build:
        return Build(access=self.act.access, now=self.act.at)

    def may_read(self, resource_type: ResourceType) -> bool:
        if self.patient_id is not None:
            return resource_type.patient_compartment or resource_type.capability is None
        if resource_type.capability is None:
            return self.access.is_staff_member and self.access.clinic is not None
        return self.access.clinic is not None and self.access.can(resource_type.capability)

    def require_read(self, resource_type: ResourceType) -> None:
        if self.may_read(resource_type):
            return
        if self.patient_id is not None:
            raise Forbidden(f"A patient's own token does not read {resource_type.name} resources.")
        needed = resource_type.capability or "a staff role"
        raise Forbidden(
            f"Your role at this clinic may not read {resource_type.name} resources ({needed})."
        )

    @property
    def may_export(self) -> bool:
        return self.scopes is None or tokens.SYSTEM_READ in self.scopes


def caller(request: HttpRequest, *, write: bool = False) -> FhirCaller:
    """The caller of ``request``; ``Unauthenticated`` without valid credentials, ``Forbidden``
    for a token without a FHIR scope or a user with no role and no patient record. ``write``
    (the import's POST): a token needs the API's ``write`` scope, and the browser session is
    not taken (no CSRF token comes with a FHIR request; staff upload on the import page)."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if write and authorization[:7].lower() != "bearer ":
        raise Unauthenticated("Send an API token with the write scope as 'Authorization: Bearer'.")
    if authorization[:7].lower() == "bearer ":
        user = token_user(request, authorization[7:].strip())
        if user is None:
            raise Unauthenticated("The bearer token is unknown, expired or revoked.")
        scopes = tuple(s for s in request.token_scopes if s in tokens.FHIR_SCOPES)
        if write:
            if tokens.WRITE not in request.token_scopes:
                raise Forbidden("Sending a Bundle needs a token with the write scope.")
            scopes = (*scopes, tokens.WRITE)
        elif not scopes:
            raise Forbidden(
                "This API token has no FHIR scope; issue one with --scopes user/*.read (or "
                "system/*.read for bulk export, patient/*.read for a patient's own record)."
            )
    elif authorization:
        raise Unauthenticated("Send the token as 'Authorization: Bearer <token>'.")
    else:
        user = session_user(request)
        if user is None:
            raise Unauthenticated("Send an API token as 'Authorization: Bearer <token>'.")
        scopes = None
    access: Access = request.access
    origin = RequestOrigin.from_request(request)
    now = timezone.now()
    if access.is_staff_member:
        if scopes is not None and not {tokens.USER_READ, tokens.SYSTEM_READ, tokens.WRITE} & set(
            scopes
        ):
            raise Forbidden(
                "patient/*.read reads a patient's own record, on a token of the patient's portal "
                "account; staff tokens need user/*.read or system/*.read."
            )
        return FhirCaller(Action(access, actor_of(access), origin, now), None, scopes)
    if access.is_patient:
        patient = user.patient_profile
        clinic = patient.clinic
        own = Access(
            user=user,
            clinic=clinic,
            clinic_ids=frozenset({clinic.pk}),
            clinics=(clinic,),
            patient_id=patient.pk,
            time_zone=clinic.time_zone,
        )
        return FhirCaller(Action(own, actor_of(own), origin, now), patient.pk, scopes)
    raise Forbidden("This account has no role at any clinic and no patient record.")
