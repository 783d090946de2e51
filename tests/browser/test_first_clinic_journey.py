"""A real clinic starts on Ketacare, in real Chromium from an empty database:

`ketacare setup` → the administrator signs in and invites a prescriber and a front desk → both set
their passwords from the e-mailed links → the front desk registers a patient and sends the portal
invitation → the patient activates the portal and completes the health questionnaire → the
prescriber signs it, screens the patient and plans a course → the patient signs the consent.
Nothing is created behind the pages except by `ketacare setup` itself.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command

from ketacare.core.models import Clinic, User
from ketacare.patients.intake import CONDITION_NAMES
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_PASSWORD = "harbor-admin-passphrase"
STAFF_PASSWORD = "a-long-staff-passphrase"
PATIENT_PASSWORD = "robins-own-passphrase"


def _link(pattern: str) -> str:
    """The path of the newest e-mailed link matching ``pattern`` (e.g. ``/portal/activate/``)."""
    body = mail.outbox[-1].body
    url = re.search(rf"https?://\S+{pattern}\S+/", body).group(0)
    return pattern + url.split(pattern, 1)[1]


def _invite(admin, *, email: str, first: str, last: str, role: str, credential: str = ""):
    admin.get_by_role("link", name="Staff", exact=True).click()
    admin.get_by_label("E-mail").fill(email)
    admin.get_by_label("First name").fill(first)
    admin.get_by_label("Last name").fill(last)
    admin.get_by_label(role, exact=True).check()
    if credential:
        admin.get_by_label("Credential").select_option(credential)
    admin.get_by_role("button", name="Send invitation").click()
    admin.locator(".messages").get_by_text(f"Invitation e-mailed to {email}").wait_for()
    return _link("/accounts/invitation/")


def _accept(page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Choose a password").fill(STAFF_PASSWORD)
    page.get_by_label("The same password again").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.locator(".messages").get_by_text("Welcome to Ketacare: your account is ready.").wait_for()


def test_setup_invite_register_activate_intake_and_consent(new_page, monkeypatch):
    assert not Clinic.objects.exists() and not User.objects.exists()
    monkeypatch.setenv("KETACARE_ADMIN_PASSWORD", ADMIN_PASSWORD)
    call_command(
        "setup",
        "--no-input",
        organisation="Harbor Health",
        clinic="Harbor Clinic",
        time_zone="America/Chicago",
        admin_email="ada@example.org",
    )

    # The administrator sets the one protocol value screening needs, then invites two people.
    admin = new_page()
    sign_in(admin, "ada@example.org", ADMIN_PASSWORD)
    # The treatment protocol page shows the value unset and leads to the one settings page.
    admin.goto("/treatment/protocol/")
    admin.locator('[id="trd.required_adequate_trials"]').get_by_role(
        "link", name="Change on the settings page"
    ).click()
    row = admin.locator('[id="treatment.trd.required_adequate_trials"]')
    row.get_by_label(
        "Adequate failed antidepressant trials (current episode) that define TRD"
    ).fill("2")
    admin.get_by_role("button", name="Save treatment protocol: eligibility", exact=True).click()
    admin.locator(".messages").get_by_text("Protocol settings saved.").wait_for()
    admin.locator('[id="treatment.trd.required_adequate_trials"]').get_by_text(
        "clinic", exact=True
    ).wait_for()
    prescriber_link = _invite(
        admin,
        email="pat@example.org",
        first="Pat",
        last="Okafor",
        role="Prescriber",
        credential="MD",
    )
    desk_link = _invite(
        admin, email="fran@example.org", first="Fran", last="Desk", role="Front desk"
    )
    staff_page = admin.locator("main").inner_text()
    assert "Pat Okafor" in staff_page and "Fran Desk" in staff_page

    doctor, desk = new_page(), new_page()
    _accept(doctor, prescriber_link)
    _accept(desk, desk_link)

    # The front desk registers the patient and sends the portal invitation.
    desk.get_by_role("link", name="Patients").click()
    desk.get_by_role("link", name="Register a patient").click()
    desk.get_by_label("First name").fill("Robin")
    desk.get_by_label("Last name").fill("Alvarez")
    desk.get_by_label("Date of birth").fill("1984-06-30")
    desk.get_by_label("Sex assigned at birth").select_option("female")
    desk.get_by_label("E-mail").fill("robin@example.com")
    desk.get_by_role("button", name="Save").click()
    desk.locator(".messages").get_by_text(
        re.compile(r"Registered Robin Alvarez with MRN HC\d{6}")
    ).wait_for()
    desk.get_by_role("button", name="Invite to the portal").click()
    desk.locator(".messages").get_by_text(
        "Portal invitation e-mailed to robin@example.com"
    ).wait_for()
    activation = _link("/portal/activate/")

    # The patient activates the portal and completes the health questionnaire.
    patient = new_page()
    patient.goto(activation)
    patient.get_by_label("Your date of birth").fill("1984-06-30")
    patient.get_by_label("Choose a password").fill(PATIENT_PASSWORD)
    patient.get_by_label("The same password again").fill(PATIENT_PASSWORD)
    patient.get_by_role("button", name="Activate my portal").click()
    patient.locator(".messages").get_by_text("Your portal account is ready.").wait_for()
    patient.get_by_role("link", name="Complete your health questionnaire").click()
    form = patient.locator("main").inner_text()
    assert "ICD-10" not in form and "Laboratory results" not in form
    patient.get_by_label("Height (cm)").fill("165")
    patient.get_by_label("Weight (kg)").fill("61")
    patient.get_by_label("Medication 1 name").fill("escitalopram")
    patient.get_by_label("Medication 1 dose").fill("20 mg daily")
    patient.get_by_label("This is every medication I take now").check()
    patient.get_by_label("No known allergies").check()
    for number, drug in ((1, "sertraline"), (2, "escitalopram")):
        if number > 1:  # a second row, added in place (JavaScript) without reloading the form
            patient.get_by_role("button", name="Add an antidepressant trial").click()
        patient.get_by_label(f"Trial {number} drug").fill(drug)
        patient.get_by_label(f"Trial {number} weeks").fill("10")
        patient.get_by_label(f"Trial {number} adequate").select_option("yes")
        patient.get_by_label(f"Trial {number} outcome").select_option("no_response")
        patient.get_by_label(f"Trial {number} in the current episode").select_option("yes")
    patient.get_by_label("These are all the antidepressants I have tried").check()
    patient.locator("#cond-pregnancy").get_by_label("No: pregnancy is not possible").check()
    for name in CONDITION_NAMES:
        if name != "pregnant":
            patient.locator(f"#cond-{name}").get_by_label("No", exact=True).check()
    patient.get_by_label("Systolic BP (mmHg)").fill("122")
    patient.get_by_label("Diastolic BP (mmHg)").fill("78")
    patient.get_by_label("Heart rate (bpm)").fill("70")
    patient.get_by_role("button", name="Submit questionnaire").click()
    patient.get_by_role("heading", name=re.compile("Thank you")).wait_for()

    # The prescriber reviews and signs it, screens the patient and plans a course.
    doctor.goto("/")
    doctor.get_by_role("link", name=re.compile("Alvarez, Robin — version 1")).click()
    review = doctor.locator("main").inner_text()
    assert "No response" in review and "no_response" not in review
    doctor.get_by_role("button", name="Sign intake v1").click()
    doctor.locator(".messages").get_by_text("Intake version 1 signed.").wait_for()
    doctor.get_by_role("link", name="Screen and plan").click()
    doctor.get_by_label("Route").select_option("racemic_iv")
    doctor.get_by_label("Indication").select_option("depression")
    doctor.get_by_role("button", name="Run screening").click()
    doctor.get_by_role("heading", name="Eligible").wait_for()
    assert "CRPS" not in doctor.locator("main").inner_text()
    doctor.get_by_role("link", name="IV racemic ketamine for depression").click()
    doctor.get_by_role("button", name="Plan course").click()
    doctor.locator(".messages").get_by_text("Planned the IV ketamine infusion course.").wait_for()

    # The patient signs the consent in the portal.
    patient.goto("/portal/")
    patient.get_by_role("link", name="See my plan, appointments and instructions").click()
    patient.get_by_role("link", name="Read and sign the consent").click()
    patient.get_by_label("I have read this consent").check()
    patient.get_by_label("Type your full name to sign").fill("Robin Alvarez")
    patient.get_by_role("button", name="Sign consent").click()
    patient.locator(".messages").get_by_text("you signed the consent").wait_for()
