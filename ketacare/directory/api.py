"""The public directory under /api/v1/directory: no sign-in needed to search or read a profile."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Schema

from ketacare.clinical.common import Route
from ketacare.clinical.intake import Indication
from ketacare.core.access import ANONYMOUS
from ketacare.core.api_auth import API_AUTH
from ketacare.core.schemas import ERRORS
from ketacare.directory.access import network_organisations
from ketacare.directory.presenters import listing_out
from ketacare.directory.schemas import ListingOut, SearchOut
from ketacare.directory.selectors import (
    DEFAULT_RADIUS_MILES,
    SearchFilters,
    listing_public,
    search,
)

router = Router(tags=["directory"])


def _anyone(request) -> bool:
    """Public operations: a visitor without credentials is welcome (signed-in callers are
    recognised first, so a network administrator can ask for unverified listings)."""
    return True


PUBLIC = [*API_AUTH, _anyone]


class SearchQuery(Schema):
    near: str
    radius_miles: float = DEFAULT_RADIUS_MILES
    route: Route | None = None
    indication: Indication | None = None
    max_price: int | None = None
    insurance: str = ""
    sliding_scale: bool = False
    language: str = ""
    include_unverified: bool = False


@router.get(
    "/clinics",
    response={200: SearchOut, **ERRORS},
    auth=PUBLIC,
    summary="Published clinics near a US ZIP code, nearest first (no sign-in needed)",
)
def clinics(request, query: Query[SearchQuery]):
    today = timezone.localdate()
    access = getattr(request, "access", ANONYMOUS)
    results = search(
        near=query.near,
        radius_miles=query.radius_miles,
        filters=SearchFilters(
            route=query.route.value if query.route else "",
            indication=query.indication.value if query.indication else "",
            max_price=query.max_price,
            insurance=query.insurance,
            sliding_scale=query.sliding_scale,
            language=query.language,
        ),
        today=today,
        include_unverified=query.include_unverified,
        administered=network_organisations(access) if query.include_unverified else (),
    )
    return {
        "near": query.near,
        "radius_miles": query.radius_miles,
        "count": len(results),
        "items": [
            listing_out(r.listing, today=today, distance_miles=r.distance_miles) for r in results
        ],
    }


@router.get(
    "/clinics/{slug}",
    response={200: ListingOut, **ERRORS},
    auth=PUBLIC,
    summary="One published clinic's public profile (no sign-in needed)",
)
def clinic_profile(request, slug: str):
    return listing_out(listing_public(slug, at=timezone.now()), today=timezone.localdate())
