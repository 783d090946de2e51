"""A person searches near a ZIP, opens a verified profile and requests a consultation; the clinic's
front desk sees the request."""

from __future__ import annotations

import re

import pytest

from ketacare.directory.models import Listing
from tests.browser.conftest import sign_in
from tests.web.directory.conftest import make_listing, network_director  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_open_a_verified_profile_request_a_consultation_and_see_the_lead(
    new_page,
    staff,
    clinic,
    settings,
    make_listing,  # noqa: F811
):
    settings.DIRECTORY_FORM_MIN_SECONDS = 0
    listing = make_listing(name="Harbor Ketamine Center")
    Listing.objects.filter(pk=listing.pk).update(clinic=clinic)
    make_listing(
        name="Unverified Place", verified=False, postal_code="10016", address_line1="1 E 34th St"
    )

    visitor = new_page()
    visitor.goto("/find/")
    visitor.get_by_label("US ZIP code").fill("10001")
    visitor.get_by_label("Within").select_option("10")
    visitor.get_by_role("button", name="Search").click()
    visitor.get_by_role("heading", name=re.compile("1 clinic within 10 miles of 10001")).wait_for()
    assert visitor.get_by_text("Unverified Place").count() == 0
    visitor.get_by_role("link", name="Harbor Ketamine Center").click()
    visitor.get_by_role("heading", name=re.compile("Harbor Ketamine Center")).wait_for()
    assert visitor.get_by_text("Verified", exact=True).first.is_visible()
    visitor.get_by_label("Your name").fill("Sam Seeker")
    visitor.get_by_role("textbox", name="E-mail").fill("sam@example.org")
    visitor.get_by_role("button", name="Send request").click()
    visitor.get_by_text("Your request was sent.").wait_for()

    desk = new_page()
    sign_in(desk, staff["front_desk"].username)
    desk.goto("/find/manage/requests/")
    desk.get_by_role("cell", name="Sam Seeker", exact=True).wait_for()
    assert desk.get_by_role("link", name="sam@example.org").is_visible()
