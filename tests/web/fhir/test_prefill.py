"""The small import: a Bundle of a Patient with Conditions, MedicationStatements and
AllergyIntolerances pre-fills a registration and an intake; nothing is saved until staff confirm
on the review page, which registers through the patients app."""

from __future__ import annotations

import copy
import json

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.fhir.models import PrefillDraft
from ketacare.patients.models import IntakeVersion, Patient

pytestmark = pytest.mark.django_db

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {
            "resourceType": "Patient", "id": "p1",
            "extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                           "valueCode": "F"}],
            "name": [{"use": "official", "family": "Rivera", "given": ["Ana", "Maria"]},
                     {"use": "usual", "given": ["Annie"]}],
            "gender": "female", "birthDate": "1979-11-23",
            "telecom": [{"system": "phone", "value": "(555) 010-7788"},
                        {"system": "email", "value": "ana@example.org"}],
            "address": [{"line": ["12 Elm St", "Apt 3"], "city": "Springfield", "state": "IL",
                         "postalCode": "62701"}],
        }},
        {"resource": {
            "resourceType": "Condition", "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": [{"system": ICD10, "code": "F33.1",
                                 "display": "Major depressive disorder, recurrent, moderate"}]},
        }},
        {"resource": {
            "resourceType": "Condition", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "35489007"}],
                     "text": "Depressive disorder"},
        }},
        {"resource": {
            "resourceType": "Condition", "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "resolved"}]},
            "code": {"coding": [{"system": ICD10, "code": "F41.1"}]},
        }},
        {"resource": {
            "resourceType": "MedicationStatement", "status": "active",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": "Sertraline 100 mg tablet"},
            "dosage": [{"text": "100 mg once daily"}],
        }},
        {"resource": {
            "resourceType": "MedicationStatement", "status": "stopped",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"text": "Bupropion"},
        }},
        {"resource": {
            "resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"},
            "code": {"text": "Penicillin"},
            "reaction": [{"manifestation": [{"text": "Hives"}]}],
        }},
        {"resource": {"resourceType": "Immunization", "status": "completed",
                      "vaccineCode": {"text": "Influenza"}, "patient": {"reference": "Patient/p1"},
                      "occurrenceDateTime": "2024-10-01"}},
    ],
}


@pytest.fixture
def write_token(token_for):
    return token_for("nurse", "write")


def post_bundle(client, token, bundle=BUNDLE):
    return client.post("/fhir/r4/$prefill", json.dumps(bundle),
                       content_type="application/fhir+json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_bundle_becomes_a_draft_and_nothing_else(client, clinic, write_token):
    response = post_bundle(client, write_token)
    assert response.status_code == 201, response.content
    draft = PrefillDraft.objects.get()
    assert response["Location"].endswith(f"/fhir/r4/prefill/{draft.pk}/")
    assert not Patient.objects.exists() and not IntakeVersion.objects.exists()
    assert draft.registration["first_name"] == "Ana"
    assert draft.registration["preferred_name"] == "Annie"
    assert draft.registration["sex_at_birth"] == "female"
    assert draft.registration["address_line2"] == "Apt 3"
    assert draft.intake["diagnoses"] == [
        {"code": "F33.1", "description": "Major depressive disorder, recurrent, moderate"}]
    assert [m["name"] for m in draft.intake["medications"]] == ["Sertraline 100 mg tablet"]
    assert draft.intake["allergies"] == [{"substance": "Penicillin", "reaction": "Hives"}]
    notes = " ".join(draft.notes)
    for left_out in ("Depressive disorder", "no longer active", "Bupropion", "Immunization"):
        assert left_out in notes
    warnings = [i for i in response.json()["issue"] if i["severity"] == "warning"]
    assert len(warnings) == len(draft.notes)


def test_staff_confirm_on_the_review_page_and_the_patient_is_registered(
    client, client_for, clinic, write_token
):
    post_bundle(client, write_token)
    draft = PrefillDraft.objects.get()
    nurse = client_for("nurse")
    page = nurse.get(f"/fhir/r4/prefill/{draft.pk}/")
    assert page.status_code == 200 and b"Rivera" in page.content
    form = {**draft.registration, "decision": "confirm", "diagnoses": ["0"], "medications": [],
            "allergies": ["0"], "first_name": "Ana-Maria"}
    response = nurse.post(f"/fhir/r4/prefill/{draft.pk}/", form)
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.first_name == "Ana-Maria" and patient.mrn
    version = IntakeVersion.objects.get(patient=patient)
    assert version.data["diagnoses"][0]["code"] == "F33.1"
    assert version.data["medications"] == [] and version.data["allergies"][0]["substance"]
    draft.refresh_from_db()
    assert draft.status == "confirmed" and draft.patient == patient
    again = nurse.post(f"/fhir/r4/prefill/{draft.pk}/", form)
    assert again.status_code == 409 and Patient.objects.count() == 1


def test_a_likely_duplicate_is_shown_not_registered(client, client_for, make_patient, clinic,
                                                    write_token):
    import datetime as dt

    make_patient(clinic, first_name="Ana", last_name="Rivera",
                 date_of_birth=dt.date(1979, 11, 23))
    post_bundle(client, write_token)
    draft = PrefillDraft.objects.get()
    form = {**draft.registration, "decision": "confirm"}
    response = client_for("nurse").post(f"/fhir/r4/prefill/{draft.pk}/", form)
    assert response.status_code == 409 and b"may already be registered" in response.content
    assert Patient.objects.count() == 1
    assert PrefillDraft.objects.get().status == "pending"


def test_discarding_deletes_the_details(client, client_for, clinic, write_token):
    post_bundle(client, write_token)
    draft = PrefillDraft.objects.get()
    client_for("prescriber").post(f"/fhir/r4/prefill/{draft.pk}/", {"decision": "discard"})
    draft.refresh_from_db()
    assert draft.status == "discarded" and draft.registration == {} and draft.intake == {}
    assert not Patient.objects.exists()
    assert AuditEntry.objects.filter(object_type="fhir.prefill").count() == 2


def test_staff_can_upload_a_bundle_on_the_page(client_for, clinic):
    response = client_for("nurse").post("/fhir/r4/prefill/", {"bundle": json.dumps(BUNDLE)})
    draft = PrefillDraft.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{draft.pk}/")


@pytest.mark.parametrize(
    "change, status",
    [
        (lambda b: b.update(resourceType="Patient"), 422),
        (lambda b: b["entry"].pop(0), 422),  # no Patient
        (lambda b: b["entry"][0]["resource"].update(birthDate="23/11/1979"), 422),  # not R4
        (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), 422),  # two patients
    ],
)
def test_a_bundle_that_cannot_be_read_is_refused_with_an_outcome(client, clinic, write_token,
                                                                change, status):
    bundle = copy.deepcopy(BUNDLE)
    change(bundle)
    response = post_bundle(client, write_token, bundle)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not PrefillDraft.objects.exists()


def test_who_may_send_a_bundle(client, clinic, token_for, make_staff, other_clinic):
    assert post_bundle(client, token_for("front_desk", "write")).status_code == 403
    assert post_bundle(client, token_for("nurse", "user/*.read")).status_code == 403
    assert post_bundle(client, None).status_code == 401
    response = client.post("/fhir/r4/$prefill", "not json", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token_for('nurse', 'write')}")
    assert response.status_code == 400


def test_another_clinic_cannot_open_the_draft(client, clinic, write_token, make_staff,
                                              other_clinic):
    from django.test import Client

    post_bundle(client, write_token)
    draft = PrefillDraft.objects.get()
    stranger = Client()
    stranger.force_login(make_staff("nurse", other_clinic))
    assert stranger.get(f"/fhir/r4/prefill/{draft.pk}/").status_code == 404
    desk = Client()
    desk.force_login(make_staff("front_desk", clinic))
    assert desk.get(f"/fhir/r4/prefill/{draft.pk}/").status_code == 403
