"""Who works where: a person's roles at a clinic, changing them, and deactivating someone.

Every write is audited. A clinic always keeps someone who can manage it, a clinic admin hands out
the medical-director role only if they are a medical director themselves, and deactivating a
person ends their sessions and revokes their API tokens at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import (
    ApiToken,
    Clinic,
    Credential,
    Organisation,
    StaffMembership,
    User,
)
from ketacare.core.roles import PRESCRIBER_CREDENTIALS, Role

# Roles that manage a clinic (its settings, staff and protocol): one must always remain.
MANAGING_ROLES = frozenset({Role.CLINIC_ADMIN, Role.MEDICAL_DIRECTOR})


class StaffRefused(Refused):
    """The staff change would leave the clinic unmanaged, or the person acting may not make it."""


@dataclass(frozen=True)
class RoleGrant:
    """Roles (and the credential and NPI that go with them) a person is to hold at one clinic."""

    roles: tuple[str, ...]
    credential: str = ""
    npi: str = ""


def role_grant_check(
    grant: RoleGrant, *, network: bool = False, granted_by: frozenset[str]
) -> RoleGrant:
    """The grant cleaned, or Invalid naming the field. ``granted_by`` are the roles the person
    granting holds where the roles apply (a network director counts as medical director)."""
    roles = tuple(dict.fromkeys(str(r) for r in grant.roles))
    if not roles:
        raise Invalid.field("roles", "Choose at least one role.")
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise Invalid.field("roles", f"Unknown role: {', '.join(unknown)}.")
    if network and roles != (Role.MEDICAL_DIRECTOR,):
        raise Invalid.field(
            "roles", "Only a medical director works network-wide; other roles belong to a clinic."
        )
    credential = (grant.credential or "").strip().upper()
    if credential not in Credential.values:
        raise Invalid.field("credential", f"Unknown credential {credential!r}.")
    if Role.PRESCRIBER in roles and credential not in PRESCRIBER_CREDENTIALS:
        raise Invalid.field(
            "credential", "A prescriber needs an MD, DO, NP, PA or CRNA credential."
        )
    npi = (grant.npi or "").strip()
    if npi and not re.fullmatch(r"\d{10}", npi):
        raise Invalid.field("npi", "An NPI is 10 digits.")
    if Role.MEDICAL_DIRECTOR in roles and Role.MEDICAL_DIRECTOR not in granted_by:
        raise StaffRefused("Only a medical director may make someone a medical director.")
    return RoleGrant(roles, credential, npi)


def active_roles(user: User, clinic: Clinic) -> set[str]:
    return set(
        StaffMembership.objects.filter(user=user, clinic=clinic, active=True).values_list(
            "role", flat=True
        )
    )


def _still_managed(clinic: Clinic, *, without: User) -> bool:
    """True when someone other than ``without`` can still manage ``clinic``."""
    return (
        StaffMembership.objects.filter(active=True, user__is_active=True)
        .filter(
            Q(clinic=clinic, role__in=MANAGING_ROLES)
            | Q(clinic__isnull=True, organisation=clinic.organisation_id)
        )
        .exclude(user=without)
        .exists()
    )


def _refuse_if_unmanaged(clinic: Clinic, user: User, remaining: Iterable[str]) -> None:
    if set(remaining) & MANAGING_ROLES:
        return
    if active_roles(user, clinic) & MANAGING_ROLES and not _still_managed(clinic, without=user):
        raise StaffRefused(
            f"{user.get_full_name() or user.username} is the last clinic admin or medical "
            f"director of {clinic.name}: give someone else that role first."
        )


def memberships_apply(
    *,
    user: User,
    organisation: Organisation,
    clinic: Clinic | None,
    grant: RoleGrant,
) -> tuple[set[str], set[str]]:
    """Make ``user``'s active roles at ``clinic`` exactly ``grant.roles`` (rows of roles taken
    away are kept, inactive, for the record). Returns the roles before and after."""
    rows = {
        m.role: m
        for m in StaffMembership.objects.select_for_update().filter(user=user, clinic=clinic)
    }
    before = {role for role, m in rows.items() if m.active}
    for role in Role.values:
        row = rows.get(role)
        if role in grant.roles:
            if row is None:
                row = StaffMembership(user=user, role=role, clinic=clinic)
            row.organisation = organisation
            row.active = True
            row.credential = grant.credential
            row.npi = grant.npi
            row.full_clean(exclude=["user", "organisation", "clinic"])
            row.save()
        elif row is not None and row.active:
            row.active = False
            row.save(update_fields=["active"])
    return before, set(grant.roles)


@transaction.atomic
def staff_roles_set(
    *,
    clinic: Clinic,
    user: User,
    grant: RoleGrant,
    granted_by: frozenset[str],
    origin: RequestOrigin,
    at: dt.datetime,
) -> set[str]:
    """Change the roles ``user`` holds at ``clinic`` (to stop all of them, deactivate)."""
    grant = role_grant_check(grant, granted_by=granted_by)
    current = active_roles(user, clinic)
    if (Role.MEDICAL_DIRECTOR in current) != (Role.MEDICAL_DIRECTOR in grant.roles) and (
        Role.MEDICAL_DIRECTOR not in granted_by
    ):
        raise StaffRefused("Only a medical director may take the medical-director role away.")
    _refuse_if_unmanaged(clinic, user, grant.roles)
    before, after = memberships_apply(
        user=user, organisation=clinic.organisation, clinic=clinic, grant=grant
    )
    if before != after or not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            origin=origin,
            action="update",
            object_type="staff_membership",
            object_id=user.pk,
            clinic_id=clinic.pk,
            summary=f"Roles of {user.username} at {clinic.name}: "
            f"{', '.join(Role(r).label for r in sorted(after)) or 'none'}",
            changes={"roles": {"before": sorted(before), "after": sorted(after)}},
            at=at,
        )
    return after


def sessions_end(user: User, *, at: dt.datetime) -> int:
    """Delete every live session of ``user`` (they are signed out everywhere at once)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=at).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def api_tokens_revoke(user: User, *, at: dt.datetime) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=at)


@transaction.atomic
def staff_deactivate(
    *,
    clinic: Clinic,
    user: User,
    by: User,
    granted_by: frozenset[str],
    origin: RequestOrigin,
    at: dt.datetime,
    reason: str = "",
) -> User:
    """Stop ``user`` working at ``clinic``: their roles there end, and their sessions and API
    tokens end at once. With no active role left anywhere, the account is disabled too."""
    if user.pk == by.pk:
        raise StaffRefused("You cannot deactivate yourself; ask another clinic admin.")
    current = active_roles(user, clinic)
    if not current:
        raise StaffRefused(f"{user.username} holds no active role at {clinic.name}.")
    if Role.MEDICAL_DIRECTOR in current and Role.MEDICAL_DIRECTOR not in granted_by:
        raise StaffRefused("Only a medical director may deactivate a medical director.")
    _refuse_if_unmanaged(clinic, user, ())
    StaffMembership.objects.filter(user=user, clinic=clinic, active=True).update(active=False)
    elsewhere = StaffMembership.objects.filter(user=user, active=True).exists()
    if not elsewhere:
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions = sessions_end(user, at=at)
    tokens = api_tokens_revoke(user, at=at)
    audit_record(
        origin=origin,
        action="update",
        object_type="staff_membership",
        object_id=user.pk,
        clinic_id=clinic.pk,
        summary=f"Deactivated {user.username} at {clinic.name}"
        + (f": {reason.strip()}" if reason.strip() else ""),
        changes={
            "roles": {"before": sorted(current), "after": []},
            "account_active": not elsewhere,
            "sessions_ended": sessions,
            "api_access_revoked": tokens,
        },
        at=at,
    )
    return user


def staff_of(clinic: Clinic) -> list[dict]:
    """People who hold or held a role at ``clinic``: name, active roles, credential, account."""
    people: dict[int, dict] = {}
    rows = (
        StaffMembership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "role")
    )
    for m in rows:
        person = people.setdefault(
            m.user_id,
            {"user": m.user, "roles": [], "credential": "", "npi": "", "active": False},
        )
        if m.active:
            person["roles"].append(m.get_role_display())
            person["credential"] = person["credential"] or m.credential
            person["npi"] = person["npi"] or m.npi
            person["active"] = m.user.is_active
    return sorted(people.values(), key=lambda p: (not p["active"], p["user"].last_name))
