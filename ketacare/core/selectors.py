"""Reads of the clinic, its chairs and its staff that other apps share, scoped to the clinic in
use (the FHIR server's directory resources read these)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ketacare.core.access import Access
from ketacare.core.models import Chair, Clinic, Organisation, StaffMembership, User


def clinics_in_scope(access: Access) -> QuerySet[Clinic]:
    """The clinic in use (a queryset of one), with its organisation."""
    if access.clinic is None:
        return Clinic.objects.none()
    return Clinic.objects.filter(pk=access.clinic.pk).select_related("organisation")


def organisations_in_scope(access: Access) -> QuerySet[Organisation]:
    """The network the clinic in use belongs to."""
    if access.clinic is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=access.clinic.organisation_id)


def chairs_in_scope(access: Access) -> QuerySet[Chair]:
    """Every chair and room of the clinic in use, active or not."""
    if access.clinic is None:
        return Chair.objects.none()
    return Chair.objects.filter(clinic_id=access.clinic.pk)


def _serving(access: Access) -> Q:
    """Memberships at the clinic in use, or network-wide in its organisation."""
    clinic = access.clinic
    assert clinic is not None
    return Q(clinic_id=clinic.pk) | Q(clinic__isnull=True, organisation_id=clinic.organisation_id)


def memberships_in_scope(access: Access) -> QuerySet[StaffMembership]:
    """Every role held at the clinic in use (or network-wide over it), active or not."""
    if access.clinic is None:
        return StaffMembership.objects.none()
    return StaffMembership.objects.filter(_serving(access))


def staff_in_scope(access: Access) -> QuerySet[User]:
    """Everyone who holds or held a role at the clinic in use (or over it, network-wide)."""
    if access.clinic is None:
        return User.objects.none()
    users = StaffMembership.objects.filter(_serving(access)).values("user_id")
    return User.objects.filter(pk__in=users)


def npi_holders(npi: str | None) -> QuerySet:
    """The ids of the users a membership records with this NPI (any NPI for None), for a
    subquery."""
    holders = StaffMembership.objects.exclude(npi="")
    return (holders if npi is None else holders.filter(npi=npi)).values("user_id")
