"""A prescriber screens a patient with uncontrolled hypertension (blocked, with the reason); the
blood pressure is brought under control and re-entered; the prescriber plans the course, signs
the order and books the treatments; the patient signs the consent and sees the plan and the
preparation instructions in the portal. Real Chromium, real pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import PASSWORD, sign_in
from tests.conftest import intake_payload
from tests.web.scheduling.conftest import configure_scheduling

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hypertensive_patient(make_patient, clinic, staff):
    from ketacare.audit.services import RequestOrigin
    from ketacare.core.models import User
    from ketacare.patients.intake import IntakeData
    from ketacare.patients.services import intake_sign, intake_submit
    from ketacare.treatment.services import protocol_setting_set

    protocol_setting_set(
        clinic=clinic,
        key="trd.required_adequate_trials",
        value=2,
        origin=RequestOrigin(actor=staff["medical_director"], actor_label="director"),
        at=timezone.now(),
    )
    patient = make_patient(clinic, first_name="Robin", last_name="Alvarez")
    conditions = {
        **intake_payload()["conditions"],
        "hypertension": "yes",
        "hypertension_controlled": "no",
    }
    data = intake_payload(
        conditions=conditions,
        baseline_vitals={"systolic_mmhg": 164, "diastolic_mmhg": 99, "heart_rate_bpm": 82},
        medications_complete=True,
        antidepressant_history_complete=True,
    )
    origin = RequestOrigin(actor=staff["prescriber"], actor_label="prescriber")
    version = intake_submit(
        patient=patient, data=IntakeData(**data), source="staff", origin=origin, at=timezone.now()
    )
    intake_sign(version=version, origin=origin, at=timezone.now())
    configure_scheduling(
        clinic, RequestOrigin(actor=staff["medical_director"], actor_label="director")
    )
    user = User.objects.create_user(username="robin", password=PASSWORD)
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    return patient


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def test_screen_block_reenter_plan_sign_and_patient_sees_the_plan(
    new_page, staff, hypertensive_patient
):
    patient = hypertensive_patient
    doctor = new_page()
    sign_in(doctor, staff["prescriber"].username)
    doctor.goto(f"/patients/{patient.pk}/")
    doctor.get_by_role("link", name="Screen and plan").click()
    doctor.get_by_label("Route").select_option("racemic_iv")
    doctor.get_by_label("Indication").select_option("depression")
    doctor.get_by_role("button", name="Run screening").click()

    # Blocked, with the reason and what would resolve it.
    doctor.get_by_role("heading", name="Not eligible").wait_for()
    findings = doctor.locator("table.findings").inner_text()
    assert "bp.uncontrolled_hypertension" in findings
    assert "164/99 mmHg is above 140/90 mmHg" in findings
    assert "not controlled" in findings
    assert "Treat and recheck blood pressure" in findings
    assert doctor.get_by_role("link", name=re.compile("IV racemic ketamine")).count() == 0

    # The blood pressure is brought under control and re-entered as a new intake version.
    doctor.goto(f"/patients/{patient.pk}/intake/")
    doctor.locator("#cond-hypertension_controlled").get_by_label("Yes", exact=True).check()
    doctor.get_by_label("Systolic BP (mmHg)").fill("128")
    doctor.get_by_label("Diastolic BP (mmHg)").fill("80")
    doctor.get_by_role("button", name="Save as a new version").click()
    doctor.get_by_text("Saved as intake version 2").wait_for()
    doctor.get_by_role("link", name="Review and sign").click()
    doctor.get_by_role("button", name="Sign intake v2").click()
    doctor.get_by_text("Intake version 2 signed.").wait_for()

    doctor.get_by_role("link", name="Screen and plan").click()
    doctor.get_by_label("Route").select_option("racemic_iv")
    doctor.get_by_label("Indication").select_option("depression")
    doctor.get_by_role("button", name="Run screening").click()
    doctor.get_by_role("heading", name="Eligible").wait_for()
    assert "intake v2" in doctor.locator("main").inner_text()

    # Plan the course, compute and sign the order.
    doctor.get_by_role("link", name="IV racemic ketamine for depression").click()
    doctor.get_by_role("button", name="Plan course").click()
    doctor.get_by_text("Planned the IV ketamine infusion course.").wait_for()
    doctor.get_by_role("link", name="Compute a dose and write an order").click()
    doctor.get_by_label("Concentration (mg/mL)").fill("10")
    doctor.get_by_label("Bag volume (mL)").fill("100")
    doctor.get_by_role("button", name="Compute dose").click()
    result = doctor.locator("#dose-result")
    result.get_by_text("41 mg IV (0.5 mg/kg × 82 kg actual body weight)", exact=False).wait_for()
    assert "156.2 mL/h" in result.inner_text()
    doctor.get_by_role("button", name="Save draft order").click()
    doctor.get_by_text("Draft order saved").wait_for()
    doctor.get_by_role("button", name="Sign order").click()
    doctor.get_by_text("Order signed").wait_for()
    assert "Actionable" in doctor.locator("main").inner_text()

    # Book the induction series: the earliest complete set of slots, in one step.
    doctor.get_by_role("link", name="Book treatments").click()
    doctor.get_by_label("From").fill(_next_monday().isoformat())
    doctor.get_by_role("button", name="Find slots").click()
    doctor.get_by_role("button", name="Book proposal 1").click()
    doctor.get_by_text("Booked 6 sessions").wait_for()

    # The patient signs the consent and sees the plan and the instructions.
    portal = new_page()
    sign_in(portal, "robin")
    portal.goto("/portal/")
    portal.get_by_role("link", name="See my plan, appointments and instructions").click()
    portal.get_by_role("link", name="Read and sign the consent").click()
    assert "off-label" in portal.locator(".consent-text").inner_text()
    portal.get_by_label("I have read this consent").check()
    portal.get_by_label("Type your full name to sign").fill("Robin Alvarez")
    portal.get_by_role("button", name="Sign consent").click()
    portal.get_by_text("you signed the consent").wait_for()
    plan = portal.locator("main").inner_text()
    assert "IV racemic ketamine for depression" in plan
    assert "41 mg IV" in plan
    assert "An adult must take you home" in plan
    assert "Do not drive" in plan
    assert "treatment 1" in plan
    portal.get_by_text("Preparation instructions").first.click()
    assert portal.get_by_text("restful night's sleep").first.is_visible()

    # The clinician countersigns; the consent item of the checklist is then done.
    doctor.goto(f"/treatment/patients/{patient.pk}/")
    doctor.get_by_role("button", name="Countersign consent").click()
    doctor.get_by_text("Consent countersigned.").wait_for()
    assert "signed and countersigned" in doctor.locator("main").inner_text()
