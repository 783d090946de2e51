"""Search parameters, table-driven: each row is a query and the number of resources it must
find in the world of conftest (a second patient with one PHQ-9 of their own keeps ``patient``
honest). PHQ-9 totals: 2025-02-24, 2025-03-10 and 2025-03-17 at 15:00 UTC (10:00 or 11:00 in
New York), each entered five minutes later."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.fhir.conftest import T0, _respond, validated

pytestmark = pytest.mark.django_db

PHQ9 = "http://loinc.org|44261-6"


@pytest.fixture
def searching(world, make_patient, clinic, token_for, fhir_get, django_capture_on_commit_callbacks):
    other = make_patient(clinic, first_name="Zed", last_name="Other", sex_at_birth="male",
                         date_of_birth=dt.date(1970, 1, 2))
    with django_capture_on_commit_callbacks(execute=True):
        _respond(other, "phq9", [0] * 9, T0 + dt.timedelta(days=3))
    token = token_for("medical_director")

    def search(kind: str, **query):
        def filled(value: str) -> str:
            return value.format(patient=world.patient.pk, mrn=world.patient.mrn,
                                session=world.session.pk)

        query = {key: [filled(v) for v in value] if isinstance(value, list) else filled(value)
                 for key, value in query.items()}
        return fhir_get(kind, token, **query)

    return search


CASES = [
    # _id
    ("Patient", {"_id": "{patient}"}, 1),
    ("Patient", {"_id": "999999"}, 0),
    ("Patient", {"_id": "not-a-number"}, 0),
    # strings, tokens, dates of the registry
    ("Patient", {}, 2),
    ("Patient", {"name": "doe"}, 1),
    ("Patient", {"family": "Oth"}, 1),
    ("Patient", {"given": "Zed"}, 1),
    ("Patient", {"name:exact": "Doe"}, 1),
    ("Patient", {"birthdate": "1985-04-12"}, 1),
    ("Patient", {"birthdate": "ge1980"}, 1),
    ("Patient", {"birthdate": "lt1980-01-01"}, 1),
    ("Patient", {"gender": "male"}, 1),
    ("Patient", {"gender": "http://hl7.org/fhir/administrative-gender|female"}, 1),
    ("Patient", {"identifier": "{mrn}"}, 1),
    ("Patient", {"active": "true"}, 2),
    # code: system|code, code alone, another system, several values (OR)
    ("Observation", {"code": PHQ9}, 4),
    ("Observation", {"code": "44261-6"}, 4),
    ("Observation", {"code": "http://snomed.info/sct|44261-6"}, 0),
    ("Observation", {"code": f"{PHQ9},http://loinc.org|70274-6"}, 5),
    ("Observation", {"code": "urn:ketacare:codesystem:instrument|cadss6"}, 1),
    # patient and subject, as Type/id or id
    ("Observation", {"code": PHQ9, "patient": "Patient/{patient}"}, 3),
    ("Observation", {"code": PHQ9, "subject": "{patient}"}, 3),
    ("Observation", {"code": PHQ9, "patient": "Patient/999999"}, 0),
    ("Observation", {"code": PHQ9, "subject:Patient": "{patient}"}, 3),
    # date with every prefix (a day is the clinic's day)
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "2025-03-10"}, 1),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "eq2025-03"}, 2),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "ne2025-03-10"}, 2),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "lt2025-03-10"}, 1),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "le2025-03-10"}, 2),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "gt2025-03-10"}, 1),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "ge2025-03-10"}, 2),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "sa2025-03-10"}, 1),
    ("Observation", {"code": PHQ9, "patient": "{patient}", "date": "eb2025-03-10"}, 1),
    ("Observation", {"code": PHQ9, "date": "ge2025-03-10T15:00:00Z"}, 2),
    ("Observation", {"code": PHQ9, "date": "gt2025-03-10T15:00:00Z"}, 1),
    # two date parameters: a range
    ("Observation", {"code": PHQ9, "date": ["ge2025-03-01", "lt2025-03-15"]}, 2),
    # _lastUpdated (entered five minutes after completion)
    ("Observation", {"code": PHQ9, "_lastUpdated": "gt2025-03-10T15:01:00Z"}, 2),
    ("Observation", {"code": PHQ9, "_lastUpdated": "lt2025-02-25"}, 1),
    # category and encounter
    ("Observation", {"category": "vital-signs", "encounter": "Encounter/{session}"}, 14),
    ("Observation", {"category": "survey", "patient": "{patient}"}, 7),
    # status
    ("Encounter", {"status": "finished"}, 1),
    ("Encounter", {"status": "planned"}, 0),
    ("Procedure", {"status": "completed"}, 1),
    ("MedicationRequest", {"status": "active"}, 1),
    ("MedicationRequest", {"status": "cancelled"}, 0),
    ("Consent", {"status": "active", "patient": "{patient}"}, 1),
    ("Flag", {"status": "active"}, 1),
    ("Flag", {"status": "inactive"}, 0),
    ("Appointment", {"status": "booked", "patient": "{patient}"}, 1),
    ("CarePlan", {"status": "active"}, 1),
    ("Condition", {"code": "http://hl7.org/fhir/sid/icd-10-cm|F33.2"}, 1),
    ("Condition", {"code": "http://hl7.org/fhir/sid/icd-10-cm|F32.0"}, 0),
    ("Condition", {"category": "problem-list-item"}, 1),
    ("AllergyIntolerance", {"patient": "{patient}"}, 1),
    ("MedicationStatement", {"status": "active", "subject": "{patient}"}, 1),
    ("AdverseEvent", {"severity": "mild"}, 1),
    ("AdverseEvent", {"date": "2025-03-03"}, 1),
    ("QuestionnaireResponse", {"questionnaire": "urn:ketacare:questionnaire:phq9"}, 4),
]


@pytest.mark.parametrize("kind, query, expected", CASES,
                         ids=[f"{k}?{'&'.join(f'{n}={v}' for n, v in q.items())}"
                              for k, q, _ in CASES])
def test_search_parameters_find_what_they_name(searching, kind, query, expected):
    response = searching(kind, **query)
    assert response.status_code == 200, response.json()
    body = response.json()
    matches = [e for e in body.get("entry", []) if e["search"]["mode"] == "match"]
    assert body["total"] == len(matches) == expected


def test_pages_link_to_each_other_and_cover_every_match(searching):
    response = searching("Observation", code=PHQ9, _count="1")
    body = response.json()
    seen = []
    while True:
        validated(body)
        seen += [e["resource"]["id"] for e in body.get("entry", [])]
        links = {link["relation"]: link["url"] for link in body["link"]}
        assert "first" in links and "last" in links
        if "next" not in links:
            break
        path = links["next"].split("/fhir/r4/", 1)[1]
        kind, _, query = path.partition("?")
        from django.http import QueryDict

        body = searching(kind, **{k: v[-1] for k, v in QueryDict(query).lists()}).json()
        assert body["total"] == 4
    assert len(seen) == len(set(seen)) == 4


def test_summary_count_answers_the_total_alone(searching):
    body = searching("Observation", code=PHQ9, _summary="count").json()
    assert body["total"] == 4 and "entry" not in body


def test_include_brings_the_patient_once(searching):
    body = searching("Observation", code=PHQ9, patient="{patient}",
                     _include="Observation:patient").json()
    included = [e for e in body["entry"] if e["search"]["mode"] == "include"]
    assert [e["resource"]["resourceType"] for e in included] == ["Patient"]
    body = searching("MedicationRequest", _include="MedicationRequest:requester").json()
    assert {e["resource"]["resourceType"] for e in body["entry"]} == {
        "MedicationRequest", "Practitioner"}


@pytest.mark.parametrize(
    "kind, query, names",
    [
        ("Observation", {"date": "2025-13-01"}, "date"),
        ("Observation", {"date": "ap2025-03-01"}, "date"),
        ("Observation", {"code": "|"}, "code"),
        ("Patient", {"_count": "many"}, "_count"),
        ("Patient", {"_count": "5000"}, "_count"),
        ("Patient", {"name:sounds": "doe"}, "name"),
        ("Patient", {"_include": "Patient:nothing"}, "_include"),
        ("Patient", {"_format": "xml"}, "_format"),
    ],
)
def test_a_value_that_cannot_be_read_is_a_400_operation_outcome(searching, kind, query, names):
    response = searching(kind, **query)
    assert response.status_code == 400
    outcome = validated(response.json())
    assert outcome.issue[0].severity == "error" and names in outcome.issue[0].diagnostics


def test_unknown_parameters_are_reported_or_refused_when_strict(searching, fhir_get, token_for):
    body = searching("Patient", shoe_size="44").json()
    assert body["total"] == 2
    outcome = [e for e in body["entry"] if e["search"]["mode"] == "outcome"]
    assert "shoe_size" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    strict = fhir_get("Patient", token_for("nurse"), headers={"Prefer": "handling=strict"},
                      shoe_size="44")
    assert strict.status_code == 400
