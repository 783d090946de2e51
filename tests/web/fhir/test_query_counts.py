"""A page of resources costs the same number of queries however many it holds: related rows are
joined or prefetched with the page, never read one row at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.web.fhir.conftest import T0, _signed_session

pytestmark = pytest.mark.django_db

TYPES = ("Encounter", "Procedure", "MedicationAdministration", "MedicationRequest", "CarePlan",
         "Consent", "Appointment", "AdverseEvent", "Observation", "QuestionnaireResponse",
         "Flag", "Patient", "Condition", "Practitioner", "PractitionerRole", "Location")


def queries(fhir_get, token, kind) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fhir_get(kind, token, _count="200")
    assert response.status_code == 200
    return len(captured)


def test_a_page_costs_the_same_queries_for_one_session_or_three(
    world, make_booking, nurse_origin, token_for, fhir_get
):
    token = token_for("medical_director")
    fhir_get("Organization", token)  # the token's last use is written at most once a minute
    before = {kind: queries(fhir_get, token, kind) for kind in TYPES}
    for days in (1, 2):
        later = T0 + dt.timedelta(days=days)
        booking = make_booking(world.patient, starts_at=later - dt.timedelta(minutes=30))
        _signed_session(booking, nurse_origin, t0=later)
    after = {kind: queries(fhir_get, token, kind) for kind in TYPES}
    assert after == before
