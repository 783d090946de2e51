"""A full IV session in real Chromium: check-in, pre-checks, dosing; a hypertensive reading raises
an alert that the nurse acknowledges and that resolves with a later normal reading; recovery,
discharge, the nurse's signature and the prescriber's co-signature."""

from __future__ import annotations

import re

import pytest

from ketacare.alerts.models import Alert
from ketacare.sessions.models import TreatmentSession
from tests.browser.conftest import sign_in
from tests.web.sessions.conftest import IV_SETTINGS, make_booking, set_protocol  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def record_vitals(page, systolic, diastolic, heart_rate, spo2, rr="14"):
    """Keyboard only: type, Tab, Enter; the cursor comes back to Systolic."""
    first = page.get_by_label("Systolic", exact=True)
    first.click()
    page.keyboard.type(systolic)
    for value in (diastolic, heart_rate, spo2, rr):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.get_by_role("cell", name=f"{systolic}/{diastolic}", exact=True).wait_for()
    page.wait_for_function(
        "document.activeElement && document.activeElement.name === "
        "'systolic_mmhg' && document.activeElement.value === ''"
    )


def test_a_full_iv_session_with_an_alert_acknowledged_and_resolved(
    new_page,
    staff,
    clinic,
    patient,
    make_booking,  # noqa: F811
):
    # Illustrative clinic values; observation minimum 0 so the test need not wait.
    set_protocol(
        clinic,
        "racemic_iv",
        {**IV_SETTINGS, "minimum_observation_minutes": 0},
        staff["medical_director"],
    )
    make_booking(patient)

    nurse = new_page()
    sign_in(nurse, staff["nurse"].username)
    nurse.get_by_role("link", name="Today", exact=True).click()
    nurse.get_by_role("row", name=re.compile("Chair 1")).get_by_role(
        "button", name=re.compile("Check in")
    ).click()
    nurse.get_by_role("heading", name=re.compile("Doe, Jane")).wait_for()

    # Pre-checks.
    nurse.get_by_label("Systolic (mmHg)").fill("128")
    nurse.get_by_label("Diastolic (mmHg)").fill("80")
    nurse.get_by_label("Heart rate (bpm)").fill("72")
    nurse.get_by_label("SpO2 (%)").fill("98")
    nurse.get_by_label("Hours since last food").fill("6")
    nurse.get_by_label("Hours since last liquids").fill("2")
    for question in ("identity_confirmed", "phq9_completed", "cssrs_completed", "escort_confirmed"):
        nurse.locator(f"#q-{question}").get_by_label("Yes", exact=True).check()
    for question in (
        "could_be_pregnant",
        "new_medications_since_last_visit",
        "substance_use_since_last_visit",
    ):
        nurse.locator(f"#q-{question}").get_by_label("No", exact=True).check()
    nurse.get_by_role("button", name="Run the pre-checks").click()
    nurse.get_by_text("Pre-checks passed.").wait_for()

    # Dosing from the signed order: the bag it describes (pre-filled) runs at 150 mL/h.
    nurse.get_by_label("Lot number").fill("KET-2025-01")
    assert nurse.get_by_label("Final bag volume (mL, drug included)").input_value() == "100.0"
    nurse.get_by_role("button", name="Start dosing").click()
    nurse.get_by_text("Dosing started.").wait_for()
    assert nurse.get_by_label("Vial concentration (mg/mL)").count() == 0
    nurse.get_by_text(re.compile(r"= 0\.350 mg/mL on the pump")).wait_for()

    # A hypertensive reading raises an alert with its recommended action.
    record_vitals(nurse, "188", "104", "92", "97")
    alert_box = nurse.locator(".session-alert.critical")
    alert_box.get_by_text(re.compile(r"BP 188/104 mmHg is above 180/100 mmHg")).wait_for()
    assert "call the prescriber" in alert_box.inner_text()
    alert = Alert.objects.get(kind=Alert.Kind.VITALS)
    assert alert.status == Alert.Status.OPEN

    # The nurse acknowledges it with what was done: slowing the pump records the new rate.
    alert_box.get_by_label("Slowed the infusion").check()
    alert_box.get_by_label("Slowed to (mL/h)").fill("90")
    alert_box.get_by_label("Called the prescriber").check()
    alert_box.get_by_role("button", name="Acknowledge").click()
    nurse.get_by_text(re.compile("waiting for a reading back within limits")).wait_for()
    nurse.reload()
    nurse.get_by_role("cell", name="Rate change").wait_for()

    # A later normal reading resolves it.
    record_vitals(nurse, "150", "88", "84", "98")
    nurse.get_by_text("No open alerts.").wait_for()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert "Slowed the infusion" in alert.action_note
    assert nurse.locator("svg.chart-panel").count() == 2

    # Recovery and discharge.
    nurse.get_by_role("button", name="Stop pump and end dosing").click()
    nurse.locator("#e-end-reason").get_by_text("give the reason for ending below").wait_for()
    nurse.get_by_label("Reason for ending below the order").fill("BP; prescriber asked to stop")
    nurse.get_by_role("button", name="Stop pump and end dosing").click()
    nurse.get_by_text("recovery observation started").wait_for()
    nurse.get_by_text(re.compile("record the waste with a second licensed witness")).wait_for()
    record_vitals(nurse, "132", "82", "76", "98")
    for question in (
        "mental_status_at_baseline",
        "walking_steadily",
        "nausea_controlled",
        "escort_present",
        "sedation_resolved",
        "dissociation_resolved",
        "respiratory_depression_resolved",
    ):
        nurse.locator(f"#d-{question}").get_by_label("Yes", exact=True).check()
    nurse.get_by_role("button", name="Discharge").click()
    nurse.get_by_text("Patient discharged.").wait_for()
    nurse.get_by_role("button", name="Sign the session record").click()
    nurse.get_by_text("The record is now locked.").wait_for()

    prescriber = new_page()
    sign_in(prescriber, staff["prescriber"].username)
    session = TreatmentSession.objects.get()
    prescriber.goto(f"/sessions/{session.pk}/")
    prescriber.get_by_role("button", name="Co-sign").click()
    prescriber.get_by_text("Session co-signed.").wait_for()
    session.refresh_from_db()
    assert session.state == "cosigned"
    log = prescriber.locator("ol.timeline").inner_text()
    for step in ("check in", "start dosing", "end dosing", "discharge", "sign", "cosign"):
        assert step in log
