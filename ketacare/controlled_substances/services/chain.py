"""The one writer of ledger entries, and the check that the stored ledger still holds.

``entry_append`` locks the clinic's ledger head, takes the stock's balance from its latest entry,
refuses (``ledger.balance_after``) anything that takes it below zero, chains the entry to the one
before it (SHA-256 over every field and the previous hash) and audits it, all in the caller's
transaction. ``ledger_check`` walks a clinic's entries in order and names the first place where
the hash chain, a balance, an entry's own arithmetic or the head does not hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from ketacare.audit.models import AuditEntry
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.controlled_substances import (
    DIRECTION,
    ZERO,
    EntryKind,
    LedgerRefused,
    Quantity,
    balance_after,
)
from ketacare.controlled_substances.events import ENTRY_RECORDED
from ketacare.controlled_substances.models import (
    LedgerEntry,
    LedgerHead,
    Lot,
    Product,
    StorageLocation,
)
from ketacare.core.errors import Refused
from ketacare.core.events import emit
from ketacare.core.models import Clinic

GENESIS = "0" * 64
HASHED_FIELDS = (
    "clinic_id", "sequence", "kind", "product_id", "lot_id", "location_id",
    "quantity_mg", "quantity_units", "change_mg", "change_units", "balance_mg", "balance_units",
    "occurred_at", "recorded_at", "recorded_by_id", "reason", "session_id", "patient_id",
    "of_entry_id", "corrects_id", "counterparty_name", "counterparty_address",
    "counterparty_dea_number", "document_reference", "witness_id", "second_witness_id",
    "witnessed_at", "discrepancy_id", "previous_hash",
)  # fmt: skip


@dataclass(frozen=True)
class Stock:
    """One product lot at one storage location: the unit a balance is kept for."""

    product: Product
    lot: Lot
    location: StorageLocation

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.product.pk, self.lot.pk, self.location.pk)

    @property
    def label(self) -> str:
        return f"{self.product.name} lot {self.lot.number} in {self.location.name}"


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def entry_digest(entry: LedgerEntry) -> str:
    """SHA-256 of the entry's content and the previous entry's hash (field order fixed)."""
    content = {name: _text(getattr(entry, name)) for name in HASHED_FIELDS}
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _quantized(q: Quantity) -> Quantity:
    return Quantity(q.mg.quantize(Decimal("0.01")), q.units.quantize(Decimal("0.0001")))


def stock_balance(stock: Stock) -> Quantity:
    """The stock's balance after its latest entry (zero before any)."""
    latest = (
        LedgerEntry.objects.filter(product=stock.product, lot=stock.lot, location=stock.location)
        .order_by("-sequence")
        .values("balance_mg", "balance_units")
        .first()
    )
    return ZERO if latest is None else Quantity(latest["balance_mg"], latest["balance_units"])


def entry_append(
    *,
    clinic: Clinic,
    kind: EntryKind,
    stock: Stock,
    amount: Quantity,
    change: Quantity,
    origin: RequestOrigin,
    at: dt.datetime,
    occurred_at: dt.datetime | None = None,
    summary: str = "",
    **fields: Any,
) -> LedgerEntry:
    """Append one entry (see the module docstring); ``fields`` are LedgerEntry's other fields."""
    if origin.actor is None:
        raise Refused("A controlled-substance entry is recorded by a signed-in person")
    for part in (stock.product, stock.location):
        if part.clinic_id != clinic.pk:
            raise Refused("That product or location belongs to another clinic")
    if stock.lot.product_id != stock.product.pk:
        raise Refused("That lot is of another product")
    if DIRECTION[kind] is not None and change != amount.scaled(DIRECTION[kind]):
        raise LedgerRefused("The entry's effect does not follow from its kind")
    occurred_at = occurred_at or at
    if occurred_at > at + dt.timedelta(minutes=2):
        raise LedgerRefused("An entry records what happened: its date cannot be in the future")
    with transaction.atomic():
        LedgerHead.objects.get_or_create(clinic=clinic)
        head = LedgerHead.objects.select_for_update().get(clinic=clinic)
        after = balance_after(
            stock_balance(stock), change, label=stock.label, unit=stock.product.unit
        )
        entry = LedgerEntry(
            clinic=clinic,
            sequence=head.last_sequence + 1,
            kind=kind.value,
            product=stock.product,
            lot=stock.lot,
            location=stock.location,
            quantity_mg=amount.mg,
            quantity_units=amount.units,
            change_mg=change.mg,
            change_units=change.units,
            balance_mg=after.mg,
            balance_units=after.units,
            occurred_at=occurred_at.astimezone(dt.UTC),
            recorded_at=at.astimezone(dt.UTC),
            recorded_by=origin.actor,
            previous_hash=head.last_hash,
            **fields,
        )
        _normalise(entry)
        entry.entry_hash = entry_digest(entry)
        entry.save()
        head.last_sequence, head.last_hash = entry.sequence, entry.entry_hash
        head.save(update_fields=["last_sequence", "last_hash"])
        audit_record(
            origin=origin,
            action="create",
            object_type="ledger_entry",
            object_id=entry.pk,
            clinic_id=clinic.pk,
            patient_id=entry.patient_id,
            summary=summary or f"Controlled substances: {entry.get_kind_display().lower()}",
            changes={
                "sequence": entry.sequence,
                "kind": entry.kind,
                "stock": stock.label,
                "quantity_mg": entry.quantity_mg,
                "quantity_units": entry.quantity_units,
                "balance_mg": entry.balance_mg,
                "session": entry.session_id,
                # The trail is keyed and anchored outside the database: a ledger rewritten with
                # fresh hashes no longer matches what it recorded here (``ledger_check``).
                "entry_hash": entry.entry_hash,
            },
            at=at,
        )
        emit(ENTRY_RECORDED, entry=entry, origin=origin, at=at)
    return entry


def _normalise(entry: LedgerEntry) -> None:
    """Store exactly what the hash covers: quantities at the columns' places, UTC times."""
    for prefix in ("quantity", "change", "balance"):
        q = _quantized(Quantity(getattr(entry, f"{prefix}_mg"), getattr(entry, f"{prefix}_units")))
        setattr(entry, f"{prefix}_mg", q.mg)
        setattr(entry, f"{prefix}_units", q.units)
    if entry.witnessed_at is not None:
        entry.witnessed_at = entry.witnessed_at.astimezone(dt.UTC)


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inconsistency:
    clinic_id: int
    sequence: int
    problem: str

    def __str__(self) -> str:
        return f"clinic {self.clinic_id}, entry {self.sequence}: {self.problem}"


def ledger_check(clinic_id: int) -> Iterator[Inconsistency]:
    """Every place where the clinic's stored ledger does not hold, in ledger order: the chain
    (sequence, previous hash, content hash), each entry's arithmetic (its change from its kind
    and quantity, mg against units), each running balance recomputed from the changes against
    the one stored, no balance below zero, and the head pointing at the last entry."""
    previous, expected = GENESIS, 1
    running: dict[tuple[int, int, int], Quantity] = {}
    audited = _audited_hashes(clinic_id)
    rows = LedgerEntry.objects.filter(clinic_id=clinic_id).select_related("product", "corrects")
    for entry in rows.order_by("sequence").iterator(chunk_size=2000):
        seq = entry.sequence

        def problem(text: str, seq: int = seq) -> Inconsistency:
            return Inconsistency(clinic_id, seq, text)

        if seq != expected:
            yield problem(f"entry {expected} is missing (the next stored is {seq})")
            expected = seq
        if entry.previous_hash != previous:
            yield problem("does not follow the previous entry's hash (removed or reordered)")
        if entry_digest(entry) != entry.entry_hash:
            yield problem("its content does not match its hash (altered after it was written)")
        recorded = audited.get(str(entry.pk))
        if recorded is None:
            yield problem("the audit trail holds no record of it (written around the application)")
        elif recorded != entry.entry_hash:
            yield problem("its hash differs from the one the audit trail recorded (rewritten)")
        yield from (problem(text) for text in _arithmetic(entry))
        key = (entry.product_id, entry.lot_id, entry.location_id)
        change = Quantity(entry.change_mg, entry.change_units)
        running[key] = running.get(key, ZERO) + change
        stored = Quantity(entry.balance_mg, entry.balance_units)
        if running[key] != stored:
            yield problem(
                f"stored balance {stored.mg} mg / {stored.units} does not match the "
                f"{running[key].mg} mg / {running[key].units} recomputed from the entries"
            )
        if running[key].is_negative:
            yield problem("takes its stock below zero")
        previous = entry.entry_hash
        expected += 1
    head = LedgerHead.objects.filter(clinic_id=clinic_id).first()
    last = expected - 1
    if head is not None and (head.last_sequence != last or head.last_hash != previous):
        yield Inconsistency(
            clinic_id, head.last_sequence, f"the newest entries are missing (last stored {last})"
        )


def _audited_hashes(clinic_id: int) -> dict[str, str | None]:
    """Each entry's hash as the audit trail recorded it when the entry was written. The patient
    accounts' ledger (billing) audits its entries under the same object type and numbers them
    on its own: only the records that carry a hash are this ledger's."""
    rows = AuditEntry.objects.filter(
        clinic_id=clinic_id,
        object_type="ledger_entry",
        action="create",
        changes__has_key="entry_hash",
    ).values_list("object_id", "changes")
    return {object_id: (changes or {}).get("entry_hash") for object_id, changes in rows}


def _arithmetic(entry: LedgerEntry) -> Iterator[str]:
    kind = EntryKind(entry.kind)
    amount = Quantity(entry.quantity_mg, entry.quantity_units)
    change = Quantity(entry.change_mg, entry.change_units)
    direction = DIRECTION[kind]
    if direction is not None and change != amount.scaled(direction):
        yield f"its effect on the stock does not follow from a {kind.value} of its quantity"
    if kind is EntryKind.COUNT_ADJUSTMENT and change not in (amount, -amount):
        yield "its effect on the stock does not match its quantity"
    if kind is EntryKind.CORRECTION:
        original = entry.corrects
        reverse = Quantity(-original.change_mg, -original.change_units)
        if change != reverse or original.sequence >= entry.sequence:
            yield f"it does not exactly reverse the entry it corrects (#{original.sequence})"
    spec = entry.product.spec
    if abs(spec.mg_of(amount.units) - amount.mg) > Decimal("0.01"):
        yield f"{amount.mg} mg is not {amount.units} {spec.unit} of this product"
