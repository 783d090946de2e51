"""Who administers the directory: network-wide medical directors verify their network's listings."""

from __future__ import annotations

from ketacare.core.access import Access
from ketacare.core.models import StaffMembership
from ketacare.core.roles import Role


def network_organisations(access: Access) -> frozenset[int]:
    """The organisations whose listings ``access``'s user administers (network-wide medical
    director memberships); empty for everyone else, including anonymous visitors."""
    user = access.user
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(
        StaffMembership.objects.filter(
            user=user, active=True, clinic__isnull=True, role=Role.MEDICAL_DIRECTOR
        ).values_list("organisation_id", flat=True)
    )
