"""Superbills and statements: rendered to PDF by WeasyPrint and read back as text; the sliding
scale applied and explained on the statement, and re-evaluated yearly."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ketacare.billing import selectors
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services import payments, sliding_scale
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import StaffMembership
from tests.web.billing.conftest import T0, key, session_charge

pytestmark = pytest.mark.django_db
D = Decimal


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)  # lines wrap where the page is narrow


def test_the_superbill_pdf_carries_what_an_insurer_needs(
    signed_session, patient, staff, clinic, client_for, billing_origin
):
    patient.insurance_payer, patient.insurance_member_id = "Acme Health", "AC-991"
    patient.address_line1, patient.city, patient.state, patient.postal_code = (
        "1 Main St", "Boston", "MA", "02110")
    patient.save()
    StaffMembership.objects.filter(user=staff["prescriber"], clinic=clinic).update(
        npi="1245319599")
    charge = charge_services.charge_post(charge=session_charge(signed_session),
                                         origin=billing_origin, at=T0 + dt.timedelta(hours=3))
    payments.payment_record(patient=patient, method="card", amount=charge.total,
                            reference="T-7781", idempotency_key=key(), origin=billing_origin,
                            at=T0 + dt.timedelta(hours=3))

    text = pdf_text(client_for("billing").get(
        f"/billing/patients/{patient.pk}/superbill.pdf?from=2025-03-01&to=2025-03-31"))

    for expected in (
        "Superbill", "Harbor Clinic PLLC", "NPI: 1234567893", "Tax ID: 12-3456789",
        "Patient: Jane Doe", "Date of birth: 04/12/1985", "Acme Health", "AC-991",
        "Prescriber Tester — NPI 1245319599", "03/03/2025", "96365", "F33.2",
        "MDD, recurrent, severe", "$550.00", "Amount paid: $550.00", "Balance due: $0.00",
        "PAID IN FULL", "Provider signature",
    ):
        assert expected in text, expected


def test_a_superbill_lists_only_posted_charges(signed_session, patient, client_for):
    text = pdf_text(client_for("billing").get(
        f"/api/v1/billing/patients/{patient.pk}/superbill.pdf?starts_on=2025-03-01"
        "&ends_on=2025-03-31"))
    assert "No posted services in this period." in text and "96365" not in text


def test_the_statement_applies_and_explains_the_sliding_scale(
    patient, signed_intake, priced_clinic, billing_origin, client_for
):
    sliding_scale.assessment_record(
        patient=patient, household_size=3, annual_income="37843", proof="tax_return",
        assessed_on=dt.date(2025, 3, 1), guideline_year=2025, origin=billing_origin, at=T0)
    charge = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 3), services=[("consultation", 1)],
        diagnosis_codes=[], origin=billing_origin, at=T0)
    assert (charge.list_total, charge.discount_total, charge.total) == (
        D("350.00"), D("140.00"), D("210.00"))
    assert charge.explanation == (
        "Household of 3 at 142 % of the 2025 poverty guideline (contiguous states): band "
        "‘101–150 %’, 40 % off $350.00 = $210.00")
    charge_services.charge_post(charge=charge, origin=billing_origin, at=T0)

    text = pdf_text(client_for("billing").get(
        f"/billing/patients/{patient.pk}/statement.pdf?from=2025-03-01&to=2025-03-31"))

    assert "Patient statement" in text
    assert "Household of 3 at 142 % of the 2025 poverty guideline" in text
    assert "40 % off $350.00 = $210.00" in text
    assert "Amount due: $210.00" in text
    assert "Questions? Call (555) 010-0000." in text


def test_the_sliding_scale_is_re_evaluated_yearly(patient, priced_clinic, billing_origin):
    assessment = sliding_scale.assessment_record(
        patient=patient, household_size=1, annual_income="15650", proof="pay_stubs",
        assessed_on=dt.date(2025, 3, 1), guideline_year=2025, origin=billing_origin, at=T0)
    assert assessment.valid_until == dt.date(2026, 2, 28)
    assert assessment.band_label == "≤100 %" and assessment.fpl_percent == D("100.00")
    later = T0.replace(year=2026)
    charge = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2026, 3, 1), services=[("consultation", 1)],
        diagnosis_codes=["F33.2"], origin=billing_origin, at=later)
    assert charge.discount_total == 0 and charge.explanation == ""
    due = selectors.reassessments_due(priced_clinic, today=dt.date(2026, 2, 10))
    assert [a.pk for a in due] == [assessment.pk]


def test_an_assessment_states_its_proof_and_year(patient, priced_clinic, billing_origin):
    with pytest.raises(Invalid, match="why a self-attestation"):
        sliding_scale.assessment_record(
            patient=patient, household_size=2, annual_income="20000", proof="self_attestation",
            assessed_on=dt.date(2025, 3, 1), origin=billing_origin, at=T0)
    from ketacare.clinical.common import ClinicalRuleError

    with pytest.raises(ClinicalRuleError, match="no poverty guideline table for 2024"):
        sliding_scale.assessment_record(
            patient=patient, household_size=2, annual_income="20000", proof="tax_return",
            assessed_on=dt.date(2025, 3, 1), guideline_year=2024, origin=billing_origin, at=T0)
    # Until HHS's 2026 table is added, a 2026 assessment uses 2025 and says so.
    assert sliding_scale.guideline_year_for(dt.date(2026, 6, 1)) == 2025


def test_no_band_table_means_no_assessment(patient, clinic, billing_origin):
    with pytest.raises(Refused, match="no sliding-scale bands"):
        sliding_scale.assessment_record(
            patient=patient, household_size=2, annual_income="20000", proof="tax_return",
            assessed_on=dt.date(2025, 3, 1), origin=billing_origin, at=T0)
