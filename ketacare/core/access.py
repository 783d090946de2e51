"""Who may do what, where: the access context every page and API call is scoped by."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from ketacare.core.roles import MATRIX, Capability, Role

if TYPE_CHECKING:
    from ketacare.core.models import Clinic, User


@dataclass(frozen=True)
class Access:
    """The signed-in person's reach: clinic in use, their roles there, the clinics they may see."""

    user: User | None
    clinic: Clinic | None = None
    roles: frozenset[str] = frozenset()
    clinic_ids: frozenset[int] = frozenset()
    clinics: tuple[Clinic, ...] = field(default_factory=tuple)
    patient_id: int | None = None  # set when the user is a patient in the portal
    time_zone: str | None = None  # the clinic's: every time shown to this person is in it
    # Organisations this person directs network-wide (a medical director with no clinic).
    network_ids: frozenset[int] = frozenset()

    @property
    def is_staff_member(self) -> bool:
        return bool(self.clinic_ids)

    @property
    def is_patient(self) -> bool:
        return self.patient_id is not None

    def can(self, capability: Capability) -> bool:
        return bool(self.roles & MATRIX[capability])

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            # In words for the page; the capability's code is for the audit trail, not for people.
            raise CapabilityDenied(capability)

    @property
    def is_prescriber(self) -> bool:
        return bool(self.roles & {Role.PRESCRIBER, Role.MEDICAL_DIRECTOR})

    @property
    def directs_network(self) -> bool:
        """An organisation-wide medical director: manages every clinic of the network."""
        return bool(self.network_ids)


class CapabilityDenied(PermissionDenied):
    """A role refused ``capability``: the message is for people, the code for the audit trail."""

    def __init__(self, capability: Capability) -> None:
        super().__init__("Your role at this clinic may not do this.")
        self.capability = str(capability)


ANONYMOUS = Access(user=None)


def access_for(user: Any, *, clinic_id: int | None = None) -> Access:
    """Build the access context for ``user``, choosing ``clinic_id`` when they may use it.

    One query for a person with roles at named clinics (their memberships with the clinics), a
    second only for a network-wide role (every clinic of the organisation). The patient profile
    comes with the user (``ketacare.core.auth_backend``) or costs one query here.
    """
    from ketacare.core.models import Clinic, StaffMembership

    if user is None or not user.is_authenticated:
        return ANONYMOUS
    memberships = list(
        StaffMembership.objects.filter(user=user, active=True).select_related("clinic")
    )
    patient = getattr(user, "patient_profile", None)
    patient_id = getattr(patient, "pk", None)
    patient_zone = patient.clinic.time_zone if patient is not None else None
    if not memberships:
        return Access(user=user, patient_id=patient_id, time_zone=patient_zone)
    network_orgs = {m.organisation_id for m in memberships if m.clinic_id is None}
    by_id = {m.clinic_id: m.clinic for m in memberships if m.clinic_id is not None}
    if network_orgs:
        by_id.update((c.pk, c) for c in Clinic.objects.filter(organisation_id__in=network_orgs))
    if not by_id:
        return Access(user=user, patient_id=patient_id, time_zone=patient_zone)
    clinics = tuple(sorted(by_id.values(), key=lambda c: c.name))
    current = by_id.get(clinic_id) if clinic_id else None
    current = current or clinics[0]
    roles = frozenset(
        m.role
        for m in memberships
        if m.clinic_id == current.pk
        or (m.clinic_id is None and m.organisation_id == current.organisation_id)
    )
    return Access(
        user=user,
        clinic=current,
        roles=roles,
        clinic_ids=frozenset(by_id),
        clinics=clinics,
        patient_id=patient_id,
        time_zone=current.time_zone,
        network_ids=frozenset(network_orgs),
    )


def access_for_request(request: Any, user: Any, *, clinic_id: int | None) -> Access:
    """``access_for`` once per request for the same person and clinic (the page middleware and
    the API's session check both ask)."""
    memo = request.__dict__.setdefault("_ketacare_access", {})
    key = (getattr(user, "pk", None), clinic_id)
    if key not in memo:
        memo[key] = access_for(user, clinic_id=clinic_id)
    return memo[key]


def require_capability(capability: Capability):
    """Page decorator: the signed-in staff member's role at the current clinic must hold it."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            access: Access = request.access
            if access.user is None:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            access.require(capability)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # read by the role-matrix tests
        return wrapped

    return decorator


def require_patient(view):
    """Page decorator for the patient portal."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        access: Access = request.access
        if access.user is None:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not access.is_patient:
            raise PermissionDenied("The portal is for patients.")
        return view(request, *args, **kwargs)

    wrapped.patients_only = True  # read by the route matrix test
    return wrapped
