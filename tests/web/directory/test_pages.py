"""Public pages without an account, the consultation request, and the staff pages behind them."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from ketacare.directory.models import ConsultationRequest, Listing
from ketacare.directory.views import _form_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_reading_delay(settings):
    settings.DIRECTORY_FORM_MIN_SECONDS = 0


def test_the_search_page_works_without_javascript_or_an_account(make_listing):
    make_listing()
    page = Client().get("/find/?near=10001&radius_miles=25")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 clinic within 25 miles of 10001" in html and "Hudson Ketamine Center" in html
    assert "0.0 miles" in html and "Verified" in html
    assert "988" in html  # crisis resources on every public page
    assert Client().get("/find/").status_code == 200


def test_an_unknown_zip_on_the_page_says_what_to_fix():
    page = Client().get("/find/?near=00000")
    assert page.status_code == 422
    assert "is not a US ZIP code we know" in page.content.decode()


def test_the_profile_has_schema_org_json_ld_and_crisis_resources(make_listing):
    listing = make_listing(name="Hudson </script><b>x</b>")
    html = Client().get(f"/find/{listing.slug}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "MedicalClinic" and data["address"]["postalCode"] == "10001"
    assert "</script><b>" not in block.group(1)  # escaped: no text closes the element
    assert "988" in html


def test_an_unpublished_listing_is_not_public(make_listing):
    listing = make_listing(published=False)
    assert Client().get(f"/find/{listing.slug}/").status_code == 404


def _request(client, listing, **overrides):
    data = {
        "form_token": _form_token(),
        "name": "Sam Seeker",
        "email": "sam@example.org",
        "preferred_contact": "email",
        "message": "Treatment-resistant depression; interested in IV.",
    } | overrides
    return client.post(f"/find/{listing.slug}/", data)


def test_a_consultation_request_reaches_the_clinic(
    make_listing, clinic, client_for, django_capture_on_commit_callbacks
):
    listing = make_listing()
    Listing.objects.filter(pk=listing.pk).update(clinic=clinic)
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(Client(), listing)
    assert response.status_code == 302 and response.url.endswith("?sent=1#request")
    lead = ConsultationRequest.objects.get()
    assert lead.name == "Sam Seeker" and lead.status == "new"
    assert mail.outbox[0].to == ["intake@hudson.example.org"]
    assert "sam@example.org" not in mail.outbox[0].body  # contact details stay in Ketacare
    page = client_for("front_desk").get("/find/manage/requests/").content.decode()
    assert "Sam Seeker" in page and "sam@example.org" in page
    marked = client_for("front_desk").post(
        f"/find/manage/requests/{lead.pk}/", {"status": "contacted"}
    )
    assert marked.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"
    assert client_for("billing").get("/find/manage/requests/").status_code == 403


def test_requests_are_rate_limited_per_connection(make_listing):
    listing = make_listing()
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert _request(visitor, listing).status_code == 302
    refused = _request(visitor, listing)
    assert refused.status_code == 409 and "Too many requests" in refused.content.decode()
    assert ConsultationRequest.objects.count() == 3
    assert _request(Client(REMOTE_ADDR="198.51.100.7"), listing).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"website_url": "http://spam.example"}, "could not be sent"),
        ({"form_token": "forged"}, "reload the page"),
        ({"email": "", "phone": ""}, "e-mail address or a phone number"),
        ({"name": " "}, "Give your name"),
    ],
)
def test_spam_and_incomplete_requests_are_refused(make_listing, overrides, message):
    listing = make_listing()
    response = _request(Client(), listing, **overrides)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ConsultationRequest.objects.count() == 0


def test_a_form_sent_back_at_once_is_refused(make_listing, settings):
    settings.DIRECTORY_FORM_MIN_SECONDS = 60
    response = _request(Client(), make_listing())
    assert response.status_code == 422 and "take a moment" in response.content.decode()


def test_the_clinic_admin_edits_and_publishes_the_listing(clinic, client_for):
    admin = client_for("clinic_admin")
    form = {
        "name": "Harbor Clinic",
        "address_line1": "1 Main St",
        "city": "New York",
        "state": "ny",
        "postal_code": "10001",
        "phone": "(555) 010-0000",
        "routes": ["racemic_iv", "esketamine_nasal"],
        "indications": ["depression"],
        "price_service_0": "IV infusion",
        "price_low_0": "450",
        "price_high_0": "650",
        "languages": "English, Spanish",
        "sliding_scale": "on",
    }
    wrong_state = admin.post("/find/manage/listing/", {**form, "state": "CA"})
    assert wrong_state.status_code == 422
    assert "ZIP code 10001 is in NY, not CA" in wrong_state.content.decode()
    backwards = admin.post("/find/manage/listing/", {**form, "price_high_0": "100"})
    assert backwards.status_code == 422 and "is above the highest" in backwards.content.decode()
    assert admin.post("/find/manage/listing/", form).status_code == 302
    listing = Listing.objects.get(clinic=clinic)
    assert listing.state == "NY" and listing.languages == ["English", "Spanish"]
    assert listing.price_ranges == [{"service": "IV infusion", "low": 450, "high": 650}]
    assert listing.published is False
    assert Client().get(f"/find/{listing.slug}/").status_code == 404
    assert admin.post("/find/manage/listing/", {"publish": "1"}).status_code == 302
    assert Client().get(f"/find/{listing.slug}/").status_code == 200
    # Published but not verified: hidden from search by default.
    assert Client().get("/api/v1/directory/clinics?near=10001").json()["count"] == 0


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "billing"])
def test_only_clinic_admins_and_directors_edit_the_listing(client_for, role):
    assert client_for(role).get("/find/manage/listing/").status_code == 403


def test_staff_pages_need_sign_in():
    assert Client().get("/find/manage/listing/").status_code == 302
    assert Client().get("/find/manage/verify/").status_code == 302


def test_the_network_director_verifies_and_the_badge_follows(make_listing, network_director):
    listing = make_listing(verified=False)
    director = Client()
    director.force_login(network_director)
    assert "not verified" in director.get("/find/manage/verify/").content.decode()
    url = f"/find/manage/verify/{listing.pk}/"
    base = {"identifier": "X1", "holder": "Dr A", "evidence": "seen", "expires_on": "2099-01-01"}
    no_iii = director.post(url, {**base, "kind": "dea_registration"})
    assert no_iii.status_code == 422 and "covers Schedule III" in no_iii.content.decode()
    for kind in ("medical_license", "npi", "board_certification"):
        assert director.post(url, {**base, "kind": kind}).status_code == 302
    listing.refresh_from_db()
    assert listing.verified_until is None
    director.post(url, {**base, "kind": "dea_registration", "covers_schedule_iii": "on"})
    listing.refresh_from_db()
    assert listing.verified_until is not None
    expired = director.post(url, {**base, "kind": "npi", "expires_on": "2001-01-01"})
    assert expired.status_code == 422 and "already expired" in expired.content.decode()


def test_clinic_staff_without_a_network_role_cannot_verify(make_listing, client_for):
    listing = make_listing(verified=False)
    assert client_for("medical_director").get("/find/manage/verify/").status_code == 403
    assert (
        client_for("clinic_admin")
        .post(f"/find/manage/verify/{listing.pk}/", {"kind": "npi"})
        .status_code
        == 403
    )
