"""Front desk registers a patient → the patient completes intake through the link → a prescriber
reviews and signs it. Real Chromium, real pages, real e-mail outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_register_intake_by_link_and_sign(new_page, staff, clinic):
    desk = new_page()
    sign_in(desk, staff["front_desk"].username)
    desk.get_by_role("link", name="Patients").click()
    desk.get_by_role("link", name="Register a patient").click()
    desk.get_by_label("First name").fill("Robin")
    desk.get_by_label("Last name").fill("Alvarez")
    desk.get_by_label("Date of birth").fill("1984-06-30")
    desk.get_by_label("Sex assigned at birth").select_option("female")
    desk.get_by_label("E-mail").fill("robin@example.com")
    desk.get_by_role("button", name="Save").click()
    desk.get_by_text(re.compile(r"Registered Robin Alvarez with MRN HC\d{6}")).wait_for()
    desk.get_by_role("button", name="E-mail intake link").click()
    desk.get_by_text("Intake link e-mailed to robin@example.com").wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/intake/\S+/", mail.outbox[0].body).group(0)
    path = "/intake/" + link.split("/intake/", 1)[1]

    patient_page = new_page()
    patient_page.goto(path)
    patient_page.get_by_label("Height (cm)").fill("165")
    patient_page.get_by_label("Weight (kg)").fill("61")
    patient_page.get_by_label("Medication 1 name").fill("escitalopram")
    patient_page.get_by_label("Medication 1 dose").fill("20 mg daily")
    patient_page.get_by_label("Trial 1 drug").fill("escitalopram")
    patient_page.get_by_label("Trial 1 weeks").fill("10")
    patient_page.get_by_label("Trial 1 adequate").select_option("yes")
    patient_page.get_by_label("Trial 1 outcome").select_option("no_response")
    patient_page.locator("#cond-hypertension").get_by_label("No", exact=True).check()
    patient_page.locator("#cond-psychosis_history").get_by_label("No", exact=True).check()
    patient_page.get_by_label("No known allergies").check()
    patient_page.get_by_role("button", name="Submit questionnaire").click()
    patient_page.get_by_role("heading", name=re.compile("Thank you")).wait_for()
    # The link is one-time.
    patient_page.goto(path)
    patient_page.get_by_text("already been used").wait_for()

    doctor = new_page()
    sign_in(doctor, staff["prescriber"].username)
    doctor.get_by_role("link", name=re.compile("Alvarez, Robin — version 1")).click()
    doctor.get_by_text("BMI").wait_for()
    doctor.get_by_role("button", name="Sign intake v1").click()
    doctor.get_by_text("Intake version 1 signed.").wait_for()
    assert doctor.get_by_text("Signed", exact=True).first.is_visible()
    timeline = doctor.locator("ol.timeline").inner_text()
    assert "Signed intake version 1" in timeline
    assert "completed by the patient" in timeline
