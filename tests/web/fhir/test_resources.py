"""Every resource type the server offers, searched and read back, parses with fhir.resources'
R4B class; the codes a client looks for are where it looks."""

from __future__ import annotations

import pytest

from ketacare.fhir.registry import resource_types
from tests.web.fhir.conftest import PHQ9_SERIES, validated

pytestmark = pytest.mark.django_db

TYPES = sorted(resource_types())


def entries(body: dict) -> list[dict]:
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.mark.parametrize("kind", TYPES)
def test_each_resource_type_is_valid_r4_in_search_and_read(world, token_for, fhir_get, kind):
    token = token_for("medical_director")
    response = fhir_get(kind, token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    validated(body)
    found = entries(body)
    assert body["total"] == len(found) > 0
    for resource in found:
        validated(resource)
        for inner in resource.get("contained", []):
            validated(inner)
    first = found[0]
    read = fhir_get(f"{kind}/{first['id']}", token)
    assert read.status_code == 200
    assert read.json() == first


def test_every_served_type_is_in_the_capability_statement(client):
    statement = client.get("/fhir/r4/metadata").json()
    validated(statement)
    listed = {r["type"] for r in statement["rest"][0]["resource"]}
    assert listed == set(TYPES)


def test_phq9_totals_are_loinc_44261_6_and_gad7_70274_6(world, token_for, fhir_get):
    token = token_for("nurse")
    phq9 = entries(fhir_get("Observation", token, code="http://loinc.org|44261-6").json())
    assert [o["valueInteger"] for o in phq9] == [total for _, _, total in PHQ9_SERIES]
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in phq9)
    gad7 = entries(fhir_get("Observation", token, code="http://loinc.org|70274-6").json())
    assert [o["valueInteger"] for o in gad7] == [7]


@pytest.mark.parametrize(
    "loinc, unit",
    [("8480-6", "mm[Hg]"), ("8462-4", "mm[Hg]"), ("8867-4", "/min"), ("9279-1", "/min"),
     ("59408-5", "%")],
)
def test_vital_signs_carry_the_profile_loinc_and_ucum(world, token_for, fhir_get, loinc, unit):
    body = fhir_get("Observation", token_for("nurse"), code=f"http://loinc.org|{loinc}").json()
    found = entries(body)
    assert found, loinc
    for observation in found:
        assert observation["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
        assert observation["valueQuantity"]["system"] == "http://unitsofmeasure.org"
        assert observation["valueQuantity"]["code"] == unit


def test_the_administration_gives_dose_route_rate_and_lot(world, token_for, fhir_get):
    body = fhir_get(f"MedicationAdministration/{world.session.pk}", token_for("nurse")).json()
    assert body["contained"][0]["batch"]["lotNumber"] == "LOT-1"
    assert body["dosage"]["dose"]["unit"] == "mg" and body["dosage"]["dose"]["value"] > 0
    assert body["dosage"]["route"]["text"]
    assert body["dosage"]["rateQuantity"]["code"] == "mL/h"


def test_intake_diagnoses_are_icd10cm_conditions(world, token_for, fhir_get):
    found = entries(fhir_get("Condition", token_for("prescriber")).json())
    assert found[0]["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F33.2",
        "display": "MDD, recurrent, severe",
    }
    assert found[0]["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_an_open_safety_alert_is_an_active_safety_flag(world, token_for, fhir_get):
    found = entries(fhir_get("Flag", token_for("nurse"), status="active", category="safety").json())
    assert found and all(f["subject"]["reference"] == f"Patient/{world.patient.pk}" for f in found)


def test_chairs_are_sub_locations_of_the_clinic(world, token_for, fhir_get, clinic):
    found = entries(fhir_get("Location", token_for("nurse"), partof=f"Location/clinic-{clinic.pk}")
                    .json())
    assert len(found) == 3
    assert all(loc["partOf"]["reference"] == f"Location/clinic-{clinic.pk}" for loc in found)


def test_the_fhir_doc_describes_every_type_the_server_offers():
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs" / "fhir.md").read_text(encoding="utf-8")
    missing = [kind for kind in TYPES if f"| `{kind}` |" not in text]
    assert not missing


def test_metadata_lists_the_export_and_prefill_operations(client):
    statement = client.get("/fhir/r4/metadata").json()
    names = {operation["name"] for operation in statement["rest"][0]["operation"]}
    assert names == {"export", "prefill"}


def test_phq9_items_are_named_by_their_loinc_codes(world, token_for, fhir_get):
    phq9 = world.responses[0]
    body = fhir_get(f"QuestionnaireResponse/{phq9.pk}", token_for("nurse")).json()
    # source: reference §4.5, PHQ-9 items 1-9 [S79][S80]
    assert [item["linkId"] for item in body["item"]] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
        "44260-8",
    ]
    assert [item["answer"][0]["valueInteger"] for item in body["item"]] == phq9.answers


def test_intake_weight_and_height_are_vital_signs(world, token_for, fhir_get):
    token = token_for("nurse")
    weight = entries(fhir_get("Observation", token, code="http://loinc.org|29463-7").json())
    height = entries(fhir_get("Observation", token, code="http://loinc.org|8302-2").json())
    assert [o["valueQuantity"]["value"] for o in weight] == [82]  # conftest intake_payload
    assert [(o["valueQuantity"]["value"], o["valueQuantity"]["code"]) for o in height] == [
        (178, "cm")]
    assert fhir_get(f"Observation/{weight[0]['id']}", token).json() == weight[0]
    assert not entries(fhir_get("Observation", token, code="http://loinc.org|29463-7",
                                encounter=f"Encounter/{world.session.pk}").json())
