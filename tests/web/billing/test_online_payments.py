"""Online card payment behind the gateway interface: the local fake end to end through the
portal, Stripe's own package against a recording HTTP double (no network), signed webhooks, and
retries that never charge, record or refund twice. No card number is ever stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.test import Client

from ketacare.billing.card_gateway import (
    FakeGateway,
    GatewayError,
    StripeGateway,
    gateway_in_use,
)
from ketacare.billing.models import LedgerEntry, Payment, Refund
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services import payments
from ketacare.core.models import User
from tests.web.billing.conftest import T0

pytestmark = pytest.mark.django_db
D = Decimal


def completed(checkout_id: str) -> str:
    """A checkout-completed event as Stripe sends it (the fake checks the same shape)."""
    return json.dumps({"type": "checkout.session.completed",
                       "data": {"object": {"id": checkout_id, "object": "checkout.session"}}})


@pytest.fixture
def gateway():
    with gateway_in_use(FakeGateway()) as fake:
        yield fake


@pytest.fixture
def owing(patient, priced_clinic, billing_origin):
    """The patient owes a posted $350.00 consultation."""
    charge = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 1), services=[("consultation", 1)],
        diagnosis_codes=["F33.2"], origin=billing_origin, at=T0)
    charge_services.charge_post(charge=charge, origin=billing_origin, at=T0)
    return patient


@pytest.fixture
def portal(owing):
    user = User.objects.create_user(username="jane-portal", password="correct-horse-battery")
    owing.portal_user = user
    owing.save(update_fields=["portal_user"])
    client = Client()
    client.force_login(user)
    return client


def test_a_patient_pays_the_balance_online_once_however_often_they_return(
    portal, owing, gateway
):
    home = portal.get("/portal/").content.decode()
    assert "Pay $350.00 by card" in home and "card number is never entered" in home
    form = {"amount": "350.00", "idempotency_key": "portal-pay-0001"}
    started = portal.post("/billing/my/pay/", form)
    assert started.status_code == 302 and started["Location"] == "/billing/pay/fake/cs_fake_1/"
    again = portal.post("/billing/my/pay/", form)  # a double click
    assert again["Location"] == started["Location"] and Payment.objects.count() == 1

    hosted = portal.get(started["Location"]).content.decode()
    assert "$350.00" in hosted and "card number" in hosted and 'name="card' not in hosted
    back = portal.post(started["Location"], {"outcome": "pay"})
    assert back["Location"].startswith("http://testserver/billing/my/paid/?checkout=cs_fake_1")
    portal.get(back["Location"])
    portal.get(back["Location"])  # the page reloaded
    webhook = Client().post("/api/v1/billing/webhooks/stripe", data=completed("cs_fake_1"),
                            content_type="application/json",
                            HTTP_STRIPE_SIGNATURE="fake-signature")
    assert webhook.status_code == 200

    payment = Payment.objects.get()
    assert payment.status == "succeeded" and payment.method == "online_card"
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert "Nothing is due." in portal.get("/portal/").content.decode()
    assert [op for op, _ in gateway.calls] == ["checkout"]  # the double click reused it


def test_a_cancelled_checkout_records_nothing(portal, gateway):
    started = portal.post("/billing/my/pay/", {"amount": "350.00",
                                               "idempotency_key": "portal-pay-0002"})
    back = portal.post(started["Location"], {"outcome": "cancel"})
    assert back["Location"] == "http://testserver/portal/"
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_an_unsigned_webhook_is_refused(gateway, portal):
    portal.post("/billing/my/pay/", {"amount": "350.00", "idempotency_key": "portal-pay-0003"})
    gateway.complete("cs_fake_1")
    response = Client().post("/api/v1/billing/webhooks/stripe", data=completed("cs_fake_1"),
                             content_type="application/json", HTTP_STRIPE_SIGNATURE="forged")
    assert response.status_code == 422
    assert Payment.objects.get().status == "pending"


def test_an_online_payment_is_refunded_through_the_provider_once(
    portal, owing, gateway, billing_origin
):
    started = portal.post("/billing/my/pay/", {"amount": "350.00",
                                               "idempotency_key": "portal-pay-0004"})
    portal.get(portal.post(started["Location"], {"outcome": "pay"})["Location"])
    payment = Payment.objects.get()
    for _ in range(2):  # the refund button pressed twice
        payments.refund_record(payment=payment, amount="100.00", reason="Visit cancelled",
                               idempotency_key="refund-online-1", origin=billing_origin,
                               at=T0 + dt.timedelta(days=1))
    assert Refund.objects.get().provider_refund_id == "re_fake_2"
    refunds = [k for op, k in gateway.calls if op == "refund"]
    assert refunds == ["ketacare-refund-refund-online-1"]  # the second press found the first
    gateway.fail_next = "card_declined"
    with pytest.raises(Exception, match="The refund was not made: card_declined"):
        payments.refund_record(payment=payment, amount="10.00", reason="x",
                               idempotency_key="refund-online-2", origin=billing_origin,
                               at=T0 + dt.timedelta(days=1))
    assert Refund.objects.count() == 1


def test_without_a_gateway_online_payment_is_off(portal, owing):
    with gateway_in_use(None):
        assert "by card" not in portal.get("/portal/").content.decode()
        response = portal.post("/billing/my/pay/", {"amount": "350.00",
                                                     "idempotency_key": "portal-pay-0005"},
                               follow=True)
        assert "not set up at this clinic" in response.content.decode()


def test_no_card_number_is_ever_stored():
    names = {f.name for model in (Payment, Refund) for f in model._meta.get_fields()}
    assert not any(word in name for name in names for word in ("number", "pan", "cvc", "cvv",
                                                               "expiry", "exp_"))
    assert Payment._meta.get_field("card_last4").max_length == 4


# --- Stripe's own package against a recording HTTP double -------------------------------------


class RecordingHttpClient:
    """Stands in for the network: answers Stripe's requests with canned JSON and keeps them."""

    name = "recording"

    def __init__(self, answers):
        from stripe import HTTPClient

        class Client(HTTPClient):
            name = "recording"

            def request(inner, method, url, headers, post_data=None):
                self.requests.append((method, url, dict(headers), post_data or ""))
                path = url.split("api.stripe.com", 1)[1].split("?")[0]
                return json.dumps(answers[(method, path)]), 200, {}

            def close(inner):
                return None

        self.requests: list = []
        self.client = Client()


SESSION = {"id": "cs_test_1", "object": "checkout.session",
           "url": "https://checkout.stripe.com/c/pay/cs_test_1",
           "payment_status": "paid", "status": "complete", "amount_total": 21000,
           "payment_intent": {"id": "pi_1", "object": "payment_intent",
                              "latest_charge": {"id": "ch_1", "object": "charge",
                                                "payment_method_details": {
                                                    "card": {"brand": "visa", "last4": "4242"}}}}}


@pytest.fixture
def stripe_double():
    recording = RecordingHttpClient({
        ("post", "/v1/checkout/sessions"): {**SESSION, "payment_status": "unpaid",
                                            "status": "open", "payment_intent": None},
        ("get", "/v1/checkout/sessions/cs_test_1"): SESSION,
        ("post", "/v1/refunds"): {"id": "re_1", "object": "refund", "status": "succeeded"},
    })
    gateway = StripeGateway(api_key="sk_test_not_a_real_key", webhook_secret="whsec_test",
                            http_client=recording.client)
    return gateway, recording


def test_stripe_checkout_is_created_with_cents_and_the_idempotency_key(stripe_double):
    gateway, recording = stripe_double
    started = gateway.start_checkout(
        amount=D("210.00"), description="Harbor Clinic: payment on account",
        reference="ketacare-7", idempotency_key="ketacare-checkout-7",
        success_url="https://clinic.example/billing/my/paid/?checkout={CHECKOUT_SESSION_ID}",
        cancel_url="https://clinic.example/portal/")
    assert started.checkout_id == "cs_test_1" and started.url.startswith("https://checkout")
    method, url, headers, body = recording.requests[0]
    sent = parse_qs(body)
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == "ketacare-checkout-7"
    assert sent["line_items[0][price_data][unit_amount]"] == ["21000"]
    assert sent["mode"] == ["payment"] and sent["client_reference_id"] == ["ketacare-7"]


def test_stripe_checkout_result_and_refund(stripe_double):
    gateway, recording = stripe_double
    result = gateway.checkout_result("cs_test_1")
    assert (result.paid, result.amount, result.payment_id) == (True, D("210.00"), "pi_1")
    assert (result.card_brand, result.card_last4) == ("visa", "4242")
    refund = gateway.refund(payment_id="pi_1", amount=D("50.00"), idempotency_key="r-1")
    _, url, headers, body = recording.requests[-1]
    assert refund.refund_id == "re_1" and url.endswith("/v1/refunds")
    assert parse_qs(body) == {"payment_intent": ["pi_1"], "amount": ["5000"]}
    assert headers["Idempotency-Key"] == "r-1"


def test_stripe_webhooks_are_verified_with_the_signing_secret(stripe_double):
    gateway, _ = stripe_double
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed",
                          "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}}})
    stamp = int(time.time())
    signed = hmac.new(b"whsec_test", f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    header = f"t={stamp},v1={signed}"
    assert gateway.completed_checkout(payload=payload.encode(), signature=header) == "cs_test_1"
    with pytest.raises(GatewayError, match="does not verify"):
        gateway.completed_checkout(payload=payload.encode(), signature=f"t={stamp},v1=00")
