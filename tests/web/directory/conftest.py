"""Directory fixtures: listings near known ZIP codes, verified or not, and a network director."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.directory import services
from ketacare.directory.rules import CheckKind
from ketacare.directory.schemas import CheckIn, ListingIn


def listing_data(**overrides) -> ListingIn:
    data = {
        "name": "Hudson Ketamine Center",
        "address_line1": "350 W 31st St",
        "city": "New York",
        "state": "NY",
        "postal_code": "10001",
        "phone": "(555) 010-1000",
        "email": "intake@hudson.example.org",
        "routes": ["racemic_iv"],
        "indications": ["depression"],
        "price_ranges": [{"service": "IV infusion", "low": 450, "high": 700}],
        "languages": ["English", "Spanish"],
        "insurance_accepted": ["Aetna"],
    }
    return ListingIn(**(data | overrides))


@pytest.fixture
def network_director(make_staff):
    return make_staff("medical_director", None)


@pytest.fixture
def make_listing(organisation, network_director):
    origin = RequestOrigin(actor=network_director, actor_label="network")

    def make(
        *, verified=True, published=True, at=None, expires_in_days=365, clinic=None, **overrides
    ):
        """``clinic``: the clinic's own listing (else one the network adds by hand)."""
        at = at or timezone.now()
        listing = services.listing_save(
            data=listing_data(**overrides),
            organisation=None if clinic else organisation,
            clinic=clinic,
            origin=origin,
            at=at,
        )
        if published:
            services.listing_publish(listing=listing, publish=True, origin=origin, at=at)
        if verified:
            kinds = [
                CheckKind.MEDICAL_LICENSE,
                CheckKind.DEA_REGISTRATION,
                CheckKind.NPI,
                CheckKind.BOARD_CERTIFICATION,
            ]
            if "esketamine_nasal" in listing.routes:
                kinds.append(CheckKind.REMS_CERTIFICATION)
            for kind in kinds:
                services.check_record(
                    listing=listing,
                    data=CheckIn(
                        kind=kind.value,
                        identifier=f"{kind.value}-1",
                        holder="Dr A. Director",
                        evidence="certificate seen, schedules II–V",
                        covers_schedule_iii=kind is CheckKind.DEA_REGISTRATION,
                        expires_on=at.date() + dt.timedelta(days=expires_in_days),
                    ),
                    origin=origin,
                    at=at,
                )
        listing.refresh_from_db()
        return listing

    return make
