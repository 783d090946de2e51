"""Stock entries that are not tied to a session: receipts, transfers, returns to a reverse
distributor, destruction, losses, take-home dispensing, and corrections of any entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from ketacare.audit.services import RequestOrigin
from ketacare.clinical.controlled_substances import (
    DESTRUCTION_WITNESSES,
    REASON_REQUIRED,
    Entry,
    EntryKind,
    LedgerRefused,
    Quantity,
    correction_change,
    quantity,
    stock_change,
)
from ketacare.controlled_substances.models import LedgerEntry, Lot, Product, StorageLocation
from ketacare.controlled_substances.services.chain import Stock, entry_append
from ketacare.controlled_substances.services.setup import (
    dea_number_valid,
    lot_for,
    require_registration,
)
from ketacare.controlled_substances.witnesses import ConfirmedWitness, witnessed
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient


@dataclass(frozen=True)
class Amount:
    """An amount as typed: exactly one of mg, product units or whole containers."""

    mg: object = None
    units: object = None
    containers: object = None

    def of(self, product: Product, *, part_units: bool = False) -> Quantity:
        try:
            return quantity(
                product.spec,
                mg=self.mg,
                units=self.units,
                containers=self.containers,
                part_units=part_units,
            )
        except LedgerRefused as wrong:
            raise Invalid.field("quantity", str(wrong)) from None


@dataclass(frozen=True)
class Counterparty:
    """Who the stock came from or went to (supplier, reverse distributor, other registrant)."""

    name: str = ""
    address: str = ""
    dea_number: str = ""

    def checked(self, *, what: str) -> dict[str, str]:
        name, address = self.name.strip(), self.address.strip()
        number = self.dea_number.strip().upper()
        if not name or not address:
            raise Invalid.field("counterparty_name", f"Give the {what}'s name and address")
        if not dea_number_valid(number):
            raise Invalid.field("counterparty_dea_number", f"Give the {what}'s valid DEA number")
        return {
            "counterparty_name": name,
            "counterparty_address": address,
            "counterparty_dea_number": number,
        }


def _reason(kind: EntryKind, reason: str) -> str:
    reason = (reason or "").strip()
    if kind in REASON_REQUIRED and not reason:
        raise Invalid.field("reason", f"A {kind.value.replace('_', ' ')} needs its reason")
    return reason


def _stock(clinic: Clinic, lot: Lot, location: StorageLocation) -> Stock:
    product = lot.product
    if product.clinic_id != clinic.pk or location.clinic_id != clinic.pk:
        raise Refused("That lot or location belongs to another clinic")
    return Stock(product, lot, location)


@transaction.atomic
def receipt_record(
    *,
    clinic: Clinic,
    product: Product,
    lot_number: str,
    lot_expires_on: dt.date | None,
    location: StorageLocation,
    amount: Amount,
    supplier: Counterparty,
    invoice_reference: str,
    received_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
) -> LedgerEntry:
    """Stock received from a supplier: quantity, the date actually received, the supplier's name,
    address and DEA number (S117, S118) and the invoice or packing slip (§8, unverified)."""
    require_registration(clinic, on=received_at.date())
    if not (invoice_reference or "").strip():
        raise Invalid.field("document_reference", "Give the invoice or packing slip number")
    lot = lot_for(product=product, number=lot_number, expires_on=lot_expires_on, at=at)
    given = amount.of(product)
    return entry_append(
        clinic=clinic,
        kind=EntryKind.RECEIPT,
        stock=_stock(clinic, lot, location),
        amount=given,
        change=stock_change(EntryKind.RECEIPT, given),
        origin=origin,
        at=at,
        occurred_at=received_at,
        document_reference=invoice_reference.strip(),
        **supplier.checked(what="supplier"),
    )


@transaction.atomic
def transfer_record(
    *,
    clinic: Clinic,
    lot: Lot,
    from_location: StorageLocation,
    amount: Amount,
    origin: RequestOrigin,
    at: dt.datetime,
    to_location: StorageLocation | None = None,
    registrant: Counterparty | None = None,
    document_reference: str = "",
    reason: str = "",
) -> list[LedgerEntry]:
    """Move stock to another location here (two entries, out and in) or to another registrant
    (one entry out, with its name, address and DEA number; it records its own receipt)."""
    if (to_location is None) == (registrant is None):
        raise Invalid.field("to_location", "Transfer to a location here or to another registrant")
    if to_location is not None and to_location.pk == from_location.pk:
        raise Invalid.field("to_location", "The stock is already there")
    given = amount.of(lot.product)
    common = {"origin": origin, "at": at, "reason": (reason or "").strip()}
    out = entry_append(
        clinic=clinic,
        kind=EntryKind.TRANSFER_OUT,
        stock=_stock(clinic, lot, from_location),
        amount=given,
        change=stock_change(EntryKind.TRANSFER_OUT, given),
        document_reference=(document_reference or "").strip(),
        **(registrant.checked(what="receiving registrant") if registrant else {}),
        **common,
    )
    if to_location is None:
        return [out]
    received = entry_append(
        clinic=clinic,
        kind=EntryKind.TRANSFER_IN,
        stock=_stock(clinic, lot, to_location),
        amount=given,
        change=stock_change(EntryKind.TRANSFER_IN, given),
        of_entry=out,
        **common,
    )
    return [out, received]


@transaction.atomic
def removal_record(
    *,
    clinic: Clinic,
    kind: EntryKind,
    lot: Lot,
    location: StorageLocation,
    amount: Amount,
    reason: str,
    origin: RequestOrigin,
    at: dt.datetime,
    occurred_at: dt.datetime | None = None,
    counterparty: Counterparty | None = None,
    document_reference: str = "",
    witnesses: tuple[ConfirmedWitness, ...] = (),
    discrepancy=None,
) -> LedgerEntry:
    """Stock leaving the clinic other than to a patient: to a reverse distributor (its name,
    address, DEA number and the transfer document), destroyed on site (Form 41 record and two
    witnesses, §8 unverified), or lost or stolen (with what happened)."""
    if kind not in (EntryKind.RETURN_TO_DISTRIBUTOR, EntryKind.DESTRUCTION, EntryKind.LOSS):
        raise Invalid.field("kind", "Record a return to a distributor, a destruction or a loss")
    extra: dict = {}
    if kind is EntryKind.RETURN_TO_DISTRIBUTOR:
        extra = (counterparty or Counterparty()).checked(what="reverse distributor")
    if kind is EntryKind.DESTRUCTION:
        extra = witnessed(
            clinic=clinic,
            setting=DESTRUCTION_WITNESSES,
            what="a destruction",
            origin=origin,
            witnesses=witnesses,
            at=at,
        )
    if kind is not EntryKind.LOSS and not (document_reference or "").strip():
        what = "Form 41" if kind is EntryKind.DESTRUCTION else "transfer document (invoice)"
        raise Invalid.field("document_reference", f"Give the {what} reference")
    given = amount.of(lot.product, part_units=kind is not EntryKind.RETURN_TO_DISTRIBUTOR)
    return entry_append(
        clinic=clinic,
        kind=kind,
        stock=_stock(clinic, lot, location),
        amount=given,
        change=stock_change(kind, given),
        origin=origin,
        at=at,
        occurred_at=occurred_at,
        reason=_reason(kind, reason),
        document_reference=(document_reference or "").strip(),
        discrepancy=discrepancy,
        **extra,
    )


@transaction.atomic
def dispense_record(
    *,
    clinic: Clinic,
    patient: Patient,
    lot: Lot,
    location: StorageLocation,
    amount: Amount,
    origin: RequestOrigin,
    at: dt.datetime,
    note: str = "",
) -> LedgerEntry:
    """A take-home supply handed to the patient of an at-home (sublingual) programme. A
    prescription sent to a pharmacy is not a ledger entry: the pharmacy dispenses and records."""
    if patient.clinic_id != clinic.pk:
        raise Refused("That patient belongs to another clinic")
    require_registration(clinic, on=at.date())
    if lot.expires_on < at.date():
        raise Refused(f"Lot {lot.number} expired on {lot.expires_on:%Y-%m-%d}")
    given = amount.of(lot.product)
    return entry_append(
        clinic=clinic,
        kind=EntryKind.DISPENSE,
        stock=_stock(clinic, lot, location),
        amount=given,
        change=stock_change(EntryKind.DISPENSE, given),
        origin=origin,
        at=at,
        patient=patient,
        reason=(note or "").strip(),
        summary=f"Controlled substances: dispensed {given.units.normalize():f} "
        f"{lot.product.unit}(s) to take home",
    )


@transaction.atomic
def entry_correct(
    *, entry: LedgerEntry, reason: str, origin: RequestOrigin, at: dt.datetime
) -> LedgerEntry:
    """A new entry that exactly reverses ``entry`` (which stays as it was), with the reason.
    Refused when it was corrected already, is itself a correction, or the reversal would take
    the stock below zero. Record the right entry anew afterwards."""
    if LedgerEntry.objects.filter(corrects=entry).exists():
        raise Refused(f"Entry #{entry.sequence} has already been corrected")
    original = Entry(entry.pk, EntryKind(entry.kind), None, _change(entry))
    try:
        change = correction_change(original)
    except LedgerRefused as refused:
        raise Refused(str(refused)) from None
    return entry_append(
        clinic=entry.clinic,
        kind=EntryKind.CORRECTION,
        stock=Stock(entry.product, entry.lot, entry.location),
        amount=Quantity(entry.quantity_mg, entry.quantity_units),
        change=change,
        origin=origin,
        at=at,
        reason=_reason(EntryKind.CORRECTION, reason),
        corrects=entry,
        session=entry.session,
        patient=entry.patient,
        summary=f"Controlled substances: correction of entry #{entry.sequence}",
    )


def _change(entry: LedgerEntry) -> Quantity:
    return Quantity(entry.change_mg, entry.change_units)
