"""Who reads what: metadata is public; everything else needs a bearer token with a SMART scope or
the session; roles decide the types (front desk reads no clinical resource: 403), the clinic in
use decides the records (another clinic's: 404), a patient's own token reads their own record;
every read is audited, every refusal too."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.fhir.registry import resource_types
from tests.web.fhir.conftest import validated

pytestmark = pytest.mark.django_db

# Everything but the registry, the bookings and the directory.
CLINICAL = sorted(name for name, kind in resource_types().items()
                  if kind.capability not in (None, "patient.list", "schedule.view"))


def outcome_of(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return validated(response.json())


def test_metadata_answers_without_sign_in(client):
    response = client.get("/fhir/r4/metadata")
    statement = validated(response.json())
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    assert response["Content-Type"].startswith("application/fhir+json")


def test_no_credentials_is_a_401_with_a_bearer_challenge(client, world):
    response = client.get(f"/fhir/r4/Patient/{world.patient.pk}")
    outcome = outcome_of(response, 401)
    assert outcome.issue[0].code == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_a_401(fhir_get, world):
    outcome_of(fhir_get("Patient", "kc_not-a-token"), 401)


def test_a_token_without_a_fhir_scope_is_refused(token_for, fhir_get, world):
    outcome_of(fhir_get("Patient", token_for("nurse", "read")), 403)


@pytest.mark.parametrize("kind", CLINICAL)
def test_front_desk_reads_no_clinical_resource(token_for, fhir_get, world, kind):
    token = token_for("front_desk")
    outcome = outcome_of(fhir_get(kind, token), 403)
    assert outcome.issue[0].code == "forbidden"
    assert fhir_get("Patient", token).status_code == 200


def test_billing_reads_no_observation(token_for, fhir_get, world):
    outcome_of(fhir_get("Observation", token_for("billing")), 403)


def test_another_clinics_resource_is_not_found(make_staff, other_clinic, fhir_get, world):
    from ketacare.core.models import ApiToken

    stranger = make_staff("medical_director", other_clinic)
    token = ApiToken.issue(user=stranger, name="x", scopes=("user/*.read",))[1]
    outcome_of(fhir_get(f"Patient/{world.patient.pk}", token), 404)
    outcome_of(fhir_get(f"Encounter/{world.session.pk}", token), 404)
    assert fhir_get("Observation", token).json()["total"] == 0
    assert AuditEntry.objects.filter(action="denied", actor=stranger).count() == 2


def test_an_unknown_type_is_a_404_outcome(token_for, fhir_get, world):
    outcome_of(fhir_get("Spaceship", token_for("nurse")), 404)


def test_writes_are_refused_as_not_supported(client, token_for, world):
    token = token_for("nurse")
    response = client.post("/fhir/r4/Patient", {}, HTTP_AUTHORIZATION=f"Bearer {token}")
    outcome_of(response, 405)


def test_staff_may_read_with_the_browser_session(client_for, world):
    response = client_for("nurse").get("/fhir/r4/Observation", {"code": "http://loinc.org|44261-6"})
    assert response.status_code == 200 and response.json()["total"] == 3


def test_a_patient_token_reads_only_that_patients_record(
    portal_token, fhir_get, world, make_patient, clinic
):
    other = make_patient(clinic, first_name="Zed", last_name="Other")
    patients = fhir_get("Patient", portal_token).json()
    assert [e["resource"]["id"] for e in patients["entry"]] == [str(world.patient.pk)]
    outcome_of(fhir_get(f"Patient/{other.pk}", portal_token), 404)
    phq9 = fhir_get("Observation", portal_token, code="http://loinc.org|44261-6").json()
    assert phq9["total"] == 3
    outcome_of(fhir_get("Flag", portal_token), 403)  # the staff's work list


def test_a_staff_token_with_only_patient_scope_is_refused(token_for, fhir_get, world):
    outcome_of(fhir_get("Patient", token_for("nurse", "patient/*.read")), 403)


def test_reads_and_searches_are_audited_with_the_patient(token_for, fhir_get, world, staff):
    token = token_for("nurse")
    fhir_get(f"Observation/score-{world.responses[0].pk}", token)
    fhir_get("Observation", token, patient=str(world.patient.pk))
    entries = AuditEntry.objects.filter(actor=staff["nurse"], object_type="fhir.Observation")
    assert entries.count() == 2
    assert set(entries.values_list("patient_id", flat=True)) == {world.patient.pk}
    assert all(entry.action == "view" for entry in entries)


def test_a_search_over_many_patients_lists_them_in_its_audit_entry(
    token_for, fhir_get, world, make_patient, clinic, staff
):
    other = make_patient(clinic, first_name="Zed", last_name="Other")
    fhir_get("Patient", token_for("front_desk"))
    entry = AuditEntry.objects.get(actor=staff["front_desk"], object_type="fhir.Patient")
    assert sorted(entry.changes["patient_ids"]) == sorted([world.patient.pk, other.pk])


@pytest.mark.parametrize("path", ["Patient/1/_history", "Patient/1/_history/1", "Patient/",
                                  "Patient/1/Observation"])
def test_interactions_not_offered_answer_an_outcome(token_for, fhir_get, path):
    outcome_of(fhir_get(path, token_for("nurse")), 404)
