"""The action context: who acts, where, from which address and when — built once per request.

Pages and API endpoints are thin adapters over the same service call::

    act = action(request, Capability.SESSION_DOCUMENT)      # 403 (Forbidden) if the role lacks it
    session = session_get(act.access, session_id)           # 404 (NotFound) outside the clinic
    services.session_start_dosing(session=session, by=act.actor, ..., **act.stamp)

Services never read the request or the clock: they take ``at`` (and the actor) from here. The
acting role is derived from the actor's memberships (``Actor.roles``), never from a string the
caller supplies. Errors are ``ketacare.core.errors`` and are mapped to HTTP in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.access import Access
from ketacare.core.errors import Forbidden
from ketacare.core.roles import MATRIX, Capability, Role
from ketacare.core.tokens import require_token_scope


@dataclass(frozen=True)
class Actor:
    """The person acting and the roles they hold at the clinic acted in."""

    user: Any
    roles: frozenset[str]
    clinic_id: int | None

    def can(self, capability: Capability) -> bool:
        return bool(self.roles & MATRIX[capability])

    @property
    def is_prescriber(self) -> bool:
        return bool(self.roles & {Role.PRESCRIBER, Role.MEDICAL_DIRECTOR})

    @property
    def acting_role(self) -> str:
        """The most senior clinical role held here, for records that name one role."""
        for role in (
            Role.MEDICAL_DIRECTOR,
            Role.PRESCRIBER,
            Role.NURSE,
            Role.CLINIC_ADMIN,
            Role.FRONT_DESK,
            Role.BILLING,
        ):
            if role in self.roles:
                return str(role)
        return ""


@dataclass(frozen=True)
class Action:
    """Everything a service call needs from the request, and nothing else."""

    access: Access
    actor: Actor
    origin: RequestOrigin
    at: dt.datetime

    @property
    def clinic(self):
        return self.access.clinic

    @property
    def stamp(self) -> dict[str, Any]:
        """Where the request came from and when, as every service takes them:
        ``services.x(..., **act.stamp)`` passes ``origin=act.origin, at=act.at``."""
        return {"origin": self.origin, "at": self.at}


def actor_of(access: Access) -> Actor:
    clinic = access.clinic
    return Actor(user=access.user, roles=access.roles, clinic_id=clinic.pk if clinic else None)


def action(request, capability: Capability | None = None) -> Action:
    """The action context of ``request``; Forbidden (403) unless the role here holds
    ``capability`` (when given)."""
    access: Access = request.access
    if capability is not None and (access.clinic is None or not access.can(capability)):
        raise Forbidden(
            "Your role at this clinic may not do this.", details={"capability": str(capability)}
        )
    if capability is not None:
        require_token_scope(request, capability)  # a bearer token's scopes narrow its roles
    return Action(
        access=access,
        actor=actor_of(access),
        origin=RequestOrigin.from_request(request),
        at=timezone.now(),
    )


def audit_read(
    act: Action,
    *,
    object_type: str,
    record: Any = None,
    patient: Any = None,
    object_id: object = "",
    patient_id: int | None = None,
    clinic_id: int | None = None,
    summary: str,
) -> None:
    """Record a read of patient data (pages and API alike) in the audit trail.

    ``record=`` names what was read by its id and its patient (``record.patient_id``);
    ``patient=`` names the patient whose record was read (the id and the patient are theirs)."""
    if record is not None:
        object_id, patient_id = record.pk, record.patient_id
    if patient is not None:
        object_id = patient_id = patient.pk
    audit_record(
        action="view",
        object_type=object_type,
        object_id=object_id,
        clinic_id=clinic_id if clinic_id is not None else (act.clinic.pk if act.clinic else None),
        patient_id=patient_id,
        summary=summary,
        **act.stamp,
    )


def audit_list_read(
    act: Action, *, object_type: str, summary: str, rows: Iterable[Any], **changes: Any
) -> None:
    """Record a read of many patients' records (a list, a calendar, a queue) in the audit trail:
    one entry naming every patient shown (``rows``: anything with a ``patient_id``), with
    ``changes`` for what else the reader chose (a filter)."""
    audit_record(
        action="view",
        object_type=object_type,
        clinic_id=act.clinic.pk,
        summary=summary,
        changes={"patient_ids": sorted({row.patient_id for row in rows}), **changes},
        **act.stamp,
    )
