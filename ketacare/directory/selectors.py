"""Reading the directory: search by distance and services, one public profile, a clinic's leads."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.core.access import Access
from ketacare.core.errors import Forbidden, Invalid, NotFound
from ketacare.core.panels import gather
from ketacare.directory import geo
from ketacare.directory.models import ConsultationRequest, Listing

MAX_RADIUS_MILES = 500
DEFAULT_RADIUS_MILES = 25
MILES_PER_DEGREE_LATITUDE = 69.0


@dataclass(frozen=True)
class SearchFilters:
    route: str = ""
    indication: str = ""
    max_price: int | None = None
    insurance: str = ""
    sliding_scale: bool = False
    language: str = ""


@dataclass(frozen=True)
class Result:
    listing: Listing
    distance_miles: float
    verified: bool


def _matches(listing: Listing, f: SearchFilters) -> bool:
    if f.route and f.route not in listing.routes:
        return False
    if f.indication and f.indication not in listing.indications:
        return False
    if f.max_price is not None and not any(
        int(p.get("low", 0)) <= f.max_price for p in listing.shown_price_ranges
    ):
        return False
    wanted = f.insurance.strip().lower()
    if wanted and not any(wanted in payer.lower() for payer in listing.insurance_accepted):
        return False
    if f.sliding_scale and not listing.shown_sliding_scale:
        return False
    language = f.language.strip().lower()
    return not (language and not any(language == lang.lower() for lang in listing.languages))


def search(
    *,
    near: str,
    radius_miles: float,
    filters: SearchFilters,
    today: dt.date,
    include_unverified: bool = False,
    administered: Iterable[int] = (),
) -> list[Result]:
    """Published listings within ``radius_miles`` of the ZIP's centroid, nearest first.

    Unverified listings are hidden unless ``include_unverified``, which only a network
    administrator may ask for (and then only their own network's unverified listings show).
    """
    zip_code = geo.normalise_zip(near)
    origin = geo.centroid(zip_code or "")
    if origin is None:
        raise Invalid.field("near", f"{near!r} is not a US ZIP code we know: give 5 digits.")
    if not (0 < radius_miles <= MAX_RADIUS_MILES) or not math.isfinite(radius_miles):
        raise Invalid.field(
            "radius_miles", f"The radius must be above 0 and at most {MAX_RADIUS_MILES} miles."
        )
    administered = frozenset(administered)
    if include_unverified and not administered:
        raise Forbidden("Only network administrators may list unverified clinics.")
    lat_span = radius_miles / MILES_PER_DEGREE_LATITUDE
    lon_span = radius_miles / (
        MILES_PER_DEGREE_LATITUDE * max(0.01, math.cos(math.radians(origin[0])))
    )
    rows = Listing.objects.filter(
        published=True,
        latitude__range=(origin[0] - lat_span, origin[0] + lat_span),
        longitude__range=(origin[1] - lon_span, origin[1] + lon_span),
    )
    verified = Q(verified_until__gte=today)
    if include_unverified:
        rows = rows.filter(verified | Q(organisation_id__in=administered))
    else:
        rows = rows.filter(verified)
    results = []
    for listing in with_clinic_facts(list(rows), at=None):
        distance = geo.distance_miles(origin, (listing.latitude, listing.longitude))
        if distance <= radius_miles and _matches(listing, filters):
            results.append(Result(listing, round(distance, 1), listing.is_verified(today)))
    results.sort(key=lambda r: (r.distance_miles, r.listing.name))
    return results


def listing_public(slug: str, *, at: dt.datetime | None = None) -> Listing:
    """One published listing with its clinic's live facts (and, given ``at``, the next free
    consultation where the clinic opted in)."""
    try:
        listing = Listing.objects.select_related("clinic").get(slug=slug, published=True)
    except Listing.DoesNotExist:
        raise NotFound("There is no published listing at this address.") from None
    return with_clinic_facts([listing], at=at)[0]


def with_clinic_facts(listings: list[Listing], *, at: dt.datetime | None) -> list[Listing]:
    """Attach what each listing's clinic records say (prices from its fee schedule; with ``at``,
    the next free consultation of those that show it), asked of every app once for the lot."""
    by_clinic: dict[int, list[Listing]] = defaultdict(list)
    for listing in listings:
        listing.clinic_facts = {}
        if listing.clinic_id is not None:
            by_clinic[listing.clinic_id].append(listing)
    if not by_clinic:
        return listings
    next_for = (
        [c for c, rows in by_clinic.items() if any(r.show_next_available for r in rows)]
        if at is not None
        else []
    )
    for answer in gather("directory_facts", list(by_clinic), at=at, next_available_for=next_for):
        for clinic_id, facts in answer.items():
            for listing in by_clinic.get(clinic_id, ()):
                listing.clinic_facts.update(facts)
    return listings


def listing_of_clinic(access: Access) -> Listing | None:
    if access.clinic is None:
        return None
    return Listing.objects.filter(clinic=access.clinic).first()


def listings_administered(administered: Iterable[int]) -> QuerySet[Listing]:
    return Listing.objects.filter(organisation_id__in=list(administered)).prefetch_related("checks")


def listing_administered(administered: Iterable[int], listing_id: int) -> Listing:
    try:
        return listings_administered(administered).get(pk=listing_id)
    except Listing.DoesNotExist:
        raise NotFound("No such listing in your network.") from None


def leads_of_clinic(access: Access) -> QuerySet[ConsultationRequest]:
    if access.clinic is None:
        return ConsultationRequest.objects.none()
    return ConsultationRequest.objects.filter(listing__clinic=access.clinic).select_related(
        "listing", "handled_by"
    )


def lead_get(access: Access, lead_id: int) -> ConsultationRequest:
    try:
        return leads_of_clinic(access).get(pk=lead_id)
    except ConsultationRequest.DoesNotExist:
        raise NotFound("No such consultation request at this clinic.") from None


def route_labels(routes: Iterable[str]) -> list[str]:
    labels = []
    for value in routes:
        try:
            labels.append(ROUTE_LABELS[Route(value)])
        except ValueError:
            continue
    return labels
