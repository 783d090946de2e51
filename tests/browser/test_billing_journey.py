"""From a signed session to a paid superbill, in real Chromium: billing finds the charge the
signed session made on its landing page, reviews and posts it; the patient pays the balance on
the card provider's page (the local fake) from the portal and downloads a superbill that reads
"paid in full"; billing sees the balance cleared and the payment in the daily close."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ketacare.core.models import User
from tests.browser.conftest import PASSWORD, sign_in
from tests.web.billing.conftest import (  # noqa: F401 (fixtures)
    admin_origin,
    configure_protocol,
    iv_protocol,
    make_booking,
    nurse_origin,
    priced_clinic,
    signed_iv_session,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_from_a_signed_session_to_a_paid_superbill(
    new_page, staff, patient, signed_intake, iv_protocol, priced_clinic, make_booking,  # noqa: F811
    nurse_origin,  # noqa: F811
):
    patient.insurance_payer, patient.insurance_member_id = "Acme Health", "AC-991"
    patient.portal_user = User.objects.create_user(username="jane", password=PASSWORD)
    patient.save()
    started = timezone.now() - dt.timedelta(hours=3)
    signed_iv_session(make_booking(patient, starts_at=started - dt.timedelta(minutes=10)),
                      nurse_origin, t0=started)

    billing = new_page()
    sign_in(billing, staff["billing"].username)
    billing.get_by_role("link", name="1 charge to review").click()
    billing.get_by_role("heading", name=re.compile("Charges to review")).wait_for()
    billing.get_by_role("row", name=re.compile("Doe, Jane")).get_by_role("link").first.click()
    billing.get_by_role("cell", name="IV infusion, first hour (or IV push)").wait_for()
    assert billing.get_by_label("Code").input_value() == "96365"
    billing.get_by_text("Unverified").wait_for()  # §9 tags the CPT timing [memory, verify]
    billing.get_by_role("button", name="Post to the account").click()
    billing.get_by_text("Charge posted").wait_for()
    assert billing.locator("#balance").inner_text() == "$550.00"

    me = new_page()
    sign_in(me, "jane")
    me.get_by_role("button", name="Pay $550.00 by card").click()
    me.get_by_role("heading", name="Test card payment").wait_for()
    me.get_by_role("button", name="Pay with the test card").click()
    me.get_by_text("Thank you: $550.00 received.").wait_for()
    me.get_by_text("Nothing is due.").wait_for()
    with me.expect_download() as download:
        me.get_by_role("link", name=re.compile("superbill")).click()
    pdf = download.value.path().read_bytes()
    text = re.sub(r"\s+", " ", " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    for expected in ("Superbill", "96365", "F33.2", "Acme Health", "$550.00",
                     "Balance due: $0.00", "PAID IN FULL", "Provider signature"):
        assert expected in text, expected

    billing.reload()
    assert billing.locator("#balance").inner_text() == "$0.00"
    billing.get_by_role("link", name="Daily close").click()
    billing.get_by_role("cell", name="Card online", exact=True).wait_for()
    billing.get_by_role("cell", name="Payment — Card online").wait_for()
