"""ketacare backup / restore: a round trip keeps everything, and restoring an older backup is
detected against the audit anchors kept outside the database (a rollback, not the history)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.audit.models import AuditEntry
from ketacare.audit.verify import verify_trail
from ketacare.patients.models import Patient

# Real commits: the anchors are written after each one, and a restore replaces the database.
pytestmark = pytest.mark.django_db(transaction=True)


def _backup(path) -> str:
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    return out.getvalue()


def _restore(path, *args) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_backup_restores_everything_and_verifies(tmp_path, make_patient, clinic):
    kept = make_patient(clinic, last_name="Kept")
    backup = tmp_path / "ketacare.backup"
    assert "Backed up to" in _backup(backup)
    manifest = json.loads((tmp_path / "ketacare.backup.json").read_text())
    assert manifest["sha256"] and manifest["engine"] in ("sqlite", "postgresql")

    out = _restore(backup, "--yes")

    assert "Audit trail intact" in out
    assert list(Patient.objects.values_list("pk", flat=True)) == [kept.pk]
    assert AuditEntry.objects.filter(object_type="database", action="update").exists()


def test_restoring_an_older_backup_is_detected_as_a_rollback(tmp_path, make_patient, clinic):
    make_patient(clinic, last_name="Before")
    backup = tmp_path / "old.backup"
    _backup(backup)
    make_patient(clinic, last_name="After")  # recorded and anchored after the backup

    with pytest.raises(CommandError, match="older than the audit anchors"):
        _restore(backup, "--yes")

    assert not Patient.objects.filter(last_name="After").exists()
    report = verify_trail()
    assert report.only_rollback
    out = io.StringIO()
    call_command(
        "audit_verify",
        accept_rollback="disk failure, restored the 02:00 backup",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Audit trail intact" in out.getvalue() and "were lost" in out.getvalue()


def test_a_rollback_can_be_acknowledged_by_the_restore_itself(tmp_path, make_patient, clinic):
    backup = tmp_path / "old.backup"
    _backup(backup)
    make_patient(clinic, last_name="After")

    out = _restore(backup, "--yes", "--accept-rollback", "drill: restore of the nightly backup")

    assert "Audit trail intact" in out
    assert verify_trail().intact


def test_a_restore_needs_yes_and_leaves_the_database_alone_without_it(
    tmp_path, make_patient, clinic
):
    backup = tmp_path / "b.backup"
    _backup(backup)
    make_patient(clinic, last_name="Stays")

    with pytest.raises(CommandError, match="run again with --yes"):
        _restore(backup)

    assert Patient.objects.filter(last_name="Stays").exists()


def test_an_altered_backup_is_refused(tmp_path, make_patient, clinic):
    backup = tmp_path / "b.backup"
    _backup(backup)
    make_patient(clinic, last_name="Stays")
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="does not match its manifest"):
        _restore(backup, "--yes")

    assert Patient.objects.filter(last_name="Stays").exists()


def test_a_backup_of_another_database_engine_is_refused(tmp_path, db):
    backup = tmp_path / "b.backup"
    _backup(backup)
    manifest_path = tmp_path / "b.backup.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["engine"] = "oracle"
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="This is a oracle backup"):
        _restore(backup, "--yes")


def test_the_controlled_substance_ledger_is_verified_after_a_restore(tmp_path, db):
    backup = tmp_path / "b.backup"
    _backup(backup)

    assert "Ledger verified" in _restore(backup, "--yes")
