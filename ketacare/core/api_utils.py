"""Small helpers every API router shares."""

from __future__ import annotations

from ninja.errors import HttpError

from ketacare.core.access import Access
from ketacare.core.roles import Capability


def require(request, capability: Capability) -> Access:
    access: Access = request.access
    if access.clinic is None or not access.can(capability):
        raise HttpError(403, f"Your role at this clinic may not do this ({capability}).")
    return access
