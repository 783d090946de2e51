"""A real FHIR client against a real server: fhirpy's SyncFHIRClient talks HTTP to the server the
test starts on 127.0.0.1 (pytest-django's live_server), searches patients, reads a patient's
PHQ-9 series one page at a time by following the server's ``next`` links, and reads by id."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient

from tests.web.fhir.conftest import PHQ9_SERIES, validated

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fhir_client(live_server, world, token_for):
    assert "127.0.0.1" in live_server.url or "localhost" in live_server.url
    return SyncFHIRClient(
        f"{live_server.url}/fhir/r4",
        authorization=f"Bearer {token_for('nurse')}",
    )


def test_fhirpy_searches_patients_reads_a_phq9_series_and_pages(fhir_client, world):
    patients = fhir_client.resources("Patient").search(name="doe").fetch()
    assert [p["id"] for p in patients] == [str(world.patient.pk)]
    validated(patients[0].serialize())

    series = (
        fhir_client.resources("Observation")
        .search(patient=world.patient.pk, code="http://loinc.org|44261-6")
        .limit(1)  # one a page: fetch_all follows three pages
    )
    assert series.count() == len(PHQ9_SERIES)
    observations = series.fetch_all()
    assert [o["valueInteger"] for o in observations] == [total for _, _, total in PHQ9_SERIES]
    for observation in observations:
        validated(observation.serialize())
        assert observation["subject"]["reference"] == f"Patient/{world.patient.pk}"

    since = series.search(date="ge2025-03-10").fetch_all()
    assert [o["valueInteger"] for o in since] == [8, 2]

    read = fhir_client.reference("Patient", str(world.patient.pk)).to_resource()
    assert read["birthDate"] == "1985-04-12"
    first = fhir_client.reference("Observation", observations[0]["id"]).to_resource()
    assert first["code"]["coding"][0]["code"] == "44261-6"


def test_fhirpy_sees_the_refusal_of_a_front_desk_token(live_server, world, token_for):
    from fhirpy.base.exceptions import ForbiddenError

    client = SyncFHIRClient(f"{live_server.url}/fhir/r4",
                            authorization=f"Bearer {token_for('front_desk')}")
    with pytest.raises(ForbiddenError, match=r"chart\.view"):
        client.resources("Observation").fetch()
