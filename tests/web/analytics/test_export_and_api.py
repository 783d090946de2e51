"""The de-identified export, the API and the dashboard give the same figures, and nothing that
identifies a patient leaves in the export."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ketacare.analytics.engine import open_export
from ketacare.analytics.figures import outcome_row
from ketacare.analytics.models import Pseudonym
from ketacare.audit.models import AuditEntry
from ketacare.core.models import Clinic, User
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _identifiers() -> set[str]:
    found: set[str] = set()
    for p in Patient.objects.all():
        for value in (
            p.first_name,
            p.last_name,
            p.mrn,
            p.email,
            p.phone,
            p.address_line1,
            p.city,
            p.postal_code,
            p.date_of_birth.isoformat(),
            p.emergency_contact_name,
            p.emergency_contact_phone,
            p.insurance_member_id,
        ):
            if value and len(value) > 2:
                found.add(str(value).lower())
    return found


def _all_values(directory) -> list[str]:
    """Every text cell of the export (numbers are ids, minutes and scores: a minute count may
    equal a ZIP code by chance; no column holds a date or text of the person)."""
    import pyarrow as pa

    values = []
    for path in directory.rglob("*.parquet"):
        table = pq.read_table(path)
        for field, column in zip(table.schema, table.columns, strict=True):
            assert not pa.types.is_temporal(field.type), f"{path}: {field.name} is a date"
            if pa.types.is_string(field.type):
                values += [str(v).lower() for v in column.to_pylist() if v is not None]
    return values


@pytest.fixture
def demo(db):
    call_command("demo", patients=120, seed=5)


def test_the_export_is_de_identified_and_agrees_with_the_api_and_dashboard(demo, tmp_path):
    out = tmp_path / "export"
    call_command("analytics_export", deidentified=True, out=str(out))
    assert (out / "DATA_DICTIONARY.md").read_text().startswith("# Ketacare de-identified export")
    assert {p.name for p in out.iterdir() if p.is_dir()} == {
        "patients",
        "courses",
        "sessions",
        "observations",
        "adverse_events",
    }
    # No identifier of any demo patient appears in any column (exact cell values).
    identifiers = _identifiers()
    leaked = [v for v in _all_values(out) if v in identifiers]
    assert leaked == []
    # Surrogates are random, not database ids, and stable between exports.
    patients = pq.read_table(out / "patients").to_pydict()
    assert min(patients["patient_id"]) > 2**31
    assert not set(patients["patient_id"]) & set(Patient.objects.values_list("pk", flat=True))
    assert set(patients["sex"]) <= {"female", "male", "intersex", "unknown"}
    again = tmp_path / "again"
    call_command("analytics_export", deidentified=True, out=str(again))
    assert sorted(pq.read_table(again / "patients").column("patient_id").to_pylist()) == sorted(
        patients["patient_id"]
    )
    assert Pseudonym.objects.filter(kind="patient").count() == Patient.objects.count()
    assert AuditEntry.objects.filter(object_type="analytics_export", action="export").exists()

    # The same figures from the export, the API and the dashboard (the first clinic's).
    clinic = Clinic.objects.order_by("pk").first()
    one = tmp_path / "one"
    call_command("analytics_export", deidentified=True, out=str(one), clinic=[clinic.slug])
    (exported,) = open_export(one).outcomes(instrument="phq9")
    shown = outcome_row(exported)  # small cells hidden exactly as on shared views
    director = _signed_in("director")
    body = director.get("/api/v1/analytics/outcomes?instrument=phq9").json()
    assert body["patients"] == exported.counts.patients > 11
    assert body["evaluable"] == exported.response.denominator
    assert body["responders"] == shown["responders"]
    assert body["remitters"] == shown["remitters"]
    if shown["response_rate"] is not None:
        assert body["response_rate"] == pytest.approx(exported.response.rate, abs=1e-3)
        assert body["response_ci"]["low"] == pytest.approx(exported.response.ci_low, abs=1e-3)
    assert "at least 50 % below baseline" in body["definitions"]["response"]
    page = director.get("/analytics/?instrument=phq9").content.decode()
    if shown["response_rate"] is not None:
        assert f"{shown['response_rate']} %" in page
    sheet = director.get("/analytics/outcomes.csv?instrument=phq9").content.decode()
    first = next(csv.DictReader(io.StringIO(sheet)))
    assert first["patients"] == str(exported.counts.patients)
    assert first["responders"] == ("" if shown["responders"] is None else str(shown["responders"]))


def test_the_identified_export_is_for_a_medical_director_and_audited(demo, tmp_path):
    with pytest.raises(CommandError, match="medical director"):
        call_command("analytics_export", identified=True, out=str(tmp_path / "a"), by="nurse")
    call_command("analytics_export", identified=True, out=str(tmp_path / "b"), by="network")
    identities = pq.read_table(tmp_path / "b" / "identities").to_pydict()
    assert set(identities["mrn"]) == set(Patient.objects.values_list("mrn", flat=True))
    entry = AuditEntry.objects.filter(object_type="analytics_export").latest("sequence")
    assert "IDENTIFIED" in entry.summary and entry.actor.username == "network"


def test_an_export_never_overwrites(demo, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("analytics_export", deidentified=True, out=str(tmp_path / "full"))


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("director", 200),
        ("prescriber", 200),
        ("network", 200),
        ("nurse", 403),
        ("frontdesk", 403),
        ("billing", 403),
        ("admin", 403),
    ],
)
def test_who_may_read_the_outcomes(demo, username, status):
    client = _signed_in(username)
    assert client.get("/api/v1/analytics/outcomes?instrument=phq9").status_code == status
    assert client.get("/analytics/").status_code == status


def test_a_network_director_sees_every_clinic_and_may_narrow_to_one(demo):
    network = _signed_in("network")
    clinics = list(Clinic.objects.order_by("pk"))
    whole = network.get("/api/v1/analytics/outcomes?instrument=phq9").json()
    assert sorted(whole["clinics"]) == sorted(c.pk for c in clinics)
    parts = [
        network.get(f"/api/v1/analytics/outcomes?instrument=phq9&clinic={c.pk}").json()
        for c in clinics
    ]
    assert sum(p["patients"] for p in parts) == whole["patients"]
    page = network.get("/analytics/").content.decode()
    assert "Response by clinic" in page
    director = _signed_in("director")
    other = clinics[1]
    assert director.get(f"/api/v1/analytics/outcomes?clinic={other.pk}").status_code == 404


def test_bad_questions_get_clear_answers(demo):
    director = _signed_in("director")
    bad = director.get("/api/v1/analytics/outcomes?instrument=bdi")
    assert bad.status_code == 422
    assert director.get("/api/v1/analytics/outcomes?route=intranasal").status_code == 422
    assert director.get("/analytics/?instrument=bdi").status_code == 422
