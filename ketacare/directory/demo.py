"""The demo directory: the two demo clinics plus listings a network added by hand across several
states (some verified, some not, some with an expired document), so that searches near New York
(10001), San Francisco (94103) and Chicago (60601) find clinics. Names and numbers are invented."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.models import Clinic, Organisation, StaffMembership
from ketacare.core.roles import Role
from ketacare.directory import services
from ketacare.directory.models import Listing
from ketacare.directory.rules import CheckKind
from ketacare.directory.schemas import CheckIn, ListingIn

# name, street, city, state, ZIP, routes, verification: "verified" | "unverified" | "expired"
HAND_ADDED = (
    ("Hudson Ketamine Center", "350 W 31st St", "New York", "NY", "10001", "iv esk", "verified"),
    ("Murray Hill Infusions", "120 E 34th St", "New York", "NY", "10016", "iv im", "verified"),
    ("Midtown Mind Clinic", "250 W 57th St", "New York", "NY", "10019", "esk", "expired"),
    ("Brooklyn Heights Ketamine", "75 Court St", "Brooklyn", "NY", "11201", "iv sl", "verified"),
    ("Harborside Wellness", "30 Montgomery St", "Jersey City", "NJ", "07302", "iv", "unverified"),
    (
        "Mission Ketamine Care",
        "2000 Mission St",
        "San Francisco",
        "CA",
        "94110",
        "iv esk",
        "verified",
    ),
    (
        "SoMa Psychiatry & Infusion",
        "600 Folsom St",
        "San Francisco",
        "CA",
        "94107",
        "iv im",
        "verified",
    ),
    (
        "Market Street Ketamine",
        "1355 Market St",
        "San Francisco",
        "CA",
        "94103",
        "esk sl",
        "unverified",
    ),
    ("Palo Alto Mood Clinic", "400 University Ave", "Palo Alto", "CA", "94301", "iv", "expired"),
    (
        "Loop Ketamine Institute",
        "150 N Michigan Ave",
        "Chicago",
        "IL",
        "60601",
        "iv esk",
        "verified",
    ),
    ("Lincoln Park Infusions", "2400 N Lincoln Ave", "Chicago", "IL", "60614", "iv im", "verified"),
    ("Wicker Park Wellness", "1500 N Milwaukee Ave", "Chicago", "IL", "60622", "sl", "unverified"),
    ("North Shore Ketamine", "1603 Orrington Ave", "Evanston", "IL", "60201", "iv esk", "expired"),
    ("Back Bay Ketamine", "500 Boylston St", "Boston", "MA", "02116", "iv esk", "verified"),
    ("Lady Bird Infusion Center", "600 Congress Ave", "Austin", "TX", "78701", "iv im", "verified"),
    ("Mile High Ketamine", "1600 Stout St", "Denver", "CO", "80202", "iv", "verified"),
    ("Puget Sound Mind Care", "1201 3rd Ave", "Seattle", "WA", "98101", "esk", "verified"),
    ("Brickell Ketamine Clinic", "801 Brickell Ave", "Miami", "FL", "33131", "iv sl", "unverified"),
    (
        "Westwood Infusion Therapy",
        "10850 Wilshire Blvd",
        "Los Angeles",
        "CA",
        "90024",
        "iv esk",
        "verified",
    ),
    (
        "Capitol Hill Ketamine",
        "650 Pennsylvania Ave SE",
        "Washington",
        "DC",
        "20003",
        "iv",
        "expired",
    ),
)
ROUTES = {
    "iv": "racemic_iv",
    "im": "racemic_im",
    "sl": "racemic_sublingual",
    "esk": "esketamine_nasal",
}
INDICATIONS = ["depression", "anxiety", "ptsd", "bipolar_depression", "ocd", "suicidal_ideation"]
PAYERS = ["Aetna", "Blue Cross Blue Shield", "Cigna", "UnitedHealthcare", "Medicare"]
LANGUAGES = ["English", "Spanish", "Mandarin", "Russian", "Korean", "French"]


def _listing_data(rng: random.Random, name, street, city, state, zip_code, routes) -> ListingIn:
    chosen = [ROUTES[r] for r in routes.split()]
    esketamine = "esketamine_nasal" in chosen
    low = rng.choice((400, 450, 500, 550))  # within the reference's $400–800 IV range [S127]
    prices = []
    if "racemic_iv" in chosen:
        prices.append({"service": "IV infusion", "low": low, "high": low + rng.choice((150, 250))})
    if "racemic_im" in chosen:
        prices.append({"service": "IM injection", "low": 300, "high": 500})
    if "racemic_sublingual" in chosen:
        prices.append({"service": "Sublingual programme (per month)", "low": 150, "high": 300})
    prices.append({"service": "Consultation", "low": 250, "high": 350})
    return ListingIn(
        name=name,
        address_line1=street,
        city=city,
        state=state,
        postal_code=zip_code,
        phone=f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
        email=f"intake@{name.lower().replace(' ', '').replace('&', '')[:20]}.example.org",
        website=f"https://{name.lower().replace(' ', '-').replace('&', 'and')[:30]}.example.org",
        opening_hours="Mon–Fri 8:00–18:00\nSat 9:00–13:00",
        routes=chosen,
        indications=rng.sample(INDICATIONS, k=rng.randint(2, 4)),
        price_ranges=prices,
        sliding_scale=rng.random() < 0.4,
        insurance_accepted=rng.sample(PAYERS, k=rng.randint(0, 3)) if esketamine else [],
        bills_esketamine_to_insurance=esketamine and rng.random() < 0.7,
        languages=["English", *rng.sample(LANGUAGES[1:], k=rng.randint(0, 2))],
        accessibility="Step-free entrance; accessible restroom" if rng.random() < 0.6 else "",
        telehealth_consultations=rng.random() < 0.5,
    )


def _verify(listing: Listing, how: str, *, rng, origin, at) -> None:
    if how == "unverified":
        return
    today = at.date()
    in_two_years = today + dt.timedelta(days=rng.randint(200, 700))
    documents = [
        (CheckKind.MEDICAL_LICENSE, f"MD{rng.randint(100000, 999999)}", "state board lookup"),
        (
            CheckKind.DEA_REGISTRATION,
            f"B{rng.choice('ACFHMP')}{rng.randint(1000000, 9999999)}",
            "DEA certificate, schedules II–V (III included)",
        ),
        (CheckKind.NPI, f"1{rng.randint(100000000, 999999999)}", "NPPES registry lookup"),
        (
            CheckKind.BOARD_CERTIFICATION,
            f"ABPN-{rng.randint(10000, 99999)}",
            "ABPN certificate, psychiatry",
        ),
    ]
    if listing.offers_esketamine:
        documents.append(
            (
                CheckKind.REMS_CERTIFICATION,
                f"REMS-{rng.randint(10000, 99999)}",
                "SPRAVATO REMS setting certification letter",
            )
        )
    for kind, number, seen in documents:
        expires = None if kind is CheckKind.NPI else in_two_years
        seen_at = at
        if how == "expired":
            # Seen two years ago; the licence lapsed 30 days ago: the badge is gone.
            seen_at = at - dt.timedelta(days=700)
            if kind is CheckKind.MEDICAL_LICENSE:
                expires = today - dt.timedelta(days=30)
        services.check_record(
            listing=listing,
            data=CheckIn(
                kind=kind.value,
                identifier=number,
                issuing_state=listing.state,
                holder=f"Dr {rng.choice(('A.', 'B.', 'C.', 'D.'))} Medical director",
                evidence=seen,
                expires_on=expires,
                covers_schedule_iii=kind is CheckKind.DEA_REGISTRATION,
            ),
            origin=origin,
            at=seen_at,
        )


def load(*, rng: random.Random, clinics: list[Clinic]) -> None:
    if not clinics:
        return
    organisation: Organisation = clinics[0].organisation
    director = (
        StaffMembership.objects.filter(
            organisation=organisation, clinic__isnull=True, role=Role.MEDICAL_DIRECTOR
        )
        .select_related("user")
        .first()
    )
    actor = director.user if director else None
    origin = RequestOrigin(actor=actor, actor_label=actor.username if actor else "ketacare demo")
    at = timezone.now()
    for clinic in clinics:
        data = _listing_data(
            rng,
            clinic.name,
            clinic.address_line1,
            clinic.city,
            clinic.state,
            clinic.postal_code,
            "iv esk",
        )
        listing = services.listing_save(data=data, clinic=clinic, origin=origin, at=at)
        services.listing_publish(listing=listing, publish=True, origin=origin, at=at)
        if actor is not None:
            _verify(listing, "verified", rng=rng, origin=origin, at=at)
    for name, street, city, state, zip_code, routes, how in HAND_ADDED:
        data = _listing_data(rng, name, street, city, state, zip_code, routes)
        listing = services.listing_save(data=data, organisation=organisation, origin=origin, at=at)
        services.listing_publish(listing=listing, publish=True, origin=origin, at=at)
        if actor is not None:
            _verify(listing, how, rng=rng, origin=origin, at=at)
