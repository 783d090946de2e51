"""The patients API: validation, no partial writes, audit of reads, token auth, search."""

from __future__ import annotations

import json

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.core.models import ApiToken
from ketacare.patients.models import IntakeVersion, Patient
from tests.conftest import intake_payload

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1990-01-02",
    "sex_at_birth": "female",
}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_registering_gives_sequential_mrns_and_audits_the_create(client_for, clinic):
    client = client_for("front_desk")
    first = post(client, "/api/v1/patients", NEW_PATIENT).json()
    second = post(client, "/api/v1/patients", NEW_PATIENT | {"first_name": "Bo"}).json()
    assert first["mrn"] == "HC000001" and second["mrn"] == "HC000002"
    entry = AuditEntry.objects.get(
        object_type="patient", object_id=str(first["id"]), action="create"
    )
    assert entry.actor_label.startswith("front_desk")
    assert entry.changes["last_name"] == {"before": None, "after": "Lee"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"sex_at_birth": "robot"}, "sex_at_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"unexpected": "x"}, "unexpected"),
    ],
)
def test_bad_patient_input_is_422_with_the_field_named_and_nothing_saved(client_for, change, field):
    response = post(client_for("front_desk"), "/api/v1/patients", NEW_PATIENT | change)
    assert response.status_code == 422
    assert any(key.endswith(field) for key in response.json()["fields"]), response.json()
    assert Patient.objects.count() == 0


def test_bad_intake_is_422_and_keeps_the_previous_version(client_for, patient, signed_intake):
    bad = intake_payload(baseline_vitals={"systolic_mmhg": 80, "diastolic_mmhg": 95})
    response = post(client_for("nurse"), f"/api/v1/patients/{patient.pk}/intake", bad)
    assert response.status_code == 422
    assert "diastolic" in json.dumps(response.json()["fields"])
    assert list(patient.intake_versions.values_list("number", "status")) == [(1, "signed")]


def test_unknown_is_kept_distinct_from_no(client_for, patient):
    payload = intake_payload()
    payload["conditions"]["pregnant"] = "unknown"
    payload["conditions"]["hypertension"] = "no"
    body = post(client_for("nurse"), f"/api/v1/patients/{patient.pk}/intake", payload).json()
    assert body["data"]["conditions"]["pregnant"] == "unknown"
    assert body["data"]["conditions"]["hypertension"] == "no"
    missing = intake_payload()
    del missing["conditions"]
    body = post(client_for("nurse"), f"/api/v1/patients/{patient.pk}/intake", missing).json()
    assert set(body["data"]["conditions"].values()) == {"unknown"}


def test_intake_computes_bmi_and_devine_ideal_body_weight(client_for, patient):
    post(
        client_for("nurse"),
        f"/api/v1/patients/{patient.pk}/intake",
        intake_payload(height_cm=163, weight_kg=80),
    )
    measures = client_for("nurse").get(f"/api/v1/patients/{patient.pk}/intake").json()["measures"]
    assert measures["bmi_kg_m2"] == 30.1  # 80 / 1.63²
    assert measures["ideal_body_weight_kg"] == 55.1  # female 163 cm, reference §1.3 example


def test_changes_make_new_versions_and_signing_is_once(client_for, patient, signed_intake):
    nurse, doctor = client_for("nurse"), client_for("prescriber")
    changed = intake_payload(weight_kg=79)
    v2 = post(nurse, f"/api/v1/patients/{patient.pk}/intake", changed).json()
    assert v2["number"] == 2 and v2["status"] == "submitted"
    v1 = IntakeVersion.objects.get(patient=patient, number=1)
    assert v1.status == "signed" and v1.data["weight_kg"] == 82  # untouched
    assert post(doctor, f"/api/v1/patients/{patient.pk}/intake/1/sign", {}).status_code == 409
    signed = post(
        doctor, f"/api/v1/patients/{patient.pk}/intake/2/sign", {"note": "reviewed"}
    ).json()
    assert signed["status"] == "signed" and signed["signed_by"].startswith("prescriber")
    again = post(doctor, f"/api/v1/patients/{patient.pk}/intake/2/sign", {})
    assert again.status_code == 409 and "already signed" in again.json()["detail"]


def test_superseded_version_cannot_be_signed(client_for, patient):
    nurse, doctor = client_for("nurse"), client_for("prescriber")
    post(nurse, f"/api/v1/patients/{patient.pk}/intake", intake_payload())
    post(nurse, f"/api/v1/patients/{patient.pk}/intake", intake_payload(weight_kg=70))
    response = post(doctor, f"/api/v1/patients/{patient.pk}/intake/1/sign", {})
    assert response.status_code == 409 and "superseded by version 2" in response.json()["detail"]


def test_api_reads_of_patient_data_are_audited(client_for, patient, signed_intake):
    nurse = client_for("nurse")
    before = AuditEntry.objects.filter(action="view").count()
    nurse.get(f"/api/v1/patients/{patient.pk}")
    nurse.get(f"/api/v1/patients/{patient.pk}/intake")
    nurse.get("/api/v1/patients?q=doe")
    views = AuditEntry.objects.filter(action="view").order_by("sequence")[before:]
    assert [v.object_type for v in views] == ["demographics", "intake", "patient_list"]
    assert views[2].changes["patient_ids"] == [patient.pk]


def test_search_by_name_birth_date_and_mrn_is_paginated(client_for, make_patient, clinic):
    import datetime as dt

    for n in range(30):
        make_patient(clinic, last_name=f"Rivera{n:02d}", first_name="Sam")
    special = make_patient(
        clinic, last_name="Okafor", first_name="Ada", date_of_birth=dt.date(1971, 2, 3)
    )
    client = client_for("front_desk")
    page1 = client.get("/api/v1/patients?q=rivera&page_size=25").json()
    assert page1["count"] == 30 and page1["pages"] == 2 and len(page1["results"]) == 25
    assert len(client.get("/api/v1/patients?q=rivera&page=2&page_size=25").json()["results"]) == 5
    assert [r["id"] for r in client.get("/api/v1/patients?q=okafor, ada").json()["results"]] == [
        special.pk
    ]
    assert [r["id"] for r in client.get("/api/v1/patients?q=1971-02-03").json()["results"]] == [
        special.pk
    ]
    assert [r["id"] for r in client.get("/api/v1/patients?q=02/03/1971").json()["results"]] == [
        special.pk
    ]
    assert [
        r["id"] for r in client.get(f"/api/v1/patients?q={special.mrn.lower()}").json()["results"]
    ] == [special.pk]
    assert client.get("/api/v1/patients?page=0").status_code == 422


def test_bearer_token_authenticates_and_a_revoked_one_does_not(client, staff, patient):
    from django.utils import timezone

    token_row, token = ApiToken.issue(user=staff["nurse"], name="script")
    ok = client.get(f"/api/v1/patients/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and ok.json()["mrn"] == patient.mrn
    token_row.revoked_at = timezone.now()
    token_row.save()
    assert (
        client.get(
            f"/api/v1/patients/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 401
    )
    assert client.get("/api/v1/patients", HTTP_AUTHORIZATION="Bearer kc_wrong").status_code == 401


def test_insurance_only_for_roles_that_handle_it(client_for, patient):
    assert (
        client_for("billing").get(f"/api/v1/patients/{patient.pk}").json()["insurance"] is not None
    )
    assert client_for("nurse").get(f"/api/v1/patients/{patient.pk}").json()["insurance"] is None


def test_openapi_schema_is_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/patients" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200
