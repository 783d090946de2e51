"""Patient portal accounts: invitation from the chart and the API (expiry, single use, re-send),
activation, the health questionnaire in the portal, and kiosk mode on a handed-over tablet."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.core.models import User
from ketacare.patients.models import IntakeVersion, KioskSession, PortalInvitation
from tests.conftest import intake_payload

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-patient-passphrase"


def _activation_path() -> str:
    url = re.search(r"https?://\S+/portal/activate/\S+/", mail.outbox[-1].body).group(0)
    return "/portal/activate/" + url.split("/portal/activate/", 1)[1]


def _activate(path: str, **changes) -> tuple[Client, object]:
    client = Client()
    form = {
        "date_of_birth": "1985-04-12",
        "username": "jane@example.com",
        "password": PASSWORD,
        "password_again": PASSWORD,
    } | changes
    return client, client.post(path, form)


def test_front_desk_invites_from_the_chart_and_the_patient_activates_once(client_for, patient):
    desk = client_for("front_desk")
    chart = desk.get(f"/patients/{patient.pk}/").content.decode()
    assert "Invite to the portal" in chart and "Not invited yet" in chart
    sent = desk.post(f"/patients/{patient.pk}/portal-invitation/", follow=True)
    assert "Portal invitation e-mailed to jane@example.com" in sent.content.decode()
    assert "expires on" in mail.outbox[-1].body
    path = _activation_path()

    form = Client().get(path).content.decode()
    assert "activate your patient portal" in form and 'value="jane@example.com"' in form
    _, wrong = _activate(path, date_of_birth="1985-04-13")
    assert wrong.status_code == 422 and "does not match" in wrong.content.decode()
    User.objects.create_user("taken-name", password="x-long-password-9")
    _, taken = _activate(path, username="taken-name")
    assert taken.status_code == 422 and "taken" in taken.content.decode()
    _, weak = _activate(path, password="123", password_again="123")
    assert weak.status_code == 422

    client, done = _activate(path)
    assert done.status_code == 302 and done.url == "/portal/"
    patient.refresh_from_db()
    assert patient.portal_user.username == "jane@example.com"
    home = client.get("/portal/").content.decode()
    assert "Complete your health questionnaire" in home
    reused = Client().get(path)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    assert "Activated: signs in as" in desk.get(f"/patients/{patient.pk}/").content.decode()
    assert AuditEntry.objects.filter(object_type="portal_account", patient_id=patient.pk)


def test_api_sends_resends_and_refuses(client_for, patient, make_patient, clinic):
    api = client_for("front_desk")
    url = f"/api/v1/patients/{patient.pk}/portal-invitation"
    first = api.post(url)
    assert first.status_code == 201
    assert first.json()["sent_to"] == "jane@example.com" and first.json()["expires_at"]
    old_path = _activation_path()
    again = api.post(url)
    assert again.status_code == 201
    new_path = _activation_path()
    assert Client().get(old_path).status_code == 410  # re-sending retires the earlier link
    assert Client().get(new_path).status_code == 200
    assert PortalInvitation.objects.filter(superseded_at__isnull=False).count() == 1

    _activate(new_path)
    done = api.post(url)
    assert done.status_code == 409 and "already activated" in done.json()["detail"]

    nobody = make_patient(clinic, email=None)
    refused = api.post(f"/api/v1/patients/{nobody.pk}/portal-invitation")
    assert refused.status_code == 409 and "kiosk mode" in refused.json()["detail"]
    assert client_for("billing").post(url).status_code == 403


def test_an_expired_activation_link_is_refused(client_for, patient):
    client_for("front_desk").post(f"/api/v1/patients/{patient.pk}/portal-invitation")
    PortalInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = Client().get(_activation_path())
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_the_patient_completes_the_intake_in_the_portal(client_for, patient):
    client_for("front_desk").post(f"/api/v1/patients/{patient.pk}/portal-invitation")
    client, _ = _activate(_activation_path())
    form = client.get("/patients/portal/intake/").content.decode()
    assert "ICD-10" not in form and "Laboratory results" not in form
    # Pregnancy is asked once (one question, five answers), not as two questions.
    assert form.count("Are you pregnant, or could you be?") == 1
    assert form.count('name="pregnancy"') == 5
    assert "conditions-pregnant" not in form and 'name="pregnancy_possible"' not in form
    answers = {
        "height_cm": "165",
        "weight_kg": "61",
        "medications-0-name": "escitalopram",
        "medications-0-dose": "20 mg daily",
        "pregnancy": "not_possible",
        "no_known_allergies": "on",
        "diagnoses-0-code": "F33.2",  # not asked of patients: ignored if sent
    }
    thanks = client.post("/patients/portal/intake/", answers)
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    version = IntakeVersion.objects.get(patient=patient)
    assert version.source == "patient" and version.data["diagnoses"] == []
    assert version.data["pregnancy_possible"] == "no"
    assert version.data["conditions"]["pregnant"] == "no"
    again = client.get("/patients/portal/intake/", follow=True).content.decode()
    assert "The clinic has your health questionnaire" in again


def test_a_patient_version_keeps_the_diagnoses_and_labs_staff_entered(patient, staff):
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.intake import IntakeData
    from ketacare.patients.services import intake_submit

    labs = [{"name": "ALT", "value": "30", "unit": "U/L"}]
    origin = RequestOrigin(actor=staff["nurse"], actor_label="nurse")
    intake_submit(
        patient=patient,
        data=IntakeData(**intake_payload(labs=labs)),
        source="staff",
        origin=origin,
        at=timezone.now(),
    )
    own = IntakeData(**intake_payload(diagnoses=[], labs=[]))
    version = intake_submit(
        patient=patient, data=own, source="patient", origin=origin, at=timezone.now()
    )
    assert version.data["diagnoses"][0]["code"] == "F33.2"
    assert version.data["labs"][0]["name"] == "ALT"


# --- kiosk mode ----------------------------------------------------------------------------


def test_kiosk_mode_for_a_patient_without_email(client_for, make_patient, clinic, staff):
    nobody = make_patient(clinic, email=None, first_name="Ray", last_name="Kiosk")
    desk = client_for("front_desk")
    chart = desk.get(f"/patients/{nobody.pk}/").content.decode()
    assert "No e-mail address" in chart and "Start kiosk mode on this device" in chart

    started = desk.post(f"/patients/{nobody.pk}/kiosk/")
    assert started.status_code == 302 and started.url == "/portal/"
    kiosk = KioskSession.objects.get()
    assert kiosk.started_by == staff["front_desk"] and kiosk.ended_at is None
    home = desk.get("/portal/").content.decode()
    assert "This tablet is yours for now, Ray" in home and "I'm finished" in home
    assert "Sign out" not in home
    # Staff pages are out of reach: the device goes back to the patient's portal.
    for path in ("/patients/", f"/patients/{nobody.pk}/", "/clinic/staff/", "/audit/"):
        response = desk.get(path)
        assert response.status_code == 302 and response.url == "/portal/", path

    answers = {"height_cm": "180", "weight_kg": "80", "pregnancy": "not_possible"}
    assert desk.post("/patients/portal/intake/", answers).status_code == 200
    assert IntakeVersion.objects.get(patient=nobody).source == "patient"

    locked = desk.post("/kiosk/finish/")
    assert locked.status_code == 302 and locked.url == "/kiosk/locked/"
    page = desk.get("/kiosk/locked/").content.decode()
    assert "hand it back to the clinic staff" in page and "Ray" not in page
    after = desk.get("/portal/")
    assert after.status_code == 302 and "/accounts/login/" in after.url
    kiosk.refresh_from_db()
    assert kiosk.ended_reason == "finished"
    nobody.refresh_from_db()
    assert not nobody.portal_user.has_usable_password()  # nobody can sign in to it from outside
    assert AuditEntry.objects.filter(object_type="kiosk_session", actor=staff["front_desk"])


def test_an_idle_kiosk_returns_to_the_locked_screen(client_for, patient, settings):
    desk = client_for("front_desk")
    desk.post(f"/patients/{patient.pk}/kiosk/")
    settings.KIOSK_IDLE_TIMEOUT_SECONDS = -1  # any pause is too long
    desk.get("/portal/")
    idle = desk.get("/portal/")
    assert idle.status_code == 302 and idle.url == "/kiosk/locked/"
    assert KioskSession.objects.get().ended_reason == "idle"


def test_kiosk_mode_needs_the_capability(client_for, patient):
    assert client_for("billing").post(f"/patients/{patient.pk}/kiosk/").status_code == 403
    assert not KioskSession.objects.exists()


def test_a_kiosk_account_is_completed_by_a_later_invitation(client_for, patient):
    desk = client_for("front_desk")
    desk.post(f"/patients/{patient.pk}/kiosk/")
    desk.post("/kiosk/finish/")
    client_for("front_desk").post(f"/api/v1/patients/{patient.pk}/portal-invitation")
    _, done = _activate(_activation_path())
    assert done.status_code == 302
    patient.refresh_from_db()
    assert patient.portal_user.username == "jane@example.com"
    assert User.objects.filter(patient_profile=patient).count() == 1
