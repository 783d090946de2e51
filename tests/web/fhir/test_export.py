"""Bulk Data export end to end: kick-off (202 + Content-Location), status (202 while it runs,
then the manifest), NDJSON files whose every line is valid R4, expiry; who may export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketacare.fhir.models import ExportJob
from tests.web.fhir.conftest import validated

pytestmark = pytest.mark.django_db
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    settings.FHIR_EXPORT_IN_THREAD = False  # the queue is run by the command below
    return settings.FHIR_EXPORT_DIR


@pytest.fixture
def director_token(token_for):
    return token_for("medical_director", "system/*.read")


def kick_off(fhir_get, token, path="$export", **query):
    response = fhir_get(path, token, headers=ASYNC, **query)
    assert response.status_code == 202, response.content
    return response["Content-Location"].split("/fhir/r4/", 1)[1]


def download(client, token, url) -> list[dict]:
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()]


def test_system_export_runs_in_the_background_and_its_files_validate(
    world, director_token, fhir_get, client
):
    status_path = kick_off(fhir_get, director_token)
    pending = fhir_get(status_path, director_token)
    assert pending.status_code == 202 and pending["X-Progress"] and pending["Retry-After"]
    call_command("fhir_export", "run")
    done = fhir_get(status_path, director_token)
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    types = {out["type"]: out for out in manifest["output"]}
    assert {"Patient", "Observation", "Encounter", "Practitioner", "Location"} <= set(types)
    for out in manifest["output"]:
        lines = download(client, director_token, out["url"])
        assert len(lines) == out["count"] > 0
        for resource in lines:
            assert resource["resourceType"] == out["type"]
            validated(resource)
    patients = download(client, director_token, types["Patient"]["url"])
    assert [p["id"] for p in patients] == [str(world.patient.pk)]


def test_patient_export_holds_only_the_patient_compartment_and_honours_type_and_since(
    world, director_token, fhir_get
):
    status_path = kick_off(fhir_get, director_token, "Patient/$export",
                           _type="Patient,QuestionnaireResponse", _since="2025-03-09T00:00:00Z")
    call_command("fhir_export", "run")
    manifest = fhir_get(status_path, director_token).json()
    counts = {out["type"]: out["count"] for out in manifest["output"]}
    assert set(counts) <= {"Patient", "QuestionnaireResponse"}
    assert counts["QuestionnaireResponse"] == 2  # the PHQ-9s entered after 9 March


def test_group_export_of_all_patients(world, director_token, fhir_get):
    status_path = kick_off(fhir_get, director_token, "Group/all/$export", _type="Patient")
    call_command("fhir_export", "run")
    manifest = fhir_get(status_path, director_token).json()
    assert manifest["output"][0]["count"] == 1
    assert fhir_get("Group/nobody/$export", director_token, headers=ASYNC).status_code == 404


def test_files_expire_and_are_deleted(world, director_token, fhir_get, client, export_dir):
    status_path = kick_off(fhir_get, director_token)
    call_command("fhir_export", "run")
    manifest = fhir_get(status_path, director_token).json()
    job = ExportJob.objects.get()
    assert job.expires_at > timezone.now()
    ExportJob.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert fhir_get(status_path, director_token).status_code == 404
    url = manifest["output"][0]["url"]
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {director_token}").status_code == 404
    assert not (export_dir / str(job.pk)).exists()
    assert ExportJob.objects.get().status == ExportJob.Status.EXPIRED


def test_a_cancelled_export_is_gone(world, director_token, fhir_get, client):
    status_path = kick_off(fhir_get, director_token)
    response = client.delete(f"/fhir/r4/{status_path}",
                             HTTP_AUTHORIZATION=f"Bearer {director_token}")
    assert response.status_code == 202
    call_command("fhir_export", "run")
    assert fhir_get(status_path, director_token).status_code == 404


def test_kick_off_needs_prefer_respond_async(world, director_token, fhir_get):
    response = fhir_get("$export", director_token)
    assert response.status_code == 400
    assert "respond-async" in validated(response.json()).issue[0].diagnostics


@pytest.mark.parametrize(
    "role, scopes",
    [("nurse", ("system/*.read",)), ("prescriber", ("system/*.read",)),
     ("medical_director", ("user/*.read",))],
)
def test_only_a_medical_director_with_system_scope_exports(world, token_for, fhir_get, role,
                                                           scopes):
    response = fhir_get("$export", token_for(role, *scopes), headers=ASYNC)
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_only_the_requester_polls_their_export(world, director_token, fhir_get, make_staff,
                                               clinic):
    from ketacare.core.models import ApiToken

    status_path = kick_off(fhir_get, director_token)
    colleague = make_staff("medical_director", clinic)
    token = ApiToken.issue(user=colleague, name="x", scopes=("system/*.read",))[1]
    assert fhir_get(status_path, token).status_code == 404


def test_a_requester_who_lost_the_role_gets_a_failed_export(world, director_token, fhir_get,
                                                            staff):
    status_path = kick_off(fhir_get, director_token)
    staff["medical_director"].memberships.update(active=False)
    call_command("fhir_export", "run")
    assert ExportJob.objects.get().status == ExportJob.Status.FAILED
    assert fhir_get(status_path, director_token).status_code in (401, 403, 500)


@pytest.mark.django_db(transaction=True)
def test_by_default_the_export_runs_in_a_thread_after_the_kick_off(
    world, director_token, fhir_get, settings
):
    import threading

    settings.FHIR_EXPORT_IN_THREAD = True
    status_path = kick_off(fhir_get, director_token, _type="Patient")
    job = ExportJob.objects.get()
    runner = next((t for t in threading.enumerate() if t.name == f"fhir-export-{job.pk}"), None)
    if runner is not None:  # None: it has finished already
        runner.join(timeout=120)  # waits for the thread itself, not for a guessed time
        assert not runner.is_alive()
    manifest = fhir_get(status_path, director_token).json()
    assert manifest["output"][0]["count"] == 1


def test_a_stalled_run_is_queued_again_and_finishes(world, director_token, fhir_get, client):
    status_path = kick_off(fhir_get, director_token, _type="Patient,Observation")
    ExportJob.objects.update(status=ExportJob.Status.RUNNING, attempt=1,
                             heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    assert fhir_get(status_path, director_token).status_code == 202
    assert ExportJob.objects.get().status == ExportJob.Status.QUEUED
    call_command("fhir_export", "run")
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.COMPLETED and job.attempt == 2
    manifest = fhir_get(status_path, director_token).json()
    assert all(download(client, director_token, out["url"]) for out in manifest["output"])


def test_a_run_taken_over_stops_and_leaves_no_files(world, director_token, fhir_get,
                                                    monkeypatch, export_dir):
    from ketacare.fhir import export

    kick_off(fhir_get, director_token, _type="Observation")
    job = ExportJob.objects.get()
    monkeypatch.setattr(export, "CHUNK_ROWS", 1)  # a beat after every resource
    calls = []

    def clock():
        calls.append(1)
        if len(calls) == 4:  # meanwhile the run was declared stale and queued again
            ExportJob.objects.update(status=ExportJob.Status.QUEUED)
        return timezone.now()

    export.export_job_run(job_id=job.pk, clock=clock)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED and job.error == ""
    assert not (export_dir / str(job.pk) / "1").exists()
