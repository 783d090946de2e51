"""Payments, deposits, packages, refunds and write-offs: the ledger always balances, refunds never
exceed what was paid, and a retried request never records money twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketacare.audit.models import AuditEntry
from ketacare.billing.models import LedgerEntry, Payment, Refund
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services import payments, setup
from ketacare.billing.statements import account_view
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.errors import Invalid, Refused
from tests.web.billing.conftest import T0, at, key, session_charge, signed_iv_session

pytestmark = pytest.mark.django_db
D = Decimal


def pay(patient, origin, amount, *, method="cash", idempotency_key=None, **extra):
    return payments.payment_record(patient=patient, method=method, amount=amount,
                                   idempotency_key=idempotency_key or key(), origin=origin, at=T0,
                                   **extra)


def test_a_retried_payment_returns_the_first_and_records_nothing_twice(patient, billing_origin):
    once = pay(patient, billing_origin, "120.00", idempotency_key="front-desk-0001")
    twice = pay(patient, billing_origin, "120.00", idempotency_key="front-desk-0001")
    assert once.pk == twice.pk
    assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == 1
    # audited as the patient account's entry, never as the controlled-substance ledger's
    entry = LedgerEntry.objects.get()
    assert AuditEntry.objects.filter(object_type="account_entry", object_id=entry.pk).count() == 1
    assert not AuditEntry.objects.filter(object_type="ledger_entry").exists()
    with pytest.raises(Refused, match="already used for a different request"):
        pay(patient, billing_origin, "99.00", idempotency_key="front-desk-0001")


@pytest.mark.parametrize(
    ("method", "extra", "field"),
    [("check", {}, "reference"), ("insurance", {}, "payer"), ("online_card", {}, "method"),
     ("bitcoin", {}, "method")],
)
def test_payment_details_a_method_needs_are_asked_for(patient, billing_origin, method, extra,
                                                       field):
    with pytest.raises(Invalid) as refused:
        pay(patient, billing_origin, "50.00", method=method, **extra)
    assert field in refused.value.fields


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "abc"])
def test_a_payment_amount_must_be_whole_cents_above_zero(patient, billing_origin, amount):
    with pytest.raises(Invalid) as refused:
        pay(patient, billing_origin, amount)
    assert "amount" in refused.value.fields


def test_a_refund_never_exceeds_what_is_left_of_its_payment(patient, billing_origin):
    payment = pay(patient, billing_origin, "100.00", method="card", reference="T-1")
    payments.refund_record(payment=payment, amount=D("60.00"), reason="Cancelled visit",
                           idempotency_key="refund-000001", origin=billing_origin, at=at(5))
    with pytest.raises(ClinicalRuleError, match=r"more than the \$40.00 left"):
        payments.refund_record(payment=payment, amount=D("40.01"), reason="Again",
                               idempotency_key="refund-000002", origin=billing_origin, at=at(6))
    again = payments.refund_record(payment=payment, amount=D("60.00"), reason="Cancelled visit",
                                   idempotency_key="refund-000001", origin=billing_origin,
                                   at=at(7))
    assert Refund.objects.count() == 1 and again.payment_id == payment.pk
    view = account_view(patient, today=dt.date(2025, 3, 3))
    assert view.balance == D("-40.00")  # a $40 credit left
    assert view.payments[0].refundable == D("40.00")


def test_a_package_is_prepaid_then_drawn_down_session_by_session(
    make_booking, patient, signed_intake, iv_protocol, priced_clinic, nurse_origin,
    admin_origin, billing_origin,
):
    package = setup.package_save(clinic=priced_clinic, name="Six-infusion induction",
                                 route="racemic_iv", sessions=6, price=D("2400.00"),
                                 origin=admin_origin, at=T0 - dt.timedelta(days=1))
    purchase = payments.package_sell(patient=patient, package=package, method="card",
                                     idempotency_key="package-sale-1", origin=billing_origin,
                                     at=T0 - dt.timedelta(hours=2))
    assert account_view(patient, today=T0.date()).balance == D("-2400.00")
    appointment = make_booking(patient, starts_at=at(-30))
    session = signed_iv_session(appointment, nurse_origin)
    charge = session_charge(session)
    assert charge.package_purchase == purchase and charge.package_session_number == 1
    assert charge.list_total == D("550.00") and charge.total == D("400.00")
    assert "Package ‘Six-infusion induction’, session 1 of 6: $400.00" in charge.explanation
    charge_services.charge_post(charge=charge, origin=billing_origin, at=at(300))
    view = account_view(patient, today=T0.date())
    assert view.balance == D("-2000.00")
    (use,) = view.packages
    assert (use.used, use.remaining, use.remaining_value) == (1, 5, D("2000.00"))


def test_a_write_off_is_a_signed_adjustment_with_its_reason(patient, priced_clinic,
                                                            billing_origin):
    charge = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 1), services=[("consultation", 1)],
        diagnosis_codes=["F33.2"], origin=billing_origin, at=T0)
    charge_services.charge_post(charge=charge, origin=billing_origin, at=T0)
    payments.adjustment_post(patient=patient, amount="-50.00", reason="Hardship",
                             idempotency_key="adjust-000001", origin=billing_origin, at=T0)
    payments.adjustment_post(patient=patient, amount="-50.00", reason="Hardship",
                             idempotency_key="adjust-000001", origin=billing_origin, at=T0)
    view = account_view(patient, today=T0.date())
    assert view.balance == D("300.00")
    assert view.lines[-1].entry.description == "Write-off: Hardship"


amounts = st.integers(min_value=1, max_value=50_000).map(lambda c: D(c) / 100)
operations = st.lists(
    st.tuples(st.sampled_from(["charge", "pay", "refund", "adjust"]), amounts),
    min_size=1, max_size=12,
)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_payments_and_refunds_always_balance(make_patient, clinic, billing_origin, ops):
    """Whatever happens in whatever order, the balance is charges − payments + refunds +
    adjustments, and no payment is ever refunded beyond its amount."""
    patient = make_patient(clinic)
    last_payment = None
    for n, (kind, amount) in enumerate(ops):
        when = T0 + dt.timedelta(minutes=n)
        try:
            if kind == "charge":
                payments.adjustment_post(patient=patient, amount=amount, reason="Correction",
                                         idempotency_key=key(), origin=billing_origin, at=when)
            elif kind == "pay":
                last_payment = pay(patient, billing_origin, str(amount))
            elif kind == "refund" and last_payment is not None:
                payments.refund_record(payment=last_payment, amount=amount, reason="r",
                                       idempotency_key=key(), origin=billing_origin, at=when)
            elif kind == "adjust":
                payments.adjustment_post(patient=patient, amount=f"-{amount}", reason="Write-off",
                                         idempotency_key=key(), origin=billing_origin, at=when)
        except ClinicalRuleError:
            assert kind == "refund"  # only an over-refund is refused
    entries = LedgerEntry.objects.filter(patient=patient)
    expected = sum((e.amount if e.kind != "payment" else -e.amount for e in entries), D(0))
    assert account_view(patient, today=T0.date()).balance == expected
    for payment in Payment.objects.filter(patient=patient):
        assert sum((r.amount for r in payment.refunds.all()), D(0)) <= payment.amount
