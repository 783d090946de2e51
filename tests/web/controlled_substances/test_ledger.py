"""The ledger through its services: balances per product, lot and location; refusals; append-
only rows; corrections; the hash chain and ``ledger_verify``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ketacare.clinical.controlled_substances import EntryKind, LedgerRefused
from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import LedgerEntry, LedgerImmutable
from ketacare.controlled_substances.selectors import balances
from ketacare.core.errors import Invalid, Refused
from tests.web.controlled_substances.conftest import SUPPLIER, at, origin_of

pytestmark = pytest.mark.django_db


def balance_of(ledger, lot_number, location):
    for b in balances(ledger.clinic, include_empty=True):
        if b.lot.number == lot_number and b.location == location:
            return (b.mg, b.units)
    return (Decimal(0), Decimal(0))


def test_receipts_transfers_and_removals_give_each_stock_its_balance(stocked):
    nurse = origin_of(stocked.staff["nurse"])
    lot = stocked.ketamine_10.lots.get(number="K10-A")
    services.transfer_record(
        clinic=stocked.clinic, lot=lot, from_location=stocked.safe, to_location=stocked.cart,
        amount=services.Amount(units=5), origin=nurse, at=at(1),
    )  # fmt: skip
    assert balance_of(stocked, "K10-A", stocked.safe) == (Decimal(350), Decimal(35))
    assert balance_of(stocked, "K10-A", stocked.cart) == (Decimal(50), Decimal(5))
    services.removal_record(
        clinic=stocked.clinic, kind=EntryKind.LOSS, lot=lot, location=stocked.cart,
        amount=services.Amount(mg=5), reason="Vial dropped and broke", origin=nurse, at=at(2),
    )  # fmt: skip
    assert balance_of(stocked, "K10-A", stocked.cart) == (Decimal(45), Decimal("4.5"))
    services.removal_record(
        clinic=stocked.clinic, kind=EntryKind.RETURN_TO_DISTRIBUTOR, lot=lot,
        location=stocked.safe, amount=services.Amount(containers=1), reason="", origin=nurse,
        at=at(3), counterparty=SUPPLIER, document_reference="RD-77",
    )  # fmt: skip
    assert balance_of(stocked, "K10-A", stocked.safe) == (Decimal(150), Decimal(15))
    assert next(services.ledger_check(stocked.clinic.pk), None) is None


REFUSALS = [
    # (what, kwargs for removal_record, error, message)
    ("a loss beyond the stock", {"amount": {"units": 41}}, LedgerRefused, "below zero"),
    ("a loss at a location without that lot", {"where": "cart"}, LedgerRefused, "below zero"),
    ("a loss without its reason", {"reason": ""}, Invalid, "needs its reason"),
    ("a zero amount", {"amount": {"mg": 0}}, Invalid, "more than zero"),
    ("an amount given twice", {"amount": {"mg": 5, "units": "0.5"}}, Invalid, "once"),
    ("a loss dated in the future", {"occurred": 60 * 24}, LedgerRefused, "future"),
]


@pytest.mark.parametrize(
    ("what", "given", "error", "message"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusals_say_why(stocked, what, given, error, message):
    lot = stocked.ketamine_10.lots.get(number="K10-A")
    before = LedgerEntry.objects.count()
    with pytest.raises(error, match=message):
        services.removal_record(
            clinic=stocked.clinic,
            kind=EntryKind.LOSS,
            lot=lot,
            location=stocked.cart if given.get("where") == "cart" else stocked.safe,
            amount=services.Amount(**given.get("amount", {"mg": 5})),
            reason=given.get("reason", "Spilled"),
            origin=origin_of(stocked.staff["nurse"]),
            at=at(1),
            occurred_at=at(given.get("occurred", 0)),
        )
    assert LedgerEntry.objects.count() == before


def test_a_receipt_records_the_supplier_invoice_and_actual_date(ledger):
    with pytest.raises(Invalid, match="invoice or packing slip"):
        services.receipt_record(
            clinic=ledger.clinic, product=ledger.ketamine_50, lot_number="K50-1",
            lot_expires_on=dt.date(2026, 1, 1), location=ledger.safe,
            amount=services.Amount(containers=1), supplier=SUPPLIER, invoice_reference=" ",
            received_at=at(0), origin=origin_of(ledger.staff["nurse"]), at=at(0),
        )  # fmt: skip
    with pytest.raises(Invalid, match="valid DEA number"):
        services.receipt_record(
            clinic=ledger.clinic, product=ledger.ketamine_50, lot_number="K50-1",
            lot_expires_on=dt.date(2026, 1, 1), location=ledger.safe,
            amount=services.Amount(containers=1),
            supplier=services.Counterparty("Acme", "1 Road", "AB1234567"),
            invoice_reference="INV-1", received_at=at(0),
            origin=origin_of(ledger.staff["nurse"]), at=at(0),
        )  # fmt: skip
    entry = ledger.receive(ledger.ketamine_50, "K50-1", 3, minutes=-120)
    assert (entry.quantity_mg, entry.quantity_units) == (Decimal("1500.00"), Decimal("30.0000"))
    assert entry.occurred_at == at(-120)
    assert entry.counterparty_dea_number == "PH1234563" and entry.document_reference == "INV-K50-1"


def test_nothing_is_received_under_a_lapsed_registration(ledger):
    with pytest.raises(LedgerRefused, match="expired"):
        ledger.receive(ledger.ketamine_50, "K50-1", 1, minutes=60 * 24 * 365 * 5)


def test_entries_cannot_be_changed_or_deleted(stocked):
    entry = LedgerEntry.objects.first()
    entry.quantity_mg = Decimal(1)
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    # Nor by the database: UPDATE is refused by a trigger (SQLite and PostgreSQL).
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(quantity_mg=Decimal(1))


def test_a_correction_reverses_an_entry_once(stocked):
    nurse = origin_of(stocked.staff["nurse"])
    wrong = stocked.receive(stocked.ketamine_50, "K50-X", 1, minutes=0)
    fix = services.entry_correct(
        entry=wrong, reason="Wrong product scanned", origin=nurse, at=at(1)
    )
    assert fix.kind == "correction" and fix.corrects_id == wrong.pk
    assert (fix.change_mg, fix.balance_mg) == (Decimal("-500.00"), Decimal("0.00"))
    wrong.refresh_from_db()
    assert wrong.quantity_mg == Decimal("500.00")  # the original stays as it was
    with pytest.raises(Refused, match="already been corrected"):
        services.entry_correct(entry=wrong, reason="again", origin=nurse, at=at(2))
    with pytest.raises(Refused, match="cannot be corrected"):
        services.entry_correct(entry=fix, reason="undo", origin=nurse, at=at(2))
    with pytest.raises(Invalid, match="needs its reason"):
        services.entry_correct(
            entry=LedgerEntry.objects.filter(kind="receipt").first(), reason="", origin=nurse,
            at=at(2),
        )  # fmt: skip


def _tamper(sql: str, params: list) -> None:
    """What someone with database access could do around the application's guards."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS controlled_substances_ledgerentry_no_update")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending events before ALTER
            cursor.execute("ALTER TABLE controlled_substances_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)


def test_ledger_verify_accepts_an_intact_ledger(stocked, capsys):
    call_command("ledger_verify")
    assert "chain intact" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (
            "UPDATE controlled_substances_ledgerentry SET quantity_mg = 300, change_mg = 300, "
            "balance_mg = 300 WHERE id = %s",
            "does not match its hash",
        ),
        (
            "UPDATE controlled_substances_ledgerentry SET reason = 'nothing to see' WHERE id = %s",
            "does not match its hash",
        ),
    ],
)
def test_ledger_verify_names_the_first_tampered_entry(stocked, sql, problem):
    first = LedgerEntry.objects.filter(clinic=stocked.clinic).order_by("sequence").first()
    _tamper(sql, [first.pk])
    with pytest.raises(CommandError, match=problem) as failed:
        call_command("ledger_verify")
    assert "entry 1:" in str(failed.value)


def test_ledger_verify_finds_an_entry_removed_from_the_middle(stocked):
    second = LedgerEntry.objects.get(clinic=stocked.clinic, sequence=2)
    _tamper("DELETE FROM controlled_substances_ledgerentry WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match="entry 2 is missing"):
        call_command("ledger_verify")


def test_ledger_verify_finds_a_deleted_entry(stocked):
    last = LedgerEntry.objects.filter(clinic=stocked.clinic).order_by("-sequence").first()
    _tamper("DELETE FROM controlled_substances_ledgerentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="newest entries are missing"):
        call_command("ledger_verify")


def test_ledger_verify_recomputes_balances(stocked):
    """A rewritten balance with a recomputed hash is still caught by the recomputed balance."""
    from ketacare.controlled_substances.services.chain import entry_digest

    entry = LedgerEntry.objects.filter(clinic=stocked.clinic).order_by("sequence").first()
    entry.balance_mg = Decimal("999.00")
    forged = entry_digest(entry)
    _tamper(
        "UPDATE controlled_substances_ledgerentry SET balance_mg = 999, entry_hash = %s "
        "WHERE id = %s",
        [forged, entry.pk],
    )
    problems = [str(p) for p in services.ledger_check(stocked.clinic.pk)]
    assert any("entry 1: stored balance 999.00 mg" in p for p in problems), problems
    with pytest.raises(CommandError, match="entry 1:"):
        call_command("ledger_verify")


def test_a_ledger_rewritten_with_fresh_hashes_disagrees_with_the_audit_trail(stocked):
    """Someone who edits an entry and recomputes every balance and hash after it still cannot
    rewrite the keyed, anchored audit trail that recorded each entry's hash."""
    from ketacare.controlled_substances.services.chain import GENESIS, entry_digest

    entries = list(LedgerEntry.objects.filter(clinic=stocked.clinic).order_by("sequence"))
    first = entries[0]
    first.quantity_mg, first.change_mg, first.balance_mg = (
        Decimal("300.00"), Decimal("300.00"), Decimal("300.00"),
    )  # fmt: skip
    first.quantity_units = first.change_units = first.balance_units = Decimal("30.0000")
    previous = GENESIS
    for entry in entries:
        entry.previous_hash = previous
        entry.entry_hash = entry_digest(entry)
        previous = entry.entry_hash
        _tamper(
            "UPDATE controlled_substances_ledgerentry SET quantity_mg = %s, change_mg = %s, "
            "balance_mg = %s, quantity_units = %s, change_units = %s, balance_units = %s, "
            "previous_hash = %s, entry_hash = %s WHERE id = %s",
            [entry.quantity_mg, entry.change_mg, entry.balance_mg, entry.quantity_units,
             entry.change_units, entry.balance_units, entry.previous_hash, entry.entry_hash,
             entry.pk],
        )  # fmt: skip
    _tamper(
        "UPDATE controlled_substances_ledgerhead SET last_hash = %s WHERE clinic_id = %s",
        [previous, stocked.clinic.pk],
    )
    with pytest.raises(CommandError, match="entry 1: its hash differs from the one the audit"):
        call_command("ledger_verify")
