"""Reads of the registry and of the audit trail itself, and refused attempts, are audited."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _newest(**filters) -> AuditEntry:
    return AuditEntry.objects.filter(**filters).latest("sequence")


def test_the_registry_search_page_is_audited(client_for, patient):
    client_for("front_desk").get("/patients/?q=Doe")

    entry = _newest(object_type="patient_list")
    assert entry.action == "view" and entry.clinic_id == patient.clinic_id
    assert entry.changes == {"query": "Doe", "patient_ids": [patient.pk]}
    assert entry.summary == "Listed 1 patients on the registry page"


def test_reading_the_audit_trail_is_audited(client_for, patient):
    director = client_for("medical_director")

    director.get("/audit/?q=Registered&since=2020-01-01")
    director.get("/api/v1/audit?q=Registered")

    page, api = AuditEntry.objects.filter(object_type="audit_log").order_by("sequence")
    assert page.changes == {"q": "Registered", "since": "2020-01-01"}
    assert page.summary.startswith("Searched the audit trail (page, ")
    assert api.changes == {"q": "Registered"} and "(API, " in api.summary


def test_another_clinics_patient_through_the_api_is_refused_and_audited(
    client_for, make_patient, other_clinic
):
    elsewhere = make_patient(other_clinic)
    nurse = client_for("nurse")

    response = nurse.get(f"/api/v1/patients/{elsewhere.pk}")

    assert response.status_code == 404
    entry = _newest(action="denied")
    assert entry.changes == {
        "method": "GET",
        "path": f"/api/v1/patients/{elsewhere.pk}",
        "status": 404,
    }
    assert entry.actor_label.startswith("nurse") and entry.clinic_id != other_clinic.pk


def test_another_clinics_chart_page_is_refused_and_audited(client_for, make_patient, other_clinic):
    elsewhere = make_patient(other_clinic)

    response = client_for("prescriber").get(f"/patients/{elsewhere.pk}/")

    assert response.status_code == 404
    assert _newest(action="denied").changes["path"] == f"/patients/{elsewhere.pk}/"


def test_an_action_the_role_may_not_take_is_audited(client_for, patient):
    response = client_for("front_desk").get(f"/api/v1/patients/{patient.pk}/intake")

    assert response.status_code == 403
    entry = _newest(action="denied")
    assert entry.changes["status"] == 403 and "chart.view" in entry.summary


def test_anonymous_requests_are_not_recorded_as_refusals(db):
    assert Client().get("/api/v1/patients/1").status_code == 401
    assert not AuditEntry.objects.filter(action="denied").exists()


def test_a_pages_reads_are_appended_together_before_it_answers(
    client_for, patient, signed_intake, monkeypatch
):
    from ketacare.audit import batch

    appended: list[list[AuditEntry]] = []
    real = batch.append_all

    def recording(entries):
        appended.append(list(entries))
        real(entries)

    monkeypatch.setattr(batch, "append_all", recording)
    response = client_for("prescriber").get(f"/patients/{patient.pk}/")

    assert response.status_code == 200
    (reads,) = appended  # one append for the whole page
    assert len(reads) >= 2 and {e.action for e in reads} == {"view"}
    stored = AuditEntry.objects.filter(pk__in=[e.pk for e in reads])
    assert stored.count() == len(reads)  # in the trail by the time the page is served
    positions = sorted(stored.values_list("position", flat=True))
    assert positions == list(range(positions[0], positions[0] + len(reads)))  # one run


def test_a_read_is_not_served_when_its_entry_cannot_be_appended(client_for, patient, monkeypatch):
    from django.db import DatabaseError

    from ketacare.audit import batch

    def failing(entry, **_):
        raise DatabaseError("the audit table is not writable")

    monkeypatch.setattr(batch, "append", failing)
    prescriber = client_for("prescriber")
    prescriber.raise_request_exception = False

    response = prescriber.get(f"/patients/{patient.pk}/")

    assert response.status_code == 500
    assert patient.last_name.encode() not in response.content


def test_a_read_outside_a_request_is_appended_at_once(patient):
    from ketacare.audit.services import RequestOrigin, audit_record

    entry = audit_record(
        origin=RequestOrigin.system("test"), action="view", object_type="patient", patient=patient
    )
    assert entry.pk is not None and AuditEntry.objects.filter(pk=entry.pk).exists()
