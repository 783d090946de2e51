"""Intake by staff and by the patient's one-time link; pages keep input on errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from ketacare.patients.models import IntakeLink, IntakeVersion

pytestmark = pytest.mark.django_db


def _send_link(client_for, patient) -> str:
    client_for("front_desk").post(f"/patients/{patient.pk}/intake/send-link/")
    body = mail.outbox[-1].body
    return "/intake/" + body.split("/intake/", 1)[1].split("/", 1)[0] + "/"


def test_link_is_emailed_one_time_and_stored_hashed(client_for, patient, client):
    path = _send_link(client_for, patient)
    token = path.split("/")[2]
    assert mail.outbox[-1].to == [patient.email]
    assert not IntakeLink.objects.filter(token_sha256=token).exists()  # only the hash is stored
    assert client.get(path).status_code == 200
    response = client.post(
        path, {"height_cm": "170", "weight_kg": "70", "conditions-hypertension": "no"}
    )
    assert response.status_code == 200 and b"Thank you" in response.content
    version = IntakeVersion.objects.get(patient=patient)
    assert version.source == "patient" and version.status == "submitted"
    assert version.data["conditions"]["hypertension"] == "no"
    assert version.data["conditions"]["psychosis_history"] == "unknown"
    assert client.get(path).status_code == 410


def test_expired_link_is_refused_with_a_reason(client_for, patient, client):
    path = _send_link(client_for, patient)
    IntakeLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.get(path)
    assert response.status_code == 410 and b"expired" in response.content
    assert client.get("/intake/not-a-token/").status_code == 410


def test_patient_without_email_cannot_be_sent_a_link(client_for, make_patient, clinic):
    nobody = make_patient(clinic, email=None)
    response = client_for("front_desk").post(
        f"/patients/{nobody.pk}/intake/send-link/", follow=True
    )
    assert b"no e-mail address" in response.content
    assert mail.outbox == []


def test_invalid_answers_keep_everything_typed_and_save_nothing(client_for, patient, client):
    path = _send_link(client_for, patient)
    response = client.post(
        path,
        {
            "height_cm": "170",
            "weight_kg": "9000",
            "medications-0-name": "sertraline",
            "medications-0-dose": "100 mg",
            "diagnoses-0-code": "depr",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "sertraline" in page and "100 mg" in page  # nothing lost
    assert "Weight (kg) must be at most 350." in page  # human words, no framework strings
    assert "less than or equal" not in page
    assert "ICD-10" not in page  # patients are not asked for diagnosis codes
    assert not IntakeVersion.objects.exists()
    assert IntakeLink.objects.get().used_at is None  # the link still works


def test_staff_intake_form_saves_a_new_version_and_chart_shows_it(
    client_for, patient, signed_intake
):
    nurse = client_for("nurse")
    form = {
        "height_cm": "178",
        "weight_kg": "90",
        "no_known_allergies": "on",
        "medications-0-name": "lorazepam",
        "medications-0-dose": "0.5 mg",
        "antidepressant_trials-0-drug": "sertraline",
        "antidepressant_trials-0-weeks": "8",
        "antidepressant_trials-0-adequate": "yes",
        "antidepressant_trials-0-outcome": "no_response",
        "antidepressant_trials-0-current_episode": "yes",
        "conditions-hypertension": "yes",
        "conditions-hypertension_controlled": "no",
        "baseline_vitals-systolic_mmhg": "162",
        "baseline_vitals-diastolic_mmhg": "98",
    }
    response = nurse.post(f"/patients/{patient.pk}/intake/", form)
    assert response.status_code == 302
    latest = IntakeVersion.objects.get(patient=patient, number=2)
    assert latest.data["medications"] == [
        {"name": "lorazepam", "dose": "0.5 mg", "drug_class": None}
    ]
    assert latest.data["antidepressant_trials"][0]["adequate"] == "yes"
    assert latest.data["baseline_vitals"]["systolic_mmhg"] == 162
    chart = nurse.get(f"/patients/{patient.pk}/").content.decode()
    assert "No known allergies" in chart and "Version 2" in chart
    assert IntakeVersion.objects.get(patient=patient, number=1).data["weight_kg"] == 82


def test_search_page_and_htmx_partial(client_for, patient):
    client = client_for("front_desk")
    full = client.get("/patients/?q=doe").content.decode()
    assert "<html" in full and patient.mrn in full
    partial = client.get("/patients/?q=doe", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and patient.mrn in partial
    assert "No patients found" in client.get("/patients/?q=zzzz").content.decode()


def test_register_page_shows_errors_and_keeps_input(client_for):
    response = client_for("front_desk").post(
        "/patients/new/",
        {
            "first_name": "Ann",
            "last_name": "",
            "date_of_birth": "1990-01-01",
            "sex_at_birth": "female",
        },
    )
    assert response.status_code == 422
    assert b'value="Ann"' in response.content
    assert b"Last name must not be empty." in response.content
    assert b"at least 1 character" not in response.content
