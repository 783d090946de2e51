"""Consent gating: the latest version, signed by the patient in the portal and countersigned
by a clinician, is what makes a consent current."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.models import User
from ketacare.treatment.models import ConsentDocument, ConsentSignature
from ketacare.treatment.selectors import consent_document_current, consent_is_current
from ketacare.treatment.services import consent_document_publish
from tests.web.treatment.conftest import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(patient):
    user = User.objects.create_user(username="jane-portal", password="correct-horse-battery")
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    client = Client()
    client.force_login(user)
    return client


def test_defaults_exist_for_every_route_and_state_off_label_status(client_for, clinic):
    status, documents = call(client_for("nurse"), "get", "/api/v1/treatment/consent-documents")
    assert status == 200
    by_route = {d["route"]: d for d in documents}
    assert len(by_route) == 6
    assert "off-label" in by_route["racemic_iv"]["body"]
    assert "REMS" in by_route["esketamine_nasal"]["body"]
    for text in ("bladder", "Alternatives", "electroconvulsive", "988"):
        assert text in by_route["racemic_iv"]["body"]


def test_patient_signs_in_the_portal_then_a_clinician_countersigns(
    client_for, eligible_course, patient, portal
):
    now = timezone.now()
    page = portal.get("/treatment/portal/")
    assert page.status_code == 200 and b"Read and sign the consent" in page.content
    document = ConsentDocument.objects.get(clinic=patient.clinic, route="racemic_iv")
    url = f"/treatment/portal/consent/{document.pk}/"
    assert b"off-label" in portal.get(url).content

    wrong = portal.post(url, {"typed_name": "Someone Else", "agreed": "on"})
    assert wrong.status_code == 422 and b"Type your full name" in wrong.content
    unticked = portal.post(url, {"typed_name": patient.full_name})
    assert unticked.status_code == 422 and b"Tick the box" in unticked.content
    signed = portal.post(url, {"typed_name": f"  {patient.full_name.upper()} ", "agreed": "on"})
    assert signed.status_code == 302
    assert not consent_is_current(patient, "racemic_iv", at=timezone.now())  # not countersigned

    signature = ConsentSignature.objects.get(patient=patient)
    status, _ = call(
        client_for("nurse"),
        "post",
        f"/api/v1/treatment/consent-signatures/{signature.pk}/countersign",
    )
    assert status == 200
    assert consent_is_current(patient, "racemic_iv", at=timezone.now())
    assert not consent_is_current(patient, "racemic_iv", at=now - dt.timedelta(minutes=1))
    assert not consent_is_current(patient, "esketamine_nasal", at=timezone.now())
    checklist = {
        e.key: e.done
        for e in __import__("ketacare.treatment.selectors", fromlist=["x"]).course_checklist(
            eligible_course, at=timezone.now()
        )
    }
    assert checklist["consent"] is True


def test_a_new_version_or_a_revocation_makes_consent_not_current(client_for, world, patient):
    nurse = client_for("nurse")
    call(nurse, "post", f"/api/v1/treatment/consent-signatures/{world['sigid']}/countersign")
    assert consent_is_current(patient, "racemic_iv", at=timezone.now())
    later = timezone.now() + dt.timedelta(seconds=1)
    consent_document_publish(
        clinic=patient.clinic,
        route="racemic_iv",
        title="Consent v2",
        body="Revised wording.",
        origin=RequestOrigin.system("test"),
        at=later,
    )
    assert consent_document_current(patient.clinic, "racemic_iv", at=later).version == 2
    assert not consent_is_current(patient, "racemic_iv", at=later + dt.timedelta(seconds=1))


def test_revoked_consent_is_not_current(client_for, world, patient):
    nurse = client_for("nurse")
    call(nurse, "post", f"/api/v1/treatment/consent-signatures/{world['sigid']}/countersign")
    status, body = call(
        nurse,
        "post",
        f"/api/v1/treatment/consent-signatures/{world['sigid']}/revoke",
        {"reason": "Patient withdrew consent"},
    )
    assert status == 200 and body["revoked_at"]
    assert not consent_is_current(patient, "racemic_iv", at=timezone.now())


def test_countersigning_twice_is_refused(client_for, world):
    nurse = client_for("nurse")
    url = f"/api/v1/treatment/consent-signatures/{world['sigid']}/countersign"
    assert call(nurse, "post", url)[0] == 200
    status, body = call(nurse, "post", url)
    assert status == 409 and "already countersigned" in body["detail"]


def test_portal_shows_the_plan_appointments_and_instructions(world, portal, client_for):
    call(client_for("prescriber"), "post", f"/api/v1/treatment/orders/{world['oid']}/sign")
    call(
        client_for("prescriber"),
        "put",
        f"/api/v1/treatment/courses/{world['cid']}/aftercare",
        {"psychotherapy": "Integration session after each infusion"},
    )
    page = portal.get("/treatment/portal/").content.decode()
    assert "IV ketamine infusion" in page
    assert "41 mg IV" in page  # the signed order's dose
    assert "An adult must take you home" in page
    assert "Integration session after each infusion" in page
    assert "treatment 1" in page  # the booked appointment
    home = portal.get("/portal/").content.decode()
    assert "Your treatment plan" in home
