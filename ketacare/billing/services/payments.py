"""Money in and out of a patient account: payments, deposits, package sales, refunds, write-offs.

Every write takes an idempotency key (the page puts one in each form; API clients send one): the
same key again returns what the first request made, so a double click or a retried request never
records the money twice. The same key with other content is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import LedgerEntry, Package, PackagePurchase, Payment, Refund
from ketacare.billing.services.ledger import account_lock, ledger_check, ledger_post
from ketacare.billing.services.setup import decimal_of
from ketacare.clinical.billing import money_text
from ketacare.clinical.patient_account import EntryKind
from ketacare.clinical.patient_account import LedgerEntry as CoreEntry
from ketacare.core.errors import Invalid, NotFound, Refused
from ketacare.patients.models import Patient

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
IN_CLINIC_METHODS = tuple(m for m in Payment.Method.values if m != Payment.Method.ONLINE_CARD)


def key_clean(key: str) -> str:
    key = (key or "").strip()
    if not _KEY.match(key):
        raise Invalid.field("idempotency_key", "Send an idempotency key of 8–80 letters, digits, "
                            "'-', '_', '.' or ':' (a new one per payment, the same one on retry).")
    return key


def _same_or_refuse(existing, **expected) -> None:
    differs = [name for name, value in expected.items() if getattr(existing, name) != value]
    if differs:
        raise Refused("This idempotency key was already used for a different request "
                      f"({', '.join(differs)} differ); use a new key for a new payment.")


def _audit(origin, at, patient_id, clinic_id, object_type, object_id, summary, **changes) -> None:
    audit_record(origin=origin, action="create", object_type=object_type, object_id=object_id,
                 clinic_id=clinic_id, patient_id=patient_id, summary=summary, changes=changes,
                 at=at)


def describe_payment(payment: Payment) -> str:
    text = f"{payment.get_purpose_display()} by {payment.get_method_display().lower()}"
    if payment.reference:
        text += f" ({payment.reference})"
    if payment.payer:
        text += f" from {payment.payer}"
    return text[:300]


@transaction.atomic
def payment_record(
    *, patient: Patient, method: str, amount: Decimal | str, idempotency_key: str,
    origin: RequestOrigin, at: dt.datetime, purpose: str = Payment.Purpose.PAYMENT,
    reference: str = "", payer: str = "", note: str = "", received_at: dt.datetime | None = None,
) -> Payment:
    """Money received in the clinic (card terminal, cash, check, HSA/FSA, insurance), posted to
    the ledger at once. Deposits are payments too: they leave a credit."""
    key = key_clean(idempotency_key)
    if method not in IN_CLINIC_METHODS:
        raise Invalid.field("method", "Choose how the money was paid (online card payments are "
                            "made by the patient on the card provider's page).")
    if purpose not in (Payment.Purpose.PAYMENT, Payment.Purpose.DEPOSIT):
        raise Invalid.field("purpose", "Record a payment or a deposit; sell a package instead.")
    value = decimal_of(amount, "amount", "the amount")
    if value <= 0:
        raise Invalid.field("amount", "A payment is above $0.00.")
    reference, payer = (reference or "").strip()[:80], (payer or "").strip()[:120]
    if method == Payment.Method.CHECK and not reference:
        raise Invalid.field("reference", "Enter the check number.")
    if method == Payment.Method.INSURANCE and not payer:
        raise Invalid.field("payer", "Name the insurer that paid.")
    received_at = received_at or at
    if received_at > at:
        raise Invalid.field("received_at", "A payment cannot be received in the future.")
    account = account_lock(patient, at=at)
    existing = Payment.objects.filter(clinic_id=patient.clinic_id, idempotency_key=key).first()
    if existing is not None:
        _same_or_refuse(existing, patient_id=patient.pk, method=method, amount=value,
                        purpose=purpose)
        return existing
    payment = Payment.objects.create(
        clinic_id=patient.clinic_id, patient=patient, method=method, purpose=purpose,
        amount=value, status=Payment.Status.SUCCEEDED, received_at=received_at,
        reference=reference, payer=payer, note=(note or "").strip()[:300], idempotency_key=key,
        created_at=at, created_by=origin.actor,
    )
    ledger_post(account=account, reference=payment.ledger_reference, kind=EntryKind.PAYMENT,
                amount=value, description=describe_payment(payment), origin=origin, at=at,
                payment=payment)
    _audit(origin, at, patient.pk, patient.clinic_id, "payment", payment.pk,
           f"{payment.get_purpose_display()} of {money_text(value)} recorded",
           method=method, amount=value, reference=reference, payer=payer)
    return payment


@transaction.atomic
def package_sell(
    *, patient: Patient, package: Package, method: str, idempotency_key: str,
    origin: RequestOrigin, at: dt.datetime, reference: str = "", payer: str = "",
) -> PackagePurchase:
    """Sell a package: its prepayment is posted now and each session of its route draws down
    one share of the price (``billing_allocation.package_session_price``)."""
    key = key_clean(idempotency_key)
    if package.clinic_id != patient.clinic_id:
        raise NotFound("No such package at this clinic.")
    existing = Payment.objects.filter(clinic_id=patient.clinic_id, idempotency_key=key).first()
    if existing is not None:
        _same_or_refuse(existing, patient_id=patient.pk, purpose=Payment.Purpose.PACKAGE)
        return existing.package_purchase
    if not package.active:
        raise Refused(f"The package ‘{package.name}’ is no longer sold.")
    if method not in IN_CLINIC_METHODS:
        raise Invalid.field("method", "Choose how the package was paid.")
    account = account_lock(patient, at=at)
    payment = Payment.objects.create(
        clinic_id=patient.clinic_id, patient=patient, method=method,
        purpose=Payment.Purpose.PACKAGE, amount=package.price, status=Payment.Status.SUCCEEDED,
        received_at=at, reference=(reference or "").strip()[:80], payer=(payer or "")[:120],
        note=f"Package ‘{package.name}’", idempotency_key=key, created_at=at,
        created_by=origin.actor,
    )
    purchase = PackagePurchase.objects.create(
        clinic_id=patient.clinic_id, patient=patient, package=package, name=package.name,
        route=package.route, sessions=package.sessions, price=package.price, payment=payment,
        purchased_at=at, created_by=origin.actor,
    )
    ledger_post(account=account, reference=payment.ledger_reference, kind=EntryKind.PAYMENT,
                amount=package.price, description=f"Package ‘{package.name}’ prepaid "
                f"({package.sessions} sessions)", origin=origin, at=at, payment=payment)
    _audit(origin, at, patient.pk, patient.clinic_id, "package_purchase", purchase.pk,
           f"Package ‘{package.name}’ sold for {money_text(package.price)}",
           package=package.pk, method=method, amount=package.price)
    return purchase


def refund_record(
    *, payment: Payment, amount: Decimal | str, reason: str, idempotency_key: str,
    origin: RequestOrigin, at: dt.datetime,
) -> Refund:
    """Return money on one payment, never more than is left of it. A payment made online is
    refunded through the card provider first, under the same idempotency key."""
    from ketacare.billing.card_gateway import GatewayError, card_gateway

    key = key_clean(idempotency_key)
    value = decimal_of(amount, "amount", "the refund")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", "Give the reason for the refund.")
    with transaction.atomic():
        account = account_lock(payment.patient, at=at)
        existing = Refund.objects.filter(clinic_id=payment.clinic_id, idempotency_key=key).first()
        if existing is not None:
            _same_or_refuse(existing, payment_id=payment.pk, amount=value)
            return existing
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status != Payment.Status.SUCCEEDED:
            raise Refused("Only money received can be refunded.")
        ledger_check(account, CoreEntry("refund being checked", EntryKind.REFUND, value,
                                        payment.ledger_reference))
        provider_id = ""
        if payment.method == Payment.Method.ONLINE_CARD:
            gateway = card_gateway()
            if gateway is None or gateway.name != payment.provider:
                raise Refused("The card provider this payment was made with is not configured.")
            try:
                provider_id = gateway.refund(payment_id=payment.provider_payment_id, amount=value,
                                             idempotency_key=f"ketacare-refund-{key}").refund_id
            except GatewayError as error:
                raise Refused(f"The refund was not made: {error}") from error
        refund = Refund.objects.create(
            clinic_id=payment.clinic_id, payment=payment, amount=value, reason=reason[:300],
            refunded_at=at, idempotency_key=key, provider_refund_id=provider_id,
            created_by=origin.actor,
        )
        ledger_post(account=account, reference=refund.ledger_reference, kind=EntryKind.REFUND,
                    amount=value, refunds_payment=payment.ledger_reference,
                    description=f"Refund on {describe_payment(payment).lower()}: {reason}"[:300],
                    origin=origin, at=at, refund=refund)
        _audit(origin, at, payment.patient_id, payment.clinic_id, "refund", refund.pk,
               f"Refund of {money_text(value)} on payment {payment.ledger_reference}",
               amount=value, reason=reason)
        return refund


@transaction.atomic
def adjustment_post(
    *, patient: Patient, amount: Decimal | str, reason: str, idempotency_key: str,
    origin: RequestOrigin, at: dt.datetime,
) -> LedgerEntry:
    """A signed correction on the ledger: negative writes off (e.g. a hardship write-off),
    positive corrects an amount posted too low. The reason is printed on the statement."""
    key = key_clean(idempotency_key)
    raw = str(amount).strip()
    negative = raw.startswith(("-", "−"))
    value = decimal_of(raw.lstrip("-−"), "amount", "the adjustment")
    if value == 0:
        raise Invalid.field("amount", "An adjustment is not $0.00.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", "Give the reason for the adjustment.")
    signed = -value if negative else value
    account = account_lock(patient, at=at)
    reference = f"A:{key}"
    existing = LedgerEntry.objects.filter(account=account, reference=reference).first()
    if existing is not None:
        _same_or_refuse(existing, amount=signed)
        return existing
    entry = ledger_post(account=account, reference=reference, kind=EntryKind.ADJUSTMENT,
                        amount=signed, description=("Write-off: " if negative else
                                                    "Correction: ") + reason[:280],
                        origin=origin, at=at)
    return entry
