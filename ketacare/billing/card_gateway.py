"""Online card payments behind one small interface, so the provider can change and tests never
touch a network.

The patient pays on the provider's own hosted page (Stripe Checkout): card numbers are typed
there and never reach Ketacare, which stores only the provider's ids, the brand and the last four
digits it reports. ``CARD_PAYMENTS`` chooses the gateway: ``stripe`` (the ``stripe`` package,
``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``), ``fake`` (development and tests: a local
stand-in whose hosted page is ``/billing/pay/fake/<id>/``) or empty (online payment off).

Every call that moves money carries an idempotency key, so a retried request is answered with
the provider's first result instead of charging or refunding twice.
"""

from __future__ import annotations

import itertools
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings

CURRENCY = "usd"


class GatewayError(Exception):
    """The provider refused or could not be reached; the message is safe to show staff."""


@dataclass(frozen=True)
class CheckoutStarted:
    checkout_id: str
    url: str


@dataclass(frozen=True)
class CheckoutResult:
    checkout_id: str
    paid: bool
    closed: bool  # expired or cancelled: it will never be paid
    amount: Decimal
    payment_id: str = ""
    card_brand: str = ""
    card_last4: str = ""


@dataclass(frozen=True)
class GatewayRefund:
    refund_id: str


class CardGateway(Protocol):
    name: str

    def start_checkout(
        self, *, amount: Decimal, description: str, reference: str, idempotency_key: str,
        success_url: str, cancel_url: str,
    ) -> CheckoutStarted: ...

    def checkout_result(self, checkout_id: str) -> CheckoutResult: ...

    def refund(
        self, *, payment_id: str, amount: Decimal, idempotency_key: str
    ) -> GatewayRefund: ...

    def completed_checkout(self, *, payload: bytes, signature: str) -> str | None:
        """The checkout id a verified webhook reports as completed, else None."""
        ...


def to_cents(amount: Decimal) -> int:
    """Whole cents as the provider counts them (amounts are already whole cents)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise GatewayError(f"{amount} has fractions of a cent")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class StripeGateway:
    """Stripe Checkout through the official ``stripe`` package (``StripeClient``)."""

    name = "stripe"

    def __init__(self, *, api_key: str, webhook_secret: str = "", http_client: Any = None):
        import stripe

        self._stripe = stripe
        self._client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=2)
        self._webhook_secret = webhook_secret

    def _call(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except self._stripe.StripeError as error:
            message = getattr(error, "user_message", None) or "the card provider refused"
            raise GatewayError(f"Stripe: {message}") from error

    def start_checkout(self, *, amount, description, reference, idempotency_key, success_url,
                       cancel_url) -> CheckoutStarted:
        session = self._call(
            self._client.v1.checkout.sessions.create,
            params={
                "mode": "payment",
                "line_items": [{
                    "quantity": 1,
                    "price_data": {"currency": CURRENCY, "unit_amount": to_cents(amount),
                                   "product_data": {"name": description[:250]}},
                }],
                "client_reference_id": reference,
                "metadata": {"ketacare_reference": reference},
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": idempotency_key},
        )
        return CheckoutStarted(checkout_id=session.id, url=session.url)

    def checkout_result(self, checkout_id: str) -> CheckoutResult:
        session = self._call(
            self._client.v1.checkout.sessions.retrieve,
            checkout_id,
            params={"expand": ["payment_intent.latest_charge"]},
        ).to_dict()
        intent = session.get("payment_intent") or {}
        if isinstance(intent, str):  # not expanded
            intent = {"id": intent}
        charge = intent.get("latest_charge") or {}
        details = charge.get("payment_method_details") or {} if isinstance(charge, dict) else {}
        card = details.get("card") or {}
        return CheckoutResult(
            checkout_id=session["id"],
            paid=session.get("payment_status") == "paid",
            closed=session.get("status") == "expired",
            amount=from_cents(session.get("amount_total") or 0),
            payment_id=str(intent.get("id") or ""),
            card_brand=str(card.get("brand") or ""),
            card_last4=str(card.get("last4") or ""),
        )

    def refund(self, *, payment_id, amount, idempotency_key) -> GatewayRefund:
        refund = self._call(
            self._client.v1.refunds.create,
            params={"payment_intent": payment_id, "amount": to_cents(amount)},
            options={"idempotency_key": idempotency_key},
        )
        return GatewayRefund(refund_id=refund.id)

    def completed_checkout(self, *, payload: bytes, signature: str) -> str | None:
        if not self._webhook_secret:
            raise GatewayError("STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified")
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret).to_dict()
        except (self._stripe.SignatureVerificationError, ValueError) as error:
            raise GatewayError("The webhook signature does not verify") from error
        if event.get("type") not in ("checkout.session.completed",
                                     "checkout.session.async_payment_succeeded"):
            return None
        return event["data"]["object"]["id"]


class FakeGateway:
    """A local stand-in for a hosted checkout: deterministic ids, no network, remembers every
    call (so tests can assert a retry reached the provider with the same idempotency key)."""

    name = "fake"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []  # (operation, idempotency key)
        self.fail_next: str = ""

    def _fail(self) -> None:
        if self.fail_next:
            message, self.fail_next = self.fail_next, ""
            raise GatewayError(message)

    def start_checkout(self, *, amount, description, reference, idempotency_key, success_url,
                       cancel_url) -> CheckoutStarted:
        with self._lock:
            self.calls.append(("checkout", idempotency_key))
            self._fail()
            if idempotency_key in self._by_key:
                checkout = self.checkouts[self._by_key[idempotency_key]]
            else:
                checkout_id = f"cs_fake_{next(self._ids)}"
                checkout = {"id": checkout_id, "amount": amount, "description": description,
                            "reference": reference, "paid": False, "closed": False,
                            "success_url": success_url, "cancel_url": cancel_url}
                self.checkouts[checkout_id] = checkout
                self._by_key[idempotency_key] = checkout_id
            return CheckoutStarted(checkout["id"], f"/billing/pay/fake/{checkout['id']}/")

    def complete(self, checkout_id: str, *, paid: bool = True) -> dict[str, Any]:
        """What the patient does on the hosted page: pay (test card) or cancel."""
        with self._lock:
            checkout = self.checkouts[checkout_id]
            checkout["paid"], checkout["closed"] = paid, not paid
            return checkout

    def checkout_result(self, checkout_id: str) -> CheckoutResult:
        checkout = self.checkouts.get(checkout_id)
        if checkout is None:
            raise GatewayError(f"No such checkout {checkout_id}")
        return CheckoutResult(
            checkout_id=checkout_id, paid=checkout["paid"], closed=checkout["closed"],
            amount=checkout["amount"], payment_id=f"pi_{checkout_id}" if checkout["paid"] else "",
            card_brand="visa" if checkout["paid"] else "",
            card_last4="4242" if checkout["paid"] else "",
        )

    def refund(self, *, payment_id, amount, idempotency_key) -> GatewayRefund:
        with self._lock:
            self.calls.append(("refund", idempotency_key))
            self._fail()
            if idempotency_key not in self._by_key:
                refund_id = f"re_fake_{next(self._ids)}"
                self.refunds[refund_id] = {"payment_id": payment_id, "amount": amount}
                self._by_key[idempotency_key] = refund_id
            return GatewayRefund(self._by_key[idempotency_key])

    def completed_checkout(self, *, payload: bytes, signature: str) -> str | None:
        """Stripe's event shape, signed with the fixed signature ``fake-signature``."""
        if signature != "fake-signature":
            raise GatewayError("The webhook signature does not verify")
        try:
            event = json.loads(payload)
            if event.get("type") != "checkout.session.completed":
                return None
            return str(event["data"]["object"]["id"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise GatewayError("The webhook is not a checkout event") from error


_gateway: CardGateway | None = None
_built = False
_guard = threading.Lock()


def card_gateway() -> CardGateway | None:
    """The configured gateway (built once), or None when online card payment is off."""
    global _gateway, _built
    with _guard:
        if not _built:
            kind = settings.CARD_PAYMENTS
            if kind == "stripe":
                _gateway = StripeGateway(api_key=settings.STRIPE_SECRET_KEY,
                                         webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
            elif kind == "fake":
                _gateway = FakeGateway()
            _built = True
        return _gateway


@contextmanager
def gateway_in_use(gateway: CardGateway | None):
    """Use ``gateway`` for the duration (tests and the demo)."""
    global _gateway, _built
    with _guard:
        before = (_gateway, _built)
        _gateway, _built = gateway, True
    try:
        yield gateway
    finally:
        with _guard:
            _gateway, _built = before
