"""Search by ZIP distance and services; who may see unverified listings; the public API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.directory import geo
from ketacare.directory.rules import CheckFact, CheckKind, verification_status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("10001", "10016", 0.5, 2.0),  # Chelsea to Murray Hill
        ("10001", "11201", 3.0, 6.0),  # Manhattan to Brooklyn Heights
        ("94103", "94110", 1.0, 3.0),  # SoMa to the Mission
        ("60601", "60201", 10.0, 14.0),  # the Loop to Evanston
        ("10001", "94103", 2500.0, 2600.0),  # coast to coast
        ("60601", "60601", 0.0, 0.0),
    ],
)
def test_distances_between_known_zip_centroids(a, b, low, high):
    distance = geo.distance_miles(geo.centroid(a), geo.centroid(b))
    assert low <= distance <= high


@pytest.mark.parametrize("text", ["00000", "1234", "ABCDE", "", "999999"])
def test_unknown_zip_codes_have_no_centroid(text):
    assert geo.centroid(text) is None


def test_results_are_nearest_first_within_the_radius(make_listing):
    make_listing(name="Murray Hill", address_line1="120 E 34th St", postal_code="10016")
    make_listing(name="Brooklyn", address_line1="75 Court St", city="Brooklyn", postal_code="11201")
    make_listing(name="Hudson")  # 10001
    make_listing(
        name="Chicago",
        city="Chicago",
        state="IL",
        postal_code="60601",
        address_line1="150 N Michigan Ave",
    )
    body = Client().get("/api/v1/directory/clinics?near=10001&radius_miles=10").json()
    names = [item["name"] for item in body["items"]]
    assert names == ["Hudson", "Murray Hill", "Brooklyn"]
    distances = [item["distance_miles"] for item in body["items"]]
    assert distances == sorted(distances) and distances[0] == 0.0
    assert all(item["verified"] for item in body["items"])
    near = Client().get("/api/v1/directory/clinics?near=10001&radius_miles=2").json()
    assert [item["name"] for item in near["items"]] == ["Hudson", "Murray Hill"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("route=esketamine_nasal", ["Esketamine"]),
        ("indication=ptsd", ["Esketamine"]),
        ("max_price=400", ["Cheap"]),
        ("insurance=aetna", ["Cheap", "Hudson"]),
        ("sliding_scale=true", ["Cheap"]),
        ("language=mandarin", ["Esketamine"]),
    ],
)
def test_filters(make_listing, query, expected):
    make_listing(name="Hudson")
    make_listing(
        name="Cheap",
        postal_code="10016",
        address_line1="1 E 34th St",
        price_ranges=[{"service": "IV infusion", "low": 350, "high": 500}],
        sliding_scale=True,
    )
    make_listing(
        name="Esketamine",
        postal_code="10019",
        address_line1="250 W 57th St",
        routes=["esketamine_nasal"],
        indications=["ptsd"],
        insurance_accepted=[],
        languages=["English", "Mandarin"],
    )
    body = Client().get(f"/api/v1/directory/clinics?near=10001&radius_miles=25&{query}").json()
    assert sorted(item["name"] for item in body["items"]) == sorted(expected)


def test_unknown_zip_is_a_clear_422(make_listing):
    response = Client().get("/api/v1/directory/clinics?near=00000")
    assert response.status_code == 422
    assert "is not a US ZIP code we know" in response.json()["fields"]["near"]
    bad_radius = Client().get("/api/v1/directory/clinics?near=10001&radius_miles=0")
    assert bad_radius.status_code == 422 and "radius" in bad_radius.json()["detail"]


def test_unverified_and_unpublished_listings_are_hidden(make_listing):
    make_listing(name="Verified")
    make_listing(
        name="Unverified", verified=False, postal_code="10016", address_line1="1 E 34th St"
    )
    make_listing(name="Draft", published=False, postal_code="10019", address_line1="250 W 57th St")
    body = Client().get("/api/v1/directory/clinics?near=10001").json()
    assert [item["name"] for item in body["items"]] == ["Verified"]


def test_include_unverified_is_for_network_administrators_only(
    make_listing, network_director, client_for
):
    make_listing(name="Verified")
    make_listing(
        name="Unverified", verified=False, postal_code="10016", address_line1="1 E 34th St"
    )
    url = "/api/v1/directory/clinics?near=10001&include_unverified=true"
    assert Client().get(url).status_code == 403
    assert client_for("clinic_admin").get(url).status_code == 403
    director = Client()
    director.force_login(network_director)
    body = director.get(url).json()
    assert {(i["name"], i["verified"]) for i in body["items"]} == {
        ("Verified", True),
        ("Unverified", False),
    }


def test_a_listing_loses_its_badge_when_a_check_expires(make_listing):
    listing = make_listing(expires_in_days=10)
    today = timezone.localdate()
    assert listing.is_verified(today) and listing.is_verified(today + dt.timedelta(days=10))
    assert not listing.is_verified(today + dt.timedelta(days=11))


@pytest.mark.parametrize(
    ("checks", "esketamine", "verified", "reasons"),
    [
        ("lic dea npi board", False, True, []),
        ("lic dea npi", False, False, ["Board certification not on file"]),
        (
            "lic dea npi board",
            True,
            False,
            ["Spravato REMS certification of the setting not on file"],
        ),
        ("lic dea npi board rems", True, True, []),
        ("lic:expired dea npi board", False, False, ["Medical licence expired"]),
        ("lic:expired lic dea npi board", False, True, []),  # renewed: the latest counts
    ],
)
def test_verification_rules(checks, esketamine, verified, reasons):
    today = dt.date(2026, 6, 1)
    kinds = {
        "lic": CheckKind.MEDICAL_LICENSE,
        "dea": CheckKind.DEA_REGISTRATION,
        "npi": CheckKind.NPI,
        "board": CheckKind.BOARD_CERTIFICATION,
        "rems": CheckKind.REMS_CERTIFICATION,
    }
    facts = []
    for word in checks.split():
        name, _, state = word.partition(":")
        expiry = today - dt.timedelta(days=1) if state == "expired" else today + dt.timedelta(90)
        facts.append(CheckFact(kinds[name], expiry))
    status = verification_status(facts, offers_esketamine=esketamine, today=today)
    assert status.verified is verified
    assert list(status.reasons) == reasons


def test_the_profile_api_answers_without_sign_in(make_listing):
    listing = make_listing()
    body = Client().get(f"/api/v1/directory/clinics/{listing.slug}").json()
    assert body["name"] == "Hudson Ketamine Center" and body["verified"] is True
    assert Client().get("/api/v1/directory/clinics/nope").status_code == 404


def test_the_demo_directory_finds_clinics_near_new_york_san_francisco_and_chicago():
    from django.core.management import call_command

    from ketacare.directory.models import Listing

    call_command("demo", patients=6, seed=3)
    assert Listing.objects.filter(published=True).count() >= 20
    assert len({listing.state for listing in Listing.objects.all()}) >= 5
    today = timezone.localdate()
    states = [listing.is_verified(today) for listing in Listing.objects.all()]
    assert any(states) and not all(states)
    assert Listing.objects.filter(verified_until__lt=today).exists()  # an expired document
    for zip_code in ("10001", "94103", "60601"):
        body = Client().get(f"/api/v1/directory/clinics?near={zip_code}&radius_miles=25").json()
        assert body["count"] >= 2, zip_code
        assert all(item["verified"] for item in body["items"])
