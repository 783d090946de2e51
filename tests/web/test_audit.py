"""The audit trail: append-only, hash-chained, verifiable, searchable, exportable, no secrets."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.audit.models import AuditEntry, AuditError
from ketacare.audit.services import RequestOrigin, audit_record, audit_verify_chain

pytestmark = pytest.mark.django_db


def _three_entries():
    origin = RequestOrigin.system("test")
    return [
        audit_record(
            origin=origin, action="create", object_type="thing", object_id=n, summary=f"n{n}"
        )
        for n in (1, 2, 3)
    ]


def test_entries_chain_and_verify():
    entries = _three_entries()
    assert entries[1].previous_hash == entries[0].entry_hash
    assert list(audit_verify_chain()) == []
    call_command("audit_verify")


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = _three_entries()[0]
    entry.summary = "rewritten"
    with pytest.raises(AuditError):
        entry.save()
    with pytest.raises(AuditError):
        entry.delete()


def test_tampering_in_the_database_is_detected(database_admin):
    entries = _three_entries()
    AuditEntry.objects.filter(pk=entries[1].pk).update(summary="nothing happened")
    breaks = list(audit_verify_chain())
    assert [(b.position, "altered" in b.problem) for b in breaks] == [(2, True)]
    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify")


def test_a_deleted_entry_is_detected(database_admin):
    entries = _three_entries()
    AuditEntry.objects.filter(pk=entries[1].pk)._raw_delete(AuditEntry.objects.db)
    problems = [b.problem for b in audit_verify_chain()]
    assert any("missing" in p for p in problems)


def test_secrets_are_redacted():
    entry = audit_record(
        origin=RequestOrigin.system(),
        action="update",
        object_type="user",
        changes={"password": "hunter2", "card_number": "4111", "email": "a@b.c"},
    )
    assert entry.changes == {
        "password": "[redacted]",
        "card_number": "[redacted]",
        "email": "a@b.c",
    }


def test_patient_writes_record_who_when_where_and_before_after(client_for, patient):
    client = client_for("front_desk")
    client.post(
        f"/patients/{patient.pk}/edit/",
        {
            "first_name": "Janet",
            "last_name": patient.last_name,
            "date_of_birth": "1985-04-12",
            "sex_at_birth": "female",
            "email": "jane@example.com",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    entry = AuditEntry.objects.filter(object_type="patient", action="update").get()
    assert entry.changes["first_name"] == {"before": "Jane", "after": "Janet"}
    assert entry.ip_address == "10.1.2.3" and entry.actor_label.startswith("front_desk")
    assert entry.patient_id == patient.pk and entry.at is not None


def test_director_searches_and_exports_csv(client_for, patient):
    director = client_for("medical_director")
    page = director.get("/audit/?q=Registered").content.decode()
    assert "Registered Jane Doe" in page
    response = director.get("/audit/export.csv?q=Registered")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["sequence", "at", "actor_label"]
    assert any("Registered Jane Doe" in row[9] for row in rows[1:])
    assert AuditEntry.objects.filter(action="export").exists()


def test_bad_search_dates_get_a_clear_message(client_for):
    page = client_for("medical_director").get("/audit/?since=yesterday").content.decode()
    assert "Use a date like 2026-01-31." in page


def test_sign_ins_are_audited_without_the_password(client, staff):
    client.post(
        "/accounts/login/", {"username": staff["nurse"].username, "password": "wrong-password"}
    )
    client.post(
        "/accounts/login/",
        {"username": staff["nurse"].username, "password": "correct-horse-battery"},
    )
    actions = list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["login_failed", "login"]
    assert "wrong-password" not in str(list(AuditEntry.objects.values_list("summary", "changes")))


def test_entries_with_local_times_and_odd_values_still_verify():
    import datetime as dt
    import zoneinfo
    from decimal import Decimal

    zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    local = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=zone)
    audit_record(
        origin=RequestOrigin.system(),
        action="create",
        object_type="order",
        at=local,
        changes={"dose_mg": Decimal("35.00"), "when": local, "ids": (1, 2), "ratio": 0.1},
    )
    assert list(audit_verify_chain()) == []
