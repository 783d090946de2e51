"""Small helpers every API router shares."""

from __future__ import annotations

from ketacare.core.access import Access
from ketacare.core.actions import action
from ketacare.core.roles import Capability


def require(request, capability: Capability) -> Access:
    """The caller's access context; Forbidden (403) unless their role here holds ``capability``."""
    return action(request, capability).access
