"""A clinic's listing shows what its own records say: prices from its fee schedule (the lowest
sliding-scale fee to the list price) and, where it opts in, its next free new-patient
consultation from the calendar; a listing without those records keeps the figures typed in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.billing.services import setup as billing_setup
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.directory import services
from ketacare.scheduling.public import next_consultation
from tests.web.directory.conftest import listing_data
from tests.web.scheduling.conftest import configure_scheduling, monday_in

pytestmark = pytest.mark.django_db

BANDS = [
    {"label": "≤100 %", "above_percent": "0", "up_to_percent": "100", "discount_percent": "60"},
    {"label": ">100 %", "above_percent": "100", "up_to_percent": None, "discount_percent": "0"},
]


@pytest.fixture
def origin(staff):
    from ketacare.audit.services import RequestOrigin

    return RequestOrigin(actor=staff["medical_director"], actor_label="director")


@pytest.fixture
def clinic_listing(make_listing, clinic):
    return make_listing(clinic=clinic, show_next_available=True)


def _price(clinic, origin, service, amount):
    billing_setup.fee_set(
        clinic=clinic, service=service, unit_price=Decimal(amount), origin=origin, at=timezone.now()
    )


def _search(**params):
    query = {"near": "10001", "radius_miles": 10, **params}
    return Client().get("/api/v1/directory/clinics", query).json()


def test_prices_come_from_the_fee_schedule_with_the_sliding_scale_floor(
    clinic_listing, clinic, origin
):
    _price(clinic, origin, "consultation", "299.50")
    _price(clinic, origin, "iv_infusion", "600.00")
    _price(clinic, origin, "ketamine_drug", "5.00")  # a per-unit add-on, not a visit's price
    billing_setup.sliding_scale_policy_set(
        clinic=clinic, bands=BANDS, origin=origin, at=timezone.now()
    )
    (item,) = _search()["items"]
    assert item["prices_from_fee_schedule"] is True and item["sliding_scale"] is True
    consultation, infusion = item["price_ranges"]  # in the fee schedule's order, no drug units
    # 40 % of 299.50 is 119.80: whole dollars rounded up, never below what is charged.
    assert (consultation["service"], consultation["low"], consultation["high"]) == (
        "Consultation",
        120,
        300,
    )
    assert (infusion["low"], infusion["high"]) == (240, 600)
    # The price ceiling filter reads the same prices (the listing's own said 450–700).
    assert _search(max_price=150)["count"] == 1
    assert _search(max_price=100)["count"] == 0
    page = Client().get(f"/find/{clinic_listing.slug}/")
    assert "from the clinic's current fee schedule" in page.content.decode()


def test_a_listing_without_a_fee_schedule_keeps_its_own_prices(clinic_listing):
    (item,) = _search()["items"]
    assert item["prices_from_fee_schedule"] is False
    assert item["price_ranges"] == [{"service": "IV infusion", "low": 450, "high": 700}]


def test_a_package_is_shown_at_its_price(clinic_listing, clinic, origin):
    billing_setup.package_save(
        clinic=clinic,
        name="Six-infusion induction",
        route="racemic_iv",
        sessions=6,
        price=Decimal("2700.00"),
        origin=origin,
        at=timezone.now(),
    )
    billing_setup.sliding_scale_policy_set(
        clinic=clinic, bands=BANDS, origin=origin, at=timezone.now()
    )
    (item,) = _search()["items"]
    assert {"service": "Six-infusion induction", "low": 2700, "high": 2700} in item["price_ranges"]


def _local(clinic, day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=clinic.zone)


@pytest.mark.parametrize(
    ("weekday", "asked", "expected_day", "expected"),
    [
        (0, dt.time(7, 0), 0, dt.time(8, 0)),  # before opening: the opening
        (0, dt.time(9, 5), 0, dt.time(9, 15)),  # the next start on the 15-minute grid
        (4, dt.time(17, 30), 7, dt.time(8, 0)),  # 45 min do not fit before 18:00 Friday
    ],
)
def test_the_next_consultation_is_the_first_free_room_with_a_prescriber_at_work(
    clinic, staff, origin, weekday, asked, expected_day, expected
):
    configure_scheduling(clinic, origin)
    monday = monday_in(2)
    at = _local(clinic, monday + dt.timedelta(days=weekday), asked)
    assert next_consultation(clinic, at=at) is None  # no consultation length: nothing promised
    clinic_settings_update(
        clinic=clinic, values={"scheduling.consultation_minutes": 45}, origin=origin, at=at
    )
    found = next_consultation(clinic, at=at)
    assert found == _local(clinic, monday + dt.timedelta(days=expected_day), expected)


def test_the_profile_shows_the_next_consultation_only_where_the_clinic_opts_in(
    make_listing, clinic, staff, origin
):
    configure_scheduling(clinic, origin)
    clinic_settings_update(
        clinic=clinic,
        values={"scheduling.consultation_minutes": 45},
        origin=origin,
        at=timezone.now(),
    )
    shown = make_listing(clinic=clinic, show_next_available=True)
    body = Client().get(f"/api/v1/directory/clinics/{shown.slug}").json()
    assert body["next_available"] is not None
    assert dt.datetime.fromisoformat(body["next_available"]) > timezone.now()
    page = Client().get(f"/find/{shown.slug}/").content.decode()
    assert 'id="next-available"' in page and "clinic time" in page
    # The clinic opts out: neither the API nor the page says anything of its calendar.
    services.listing_save(
        data=listing_data(show_next_available=False),
        clinic=clinic,
        listing=shown,
        origin=origin,
        at=timezone.now(),
    )
    body = Client().get(f"/api/v1/directory/clinics/{shown.slug}").json()
    assert body["next_available"] is None
    assert 'id="next-available"' not in Client().get(f"/find/{shown.slug}/").content.decode()
