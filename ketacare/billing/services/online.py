"""Online card payment: the patient pays on the provider's hosted page; Ketacare records the
payment when the provider says it is paid (on the return to the portal, or by webhook —
whichever comes first; the second finds it already recorded).

The pending payment is written before the provider is called, and the provider call carries an
idempotency key derived from it: pressing "Pay" twice, or a network retry, reuses the first
checkout instead of opening a second one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.card_gateway import CardGateway, GatewayError, card_gateway
from ketacare.billing.models import Payment
from ketacare.billing.services.ledger import account_lock, ledger_post
from ketacare.billing.services.payments import describe_payment, key_clean
from ketacare.billing.services.setup import decimal_of
from ketacare.clinical.billing import money_text
from ketacare.clinical.patient_account import EntryKind
from ketacare.core.errors import Invalid, NotFound, Refused
from ketacare.patients.models import Patient


def gateway_required() -> CardGateway:
    gateway = card_gateway()
    if gateway is None:
        raise Refused("Online card payment is not set up at this clinic; pay at the front desk.")
    return gateway


def online_checkout_start(
    *, patient: Patient, amount: Decimal | str, idempotency_key: str, success_url: str,
    cancel_url: str, origin: RequestOrigin, at: dt.datetime,
) -> Payment:
    """A pending online payment with the provider's hosted page to send the patient to."""
    gateway = gateway_required()
    key = key_clean(idempotency_key)
    value = decimal_of(amount, "amount", "the amount")
    if value <= 0:
        raise Invalid.field("amount", "Choose an amount above $0.00.")
    with transaction.atomic():
        account_lock(patient, at=at)
        payment = Payment.objects.filter(clinic_id=patient.clinic_id, idempotency_key=key).first()
        if payment is not None:
            if payment.patient_id != patient.pk or payment.amount != value:
                raise Refused("This idempotency key was already used for a different payment.")
            if payment.provider_checkout_url or payment.status != Payment.Status.PENDING:
                return payment
        else:
            payment = Payment.objects.create(
                clinic_id=patient.clinic_id, patient=patient, method=Payment.Method.ONLINE_CARD,
                amount=value, status=Payment.Status.PENDING, idempotency_key=key,
                provider=gateway.name, created_at=at, created_by=origin.actor,
            )
    try:
        started = gateway.start_checkout(
            amount=value, description=f"{patient.clinic.name}: payment on account",
            reference=f"ketacare-{payment.pk}", idempotency_key=f"ketacare-checkout-{payment.pk}",
            success_url=success_url, cancel_url=cancel_url,
        )
    except GatewayError as error:
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED,
                                                     failure=str(error)[:300])
        raise Refused(f"The card provider could not start the payment: {error}") from error
    Payment.objects.filter(pk=payment.pk).update(
        provider_checkout_id=started.checkout_id, provider_checkout_url=started.url
    )
    payment.refresh_from_db()
    audit_record(origin=origin, action="create", object_type="payment", object_id=payment.pk,
                 patient=patient,
                 summary=f"Online payment of {money_text(value)} started",
                 changes={"amount": value, "provider": gateway.name}, at=at)
    return payment


def online_checkout_settle(
    *, checkout_id: str, origin: RequestOrigin, at: dt.datetime, patient: Patient | None = None
) -> Payment:
    """Ask the provider how the checkout ended and record it: paid → on the ledger; expired →
    failed; otherwise still pending. Calling it again changes nothing."""
    gateway = gateway_required()
    payment = Payment.objects.filter(provider_checkout_id=checkout_id, provider=gateway.name)
    if patient is not None:
        payment = payment.filter(patient=patient)
    payment = payment.select_related("patient").first()
    if payment is None:
        raise NotFound("No such online payment.")
    if payment.status != Payment.Status.PENDING:
        return payment
    try:
        result = gateway.checkout_result(checkout_id)
    except GatewayError as error:
        raise Refused(f"The card provider could not be asked about the payment: {error}") from error
    with transaction.atomic():
        account = account_lock(payment.patient, at=at)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.PENDING:
            return payment
        if result.closed:
            payment.status, payment.failure = Payment.Status.FAILED, "The checkout expired."
            payment.save(update_fields=["status", "failure"])
            return payment
        if not result.paid:
            return payment
        if result.amount != payment.amount:
            raise Refused(f"The provider reports {money_text(result.amount)} paid, not "
                          f"{money_text(payment.amount)}: check the payment with the provider.")
        payment.status, payment.received_at = Payment.Status.SUCCEEDED, at
        payment.provider_payment_id = result.payment_id
        payment.card_brand, payment.card_last4 = result.card_brand[:20], result.card_last4[:4]
        payment.save()
        ledger_post(account=account, reference=payment.ledger_reference, kind=EntryKind.PAYMENT,
                    amount=payment.amount, description=describe_payment(payment), origin=origin,
                    at=at, payment=payment)
        audit_record(origin=origin, action="update", object_type="payment", record=payment,
                     summary=f"Online payment of {money_text(payment.amount)} received",
                     changes={"provider_payment_id": result.payment_id}, at=at)
    return payment


def online_webhook(*, payload: bytes, signature: str, at: dt.datetime) -> Payment | None:
    """A provider's signed notice that a checkout completed; unverified notices are refused."""
    gateway = gateway_required()
    try:
        checkout_id = gateway.completed_checkout(payload=payload, signature=signature)
    except GatewayError as error:
        raise Invalid(str(error)) from error
    if checkout_id is None:
        return None
    return online_checkout_settle(
        checkout_id=checkout_id, origin=RequestOrigin.system(f"{gateway.name} webhook"), at=at
    )
