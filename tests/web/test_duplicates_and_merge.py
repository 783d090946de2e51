"""The duplicate-patient rule over the pages and the API, and merging two records of one person
(audited, undone by addendum, nothing lost)."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.patients.models import IntakeVersion, Patient, PatientMerge

pytestmark = pytest.mark.django_db

JANE = {
    "first_name": "jane",  # any case
    "last_name": "DOE",
    "date_of_birth": "1985-04-12",
    "sex_at_birth": "female",
}


def test_the_register_page_refuses_a_duplicate_and_links_to_it(client_for, patient):
    desk = client_for("front_desk")
    refused = desk.post("/patients/new/", JANE)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "This patient may already be registered" in page
    assert f'href="/patients/{patient.pk}/"' in page and patient.mrn in page
    assert "same name and date of birth" in page
    assert 'value="jane"' in page  # what was typed is kept
    assert Patient.objects.count() == 1

    allowed = desk.post("/patients/new/", JANE | {"allow_duplicate": "on"})
    assert allowed.status_code == 302
    assert Patient.objects.count() == 2
    entry = AuditEntry.objects.get(summary__startswith="Registered despite a likely duplicate")
    assert entry.changes["duplicate_of"] == [patient.pk]


@pytest.mark.parametrize(
    ("extra", "duplicate"),
    [
        ({"date_of_birth": "1990-01-01", "email": "JANE@example.com"}, True),  # same e-mail
        ({"date_of_birth": "1990-01-01", "phone": "555.010.1234"}, True),  # same phone
        ({"date_of_birth": "1990-01-01", "email": "other@example.com"}, False),
        ({"first_name": "Janet"}, False),  # another first name
    ],
)
def test_what_counts_as_a_duplicate(client_for, make_patient, clinic, extra, duplicate):
    make_patient(clinic, first_name="Jane", last_name="Doe", phone="(555) 010-1234")
    response = client_for("front_desk").post("/patients/new/", JANE | extra)
    assert (response.status_code == 409) is duplicate


def test_the_api_answers_409_naming_the_patient_unless_allowed(client_for, patient):
    api = client_for("front_desk")
    body = JANE | {"email": "jane@example.com"}
    refused = api.post("/api/v1/patients", body, content_type="application/json")
    assert refused.status_code == 409
    answer = refused.json()
    assert patient.mrn in answer["detail"] and "allow_duplicate" in answer["detail"]
    existing = answer["details"]["existing"][0]
    assert existing["id"] == patient.pk and existing["mrn"] == patient.mrn
    assert set(existing["matched_on"]) == {"date of birth", "e-mail"}

    allowed = api.post(
        "/api/v1/patients", body | {"allow_duplicate": True}, content_type="application/json"
    )
    assert allowed.status_code == 201
    assert AuditEntry.objects.filter(summary__startswith="Registered despite").count() == 1


def test_a_medical_director_merges_and_undoes_with_nothing_lost(
    client_for, make_patient, clinic, patient, signed_intake
):
    survivor = make_patient(
        clinic, first_name="Jane", last_name="Doe", email=None, allow_duplicate=True
    )
    duplicate = patient  # has the signed intake, an e-mail, and its registration history
    director = client_for("medical_director")

    unconfirmed = director.post(
        f"/patients/{survivor.pk}/merge/",
        {"duplicate_mrn": duplicate.mrn, "reason": "Registered twice"},
        follow=True,
    )
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    merged = director.post(
        f"/patients/{survivor.pk}/merge/",
        {"duplicate_mrn": duplicate.mrn, "reason": "Registered twice", "same_person": "on"},
    )
    assert merged.status_code == 302
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert survivor.email == "jane@example.com"  # a contact detail the survivor lacked
    assert IntakeVersion.objects.filter(patient=duplicate).count() == 1  # kept, not moved
    search = director.get("/patients/?q=doe", HTTP_HX_REQUEST="true").content.decode()
    assert survivor.mrn in search and duplicate.mrn not in search
    chart = director.get(f"/patients/{survivor.pk}/").content.decode()
    assert f"{duplicate.mrn}</a> merged into this record" in chart
    assert "Signed intake version 1" in chart  # the duplicate's history in the timeline
    banner = director.get(f"/patients/{duplicate.pk}/").content.decode()
    assert "Merged into" in banner and "Registered twice" in banner

    merge = PatientMerge.objects.get()
    no_reason = director.post(f"/patients/merges/{merge.pk}/undo/", {"undo_reason": ""})
    assert no_reason.status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is None
    undone = director.post(
        f"/patients/merges/{merge.pk}/undo/", {"undo_reason": "Twins, not one person"}
    )
    assert undone.status_code == 302
    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    merge.refresh_from_db()
    assert duplicate.merged_into is None and survivor.email == ""
    assert merge.undo_reason == "Twins, not one person"  # an addendum: the merge row stays
    summaries = list(
        AuditEntry.objects.filter(object_type="patient_merge").values_list("summary", flat=True)
    )
    assert len(summaries) == 4 and any("Undid the merge" in s for s in summaries)


def test_only_a_medical_director_merges(client_for, make_patient, clinic, patient):
    other = make_patient(clinic, first_name="Jane", last_name="Doe", allow_duplicate=True)
    for role in ("prescriber", "nurse", "front_desk", "clinic_admin"):
        response = client_for(role).post(
            f"/patients/{other.pk}/merge/",
            {"duplicate_mrn": patient.mrn, "reason": "x", "same_person": "on"},
        )
        assert response.status_code == 403, role
    assert not PatientMerge.objects.exists()


def test_merge_refusals(client_for, make_patient, clinic, other_clinic, patient):
    director = client_for("medical_director")
    itself = director.post(
        f"/patients/{patient.pk}/merge/",
        {"duplicate_mrn": patient.mrn, "reason": "x", "same_person": "on"},
        follow=True,
    )
    assert "cannot be merged into itself" in itself.content.decode()
    elsewhere = make_patient(other_clinic, first_name="Jane", last_name="Doe")
    unknown = director.post(
        f"/patients/{patient.pk}/merge/",
        {"duplicate_mrn": elsewhere.mrn, "reason": "x", "same_person": "on"},
        follow=True,
    )
    assert "No patient with MRN" in unknown.content.decode()
    assert not PatientMerge.objects.exists()
