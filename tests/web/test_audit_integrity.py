"""The audit trail is tamper-evident against someone with database access but without the key.

Seals are HMACs under a key kept outside the database; anchors (the newest seal of each chain)
are written outside the database after every commit; PostgreSQL refuses UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ketacare.audit.chain import sealed_content
from ketacare.audit.models import AuditChainHead, AuditEntry
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.audit.verify import verify_trail

pytestmark = pytest.mark.django_db

OTHER_KEY = b"a-second-audit-key-for-rotation-tests-0123456789"


def _record(n: int, *, clinic_id: int | None = None) -> AuditEntry:
    return audit_record(
        origin=RequestOrigin.system("test"),
        action="create",
        object_type="thing",
        object_id=n,
        clinic_id=clinic_id,
        summary=f"n{n}",
    )


def _committed(count: int = 3) -> list[AuditEntry]:
    """``count`` entries, each in its own committed transaction (so each is anchored). Tests
    that use it run with ``transaction=True``: nothing is rolled back around them."""
    return [_record(n) for n in range(1, count + 1)]


committing = pytest.mark.django_db(transaction=True)


def _anchor_lines(settings) -> list[dict]:
    text = settings.AUDIT_ANCHOR_PATH.read_text() if settings.AUDIT_ANCHOR_PATH.exists() else ""
    return [json.loads(line) for line in text.splitlines()]


def _raw_delete(entry: AuditEntry) -> None:
    AuditEntry.objects.filter(pk=entry.pk)._raw_delete(AuditEntry.objects.db)


# --- keyed seals ----------------------------------------------------------------------------------


def test_entries_are_sealed_with_the_current_key():
    entry = _record(1)
    assert entry.key_id == "dev"
    unkeyed = hashlib.sha256(
        (
            entry.previous_hash
            + json.dumps(sealed_content(entry), sort_keys=True, separators=(",", ":"), default=str)
        ).encode()
    ).hexdigest()
    assert entry.entry_hash != unkeyed  # a keyed HMAC, not a hash anyone can recompute


def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_detected(database_admin):
    """The attack that used to pass: edit an entry, recompute the hashes after it, move the head."""
    entries = [_record(n) for n in (1, 2, 3)]
    previous = entries[0].entry_hash
    for entry in entries[1:]:
        entry.summary = "nothing happened" if entry.position == 2 else entry.summary
        forged = hashlib.sha256(
            (
                previous
                + json.dumps(
                    sealed_content(entry), sort_keys=True, separators=(",", ":"), default=str
                )
            ).encode()
        ).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(
            summary=entry.summary, previous_hash=previous, entry_hash=forged
        )
        previous = forged
    AuditChainHead.objects.filter(chain=entries[0].chain).update(last_hash=previous)

    breaks = verify_trail().breaks

    assert [(b.position, "altered" in b.problem) for b in breaks] == [(2, True), (3, True)]
    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_rotated_key_keeps_old_entries_verifiable(settings):
    old = _record(1)
    settings.AUDIT_KEYRING = {"2027a": OTHER_KEY, **settings.AUDIT_KEYRING}

    new = _record(2)

    assert (old.key_id, new.key_id) == ("dev", "2027a")
    assert new.previous_hash == old.entry_hash  # the chain runs on across the rotation
    assert verify_trail().intact


def test_an_entry_whose_key_left_the_ring_is_reported(settings):
    settings.AUDIT_KEYRING = {"2027a": OTHER_KEY, **settings.AUDIT_KEYRING}
    _record(1)
    settings.AUDIT_KEYRING = {"2027b": OTHER_KEY[::-1]}

    problems = [b.problem for b in verify_trail().breaks]

    assert problems == [
        "sealed with key '2027a', which is not in the keyring (AUDIT_KEYS): "
        "keep retired keys in the ring"
    ]


# --- chains per clinic ----------------------------------------------------------------------------


def test_each_clinic_appends_to_chains_of_its_own(clinic, other_clinic):
    here, there, nowhere = (
        _record(1, clinic_id=clinic.pk),
        _record(2, clinic_id=other_clinic.pk),
        _record(3),
    )

    assert here.chain == f"clinic-{clinic.pk}/0"
    assert there.chain == f"clinic-{other_clinic.pk}/0"
    assert nowhere.chain == "system/0"
    assert here.sequence < there.sequence < nowhere.sequence  # one order across the trail
    assert verify_trail().intact


def test_appends_of_one_transaction_stay_on_one_lane(clinic):
    with transaction.atomic():
        entries = [_record(n, clinic_id=clinic.pk) for n in (1, 2, 3)]
    assert {e.chain for e in entries} == {f"clinic-{clinic.pk}/0"}
    assert [e.position for e in entries] == [
        entries[0].position,
        entries[0].position + 1,
        entries[0].position + 2,
    ]


# --- anchors outside the database -----------------------------------------------------------------


def test_each_committed_transaction_writes_one_anchor_line(
    settings, clinic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _record(1, clinic_id=clinic.pk)
        last = _record(2, clinic_id=clinic.pk)
        _record(3)

    lines = _anchor_lines(settings)

    assert len(lines) == 1
    assert lines[0]["kind"] == "heads"
    assert lines[0]["heads"][last.chain] == [last.position, last.entry_hash]
    assert lines[0]["heads"]["system/0"][0] == 1


def test_an_append_undone_with_its_savepoint_is_not_anchored(
    settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = _record(1)
        try:
            with transaction.atomic():
                _record(2)
                raise RuntimeError("the service failed after auditing")
        except RuntimeError:
            pass

    assert _anchor_lines(settings)[0]["heads"][kept.chain] == [kept.position, kept.entry_hash]
    assert verify_trail().intact


@committing
def test_deleting_the_newest_entry_and_moving_the_head_back_is_detected(database_admin):
    entries = _committed()
    _raw_delete(entries[2])
    AuditChainHead.objects.filter(chain=entries[2].chain).update(
        last_position=2, last_hash=entries[1].entry_hash
    )

    report = verify_trail()

    assert [(b.position, b.kind) for b in report.breaks] == [(3, "rollback")]
    assert "anchored entry 3 is missing" in report.breaks[0].problem


@committing
def test_entries_committed_after_the_last_anchor_are_a_note_not_a_break(monkeypatch):
    _committed(count=2)
    monkeypatch.setattr("ketacare.audit.chain.anchor_heads", lambda heads: None)
    _record(3)  # committed, but the process died before writing its anchor

    report = verify_trail()

    assert report.intact
    assert report.notes == ["system/0: 1 newest entries are not anchored yet"]


@committing
def test_an_acknowledged_rollback_verifies_and_says_what_was_lost(database_admin):
    entries = _committed()
    _raw_delete(entries[2])  # as if a backup taken before entry 3 had been restored
    AuditChainHead.objects.filter(chain=entries[2].chain).update(
        last_position=2, last_hash=entries[1].entry_hash
    )
    out = io.StringIO()

    call_command(
        "audit_verify",
        accept_rollback="restored the 02:00 backup",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert "Audit trail intact" in out.getvalue()
    assert "restored the 02:00 backup): 1 entries of 1 chains were lost" in out.getvalue()
    assert AuditEntry.objects.filter(object_type="audit_trail").exists()


@committing
def test_a_rollback_is_not_accepted_over_an_altered_entry(database_admin):
    entries = _committed()
    AuditEntry.objects.filter(pk=entries[0].pk).update(summary="rewritten")

    with pytest.raises(CommandError, match="breaks other than a rollback"):
        call_command(
            "audit_verify", accept_rollback="x", stdout=io.StringIO(), stderr=io.StringIO()
        )


@committing
def test_a_forged_rollback_line_is_a_break(settings):
    entries = _committed()
    forged = {
        "kind": "rollback",
        "at": "2026-01-01T00:00:00+00:00",
        "reason": "x",
        "heads": {entries[0].chain: [1, entries[0].entry_hash]},
        "key_id": "dev",
        "mac": "0" * 64,
    }
    with settings.AUDIT_ANCHOR_PATH.open("a") as anchors:
        anchors.write(json.dumps(forged) + "\n")

    problems = [b.problem for b in verify_trail().breaks]

    assert problems == [
        f"{settings.AUDIT_ANCHOR_PATH}:4: a rollback acknowledgement whose signature is not valid"
    ]


@committing
def test_verify_against_a_copy_of_the_anchors(tmp_path, settings, database_admin):
    entries = _committed()
    copy = tmp_path / "shipped.jsonl"
    copy.write_text(settings.AUDIT_ANCHOR_PATH.read_text())
    settings.AUDIT_ANCHOR_PATH.write_text("")  # the local file was wiped along with entry 3
    _raw_delete(entries[2])
    AuditChainHead.objects.filter(chain=entries[2].chain).update(
        last_position=2, last_hash=entries[1].entry_hash
    )
    call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())  # fooled locally

    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify", anchors=[copy], stdout=io.StringIO(), stderr=io.StringIO())


# --- PostgreSQL refuses changes -------------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET summary = 'rewritten'",
        "DELETE FROM audit_auditentry",
    ],
)
def test_postgresql_refuses_update_and_delete_of_audit_entries(statement):
    from django.db import DatabaseError

    _record(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEntry.objects.filter(summary="n1").count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@committing
def test_concurrent_appends_of_one_clinic_do_not_wait_for_each_other(clinic):
    import threading

    holding, finish, first = threading.Event(), threading.Event(), {}

    def hold_a_lane() -> None:
        try:
            with transaction.atomic():
                first["entry"] = _record(1, clinic_id=clinic.pk)
                holding.set()
                finish.wait(timeout=60)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_a_lane)
    thread.start()
    try:
        assert holding.wait(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # waiting would fail, not hang
        second = _record(2, clinic_id=clinic.pk)
    finally:
        finish.set()
        thread.join()

    assert first["entry"].chain == f"clinic-{clinic.pk}/0"
    assert second.chain == f"clinic-{clinic.pk}/1"
    assert verify_trail().intact


@committing
def test_an_append_after_deleting_the_newest_entries_does_not_hide_the_deletion(database_admin):
    entries = _committed()
    _raw_delete(entries[2])
    AuditChainHead.objects.filter(chain=entries[2].chain).update(
        last_position=2, last_hash=entries[1].entry_hash
    )
    _record(4)  # a legitimate append re-uses position 3 and is anchored again

    report = verify_trail()

    assert [(b.position, b.kind) for b in report.breaks] == [(3, "rollback")]
    assert "differs from the anchored seal" in report.breaks[0].problem


@committing
def test_anchor_lines_written_out_of_order_are_not_a_break(settings):
    _committed(count=2)
    lines = settings.AUDIT_ANCHOR_PATH.read_text().splitlines()
    settings.AUDIT_ANCHOR_PATH.write_text("\n".join(reversed(lines)) + "\n")  # a slower worker

    assert verify_trail().intact
