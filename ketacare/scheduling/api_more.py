"""Sub-routers of /api/v1/scheduling: the waitlist and the clinic's resources."""

from __future__ import annotations

from ninja import Router

waitlist_router = Router(tags=["scheduling"])
resources_router = Router(tags=["scheduling"])
