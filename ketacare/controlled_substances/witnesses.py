"""A witness confirms with their own credentials: username and password typed at the screen, not
a checkbox. Pages and the API call ``witness_confirm`` with the request (failed attempts count
towards the sign-in lockout and are audited as failed sign-ins); services take the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.db.models import Q

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.common import ConfigurableDefault
from ketacare.clinical.controlled_substances import (
    SECTION,
    LedgerRefused,
    Witness,
    check_witnesses,
)
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic, StaffMembership, User
from ketacare.core.roles import PRESCRIBER_CREDENTIALS, Role

LICENSED_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
LICENSED_CREDENTIALS = frozenset({*PRESCRIBER_CREDENTIALS, "RN", "LPN"})


@dataclass(frozen=True)
class ConfirmedWitness:
    """A person who has just typed their own password; ``licensed`` at the clinic acted in."""

    user: User
    licensed: bool
    confirmed_at: dt.datetime

    @property
    def as_witness(self) -> Witness:
        name = self.user.get_full_name() or self.user.get_username()
        return Witness(self.user.pk, self.licensed, name)


def is_licensed(user: User, clinic: Clinic) -> bool:
    """Licensed clinical staff here: a nurse, prescriber or medical director (network-wide ones
    included) holding a licence credential (RN, LPN, MD, DO, NP, PA, CRNA)."""
    return StaffMembership.objects.filter(
        Q(clinic=clinic) | Q(clinic__isnull=True, organisation_id=clinic.organisation_id),
        user=user,
        active=True,
        role__in=LICENSED_ROLES,
        credential__in=LICENSED_CREDENTIALS,
    ).exists()


def witness_confirm(
    request, *, clinic: Clinic, username: str, password: str, at: dt.datetime, field: str
) -> ConfirmedWitness:
    """The witness's own sign-in, checked now. Invalid on ``field`` when it fails."""
    username = (username or "").strip()
    if not username or not password:
        raise Invalid.field(field, "The witness types their own username and password")
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        wait = getattr(request, "sign_in_retry_after", None)
        after = f" for {int(wait.total_seconds()) + 1} seconds" if wait else " for a while"
        raise Refused(f"Too many failed attempts for this witness: try again{after}")
    if user is None or not user.is_active:
        raise Invalid.field(field, "The witness's username or password is not right")
    confirmed = ConfirmedWitness(user, is_licensed(user, clinic), at)
    audit_record(
        origin=RequestOrigin(
            actor=user,
            actor_label=user.get_username(),
            ip_address=RequestOrigin.from_request(request).ip_address,
        ),
        action="sign",
        object_type="ledger_witness",
        object_id=user.pk,
        clinic_id=clinic.pk,
        summary="Confirmed as witness with their own password",
        at=at,
    )
    return confirmed


def witnessed(
    *,
    clinic: Clinic,
    setting: ConfigurableDefault,
    what: str,
    origin: RequestOrigin,
    witnesses: list[ConfirmedWitness],
    at: dt.datetime,
) -> dict:
    """The witness fields of a ledger entry, once as many witnesses as the clinic's ``setting``
    asks for (licensed, none of them the person recording) confirmed it; Invalid otherwise."""
    required = clinic_protocol(clinic).get(f"{SECTION}.{setting.key}")
    try:
        check_witnesses(
            what=what,
            recorder=origin.actor.pk,
            witnesses=[w.as_witness for w in witnesses],
            required=required,
        )
    except LedgerRefused as refused:
        raise Invalid.field("witness", str(refused)) from None
    return {
        "witness": witnesses[0].user,
        "second_witness": witnesses[1].user if len(witnesses) > 1 else None,
        "witnessed_at": at,
    }
