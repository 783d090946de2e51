"""Charges from what happened: a signed session makes its charge once, with codes and units from
the recorded infusion time, diagnoses from the chart, prices from the fee schedule; billing
reviews, corrects and posts it, and a retried post never posts twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.billing.models import Charge, LedgerEntry
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services import setup
from ketacare.core.errors import Invalid, Refused
from tests.web.billing.conftest import T0, at, session_charge, signed_iv_session

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_signed_iv_session_makes_its_charge_to_review(signed_session, staff):
    charge = session_charge(signed_session)
    assert charge.status == Charge.Status.TO_REVIEW
    assert charge.date_of_service == dt.date(2025, 3, 3)
    assert charge.diagnosis_codes == ["F33.2"]  # from the signed intake
    assert charge.rendering_provider == staff["prescriber"]  # who signed the order
    lines = list(charge.lines.values_list("service", "code", "units", "fee", "code_verified"))
    assert lines == [("iv_infusion", "96365", 1, D("550.00"), False)]  # §9 [memory, verify]
    assert charge.total == D("550.00")
    assert not LedgerEntry.objects.exists()  # nothing owed until billing posts it


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(15, [("96374", 1)]), (91, [("96365", 1), ("96366", 1)]),
     (151, [("96365", 1), ("96366", 2)])],
)
def test_codes_and_units_come_from_the_recorded_infusion_time(
    make_booking, patient, signed_intake, iv_protocol, priced_clinic, nurse_origin, minutes,
    expected,
):
    # A slow pump (100 mL at 30 mL/h runs 200 min) so the order is not reached early.
    appointment = make_booking(patient, starts_at=at(-30),
                               order_overrides={"rate_ml_per_h": D("30")})
    session = signed_iv_session(appointment, nurse_origin, infusion_minutes=minutes)
    charge = session_charge(session)
    assert [(ln.code, ln.units) for ln in charge.lines.all()] == expected
    hours = sum(ln.fee for ln in charge.lines.all() if ln.code == "96366")
    assert charge.total == D("550.00") + hours


def test_a_price_missing_from_the_fee_schedule_never_blocks_the_signature(
    make_booking, patient, signed_intake, iv_protocol, clinic, nurse_origin, admin_origin,
    billing_origin,
):
    appointment = make_booking(patient, starts_at=at(-30))
    session = signed_iv_session(appointment, nurse_origin)  # no fee schedule at all
    assert session.state == "signed"
    charge = session_charge(session)
    assert charge.status == Charge.Status.NEEDS_ATTENTION
    assert "The fee schedule has no price for iv_infusion (96365 × 1)" in charge.problem
    with pytest.raises(Refused, match="needs attention"):
        charge_services.charge_post(charge=charge, origin=billing_origin, at=at(200))
    setup.fee_set(clinic=clinic, service="iv_infusion", unit_price=D("500"), origin=admin_origin,
                  at=at(150))
    charge = charge_services.charge_recompute(charge=charge, origin=billing_origin, at=at(200))
    assert charge.status == Charge.Status.TO_REVIEW and charge.total == D("500.00")


def test_the_charge_is_made_once_however_often_the_event_is_delivered(
    signed_session, nurse_origin
):
    first = session_charge(signed_session)
    again = charge_services.charges_from_signed_session(
        session=signed_session, origin=nurse_origin, at=at(300))
    assert again.pk == first.pk and Charge.objects.count() == 1


def test_posting_puts_the_charge_on_the_ledger_once(signed_session, billing_origin):
    charge = session_charge(signed_session)
    posted = charge_services.charge_post(charge=charge, origin=billing_origin, at=at(200))
    again = charge_services.charge_post(charge=charge, origin=billing_origin, at=at(201))
    assert posted.status == again.status == Charge.Status.POSTED
    entries = list(LedgerEntry.objects.values_list("reference", "kind", "amount"))
    assert entries == [(f"C{charge.pk}", "charge", D("550.00"))]
    with pytest.raises(Refused, match="cannot change"):
        charge_services.charge_void(charge=posted, reason="x", origin=billing_origin, at=at(202))


def test_billing_corrects_diagnoses_and_a_code_before_posting(signed_session, billing_origin):
    charge = session_charge(signed_session)
    with pytest.raises(Invalid) as refused:
        charge_services.charge_update(charge=charge, diagnosis_codes=["F33.2", "banana"],
                                      origin=billing_origin, at=at(100))
    assert "diagnosis_codes.2" in refused.value.fields
    charge = charge_services.charge_update(
        charge=charge, diagnosis_codes=["f332", "F41.1"], line_codes={1: "96365"},
        origin=billing_origin, at=at(100))
    assert charge.diagnosis_codes == ["F33.2", "F41.1"]
    assert charge.lines.get(position=1).code_verified  # billing confirmed it


def test_posting_needs_a_diagnosis(signed_session, billing_origin):
    charge = charge_services.charge_update(charge=session_charge(signed_session),
                                           diagnosis_codes=[], origin=billing_origin, at=at(100))
    with pytest.raises(Invalid, match="ICD-10-CM diagnosis"):
        charge_services.charge_post(charge=charge, origin=billing_origin, at=at(200))


def test_a_manual_consultation_charge_uses_the_fee_schedules_code(
    patient, signed_intake, priced_clinic, billing_origin
):
    charge = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 1),
        services=[("consultation", 1), ("integration_therapy", 2)], diagnosis_codes=[],
        origin=billing_origin, at=T0)
    assert [(ln.code, ln.units, ln.fee) for ln in charge.lines.all()] == [
        ("99204", 1, D("350.00")), ("", 2, D("300.00"))]
    assert charge.diagnosis_codes == ["F33.2"]
    with pytest.raises(Invalid, match="no active price"):
        charge_services.charge_create(patient=patient, date_of_service=dt.date(2025, 3, 1),
                                      services=[("follow_up", 1)], diagnosis_codes=["F33.2"],
                                      origin=billing_origin, at=T0)
