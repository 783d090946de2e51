"""Entries and balances: signed changes per stock, the refusal below zero, corrections, a drawn
dose's account and the witnesses an entry needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from ketacare.clinical.common import ConfigurableDefault
from ketacare.clinical.controlled_substances.quantities import ZERO, Quantity, decimal
from ketacare.clinical.controlled_substances.sources import DESTRUCTION, MG, WASTE, LedgerRefused


class EntryKind(StrEnum):
    RECEIPT = "receipt"  # from a supplier, on the date actually received
    ADMINISTRATION = "administration"  # drawn up for a patient's session: leaves stock
    WASTE = "waste"  # the drawn rest not given, witnessed: no stock effect
    RETURN_TO_STOCK = "return_to_stock"  # whole unused units of a drawn dose back to stock
    DISPENSE = "dispense"  # handed to a patient for an at-home programme
    TRANSFER_OUT = "transfer_out"  # to another location here or another registrant
    TRANSFER_IN = "transfer_in"
    RETURN_TO_DISTRIBUTOR = "return_to_distributor"  # to a reverse distributor
    DESTRUCTION = "destruction"  # of inventory: Form 41 record, two witnesses
    LOSS = "loss"  # loss or theft discovered
    COUNT_ADJUSTMENT = "count_adjustment"  # brings the derived balance to a resolved count
    CORRECTION = "correction"  # reverses the entry it corrects


# +1 adds to the stock, -1 takes from it, 0 leaves it (waste of an already drawn dose); None: the
# entry carries its own sign (an adjustment either way, a correction reversing its original).
DIRECTION: Final[dict[EntryKind, int | None]] = {
    EntryKind.RECEIPT: 1,
    EntryKind.ADMINISTRATION: -1,
    EntryKind.WASTE: 0,
    EntryKind.RETURN_TO_STOCK: 1,
    EntryKind.DISPENSE: -1,
    EntryKind.TRANSFER_OUT: -1,
    EntryKind.TRANSFER_IN: 1,
    EntryKind.RETURN_TO_DISTRIBUTOR: -1,
    EntryKind.DESTRUCTION: -1,
    EntryKind.LOSS: -1,
    EntryKind.COUNT_ADJUSTMENT: None,
    EntryKind.CORRECTION: None,
}
# Entries that must say why (a correction, a loss, an adjustment, a destruction).
REASON_REQUIRED: Final = frozenset(
    {EntryKind.CORRECTION, EntryKind.LOSS, EntryKind.COUNT_ADJUSTMENT, EntryKind.DESTRUCTION}
)


@dataclass(frozen=True)
class Entry:
    """One entry as the arithmetic sees it: ``change`` is its signed effect on ``stock``."""

    ref: Hashable
    kind: EntryKind
    stock: Hashable
    change: Quantity
    corrects: Hashable | None = None


def stock_change(kind: EntryKind, amount: Quantity, *, sign: int | None = None) -> Quantity:
    """The signed effect on its stock of an entry of ``kind`` for the positive ``amount``.
    A count adjustment needs ``sign`` (+1 found, -1 missing); a correction is made with
    ``correction_change`` instead."""
    if amount.is_negative or amount.is_zero:
        raise LedgerRefused("An entry's amount must be more than zero")
    direction = DIRECTION[kind]
    if kind is EntryKind.CORRECTION:
        raise LedgerRefused("A correction reverses the entry it corrects (correction_change)")
    if direction is None:
        if sign not in (1, -1):
            raise LedgerRefused("A count adjustment is either a shortage (-1) or an overage (+1)")
        direction = sign
    return amount.scaled(direction)


def correction_change(corrected: Entry) -> Quantity:
    """A correction's effect: the exact reverse of the entry it corrects. A correction is not
    itself corrected: record the right entry anew instead."""
    if corrected.kind is EntryKind.CORRECTION:
        raise LedgerRefused("A correction cannot be corrected; record the right entry anew")
    return -corrected.change


def balances(entries: Iterable[Entry]) -> dict[Hashable, Quantity]:
    """Each stock's balance: the sum of the signed changes of its entries."""
    out: dict[Hashable, Quantity] = {}
    for entry in entries:
        out[entry.stock] = out.get(entry.stock, ZERO) + entry.change
    return out


def balance_after(
    before: Quantity, change: Quantity, *, label: str = "this stock", unit: str = "units"
) -> Quantity:
    """The balance after ``change``; LedgerRefused when it would fall below zero."""
    after = before + change
    if after.is_negative:
        raise LedgerRefused(
            f"Refused: this would take {label} below zero — {_amount(before, unit)} on hand, "
            f"{_amount(-change, unit)} to take. Check the lot and location, or record the "
            "missing receipt or transfer first."
        )
    return after


def running_balances(entries: Iterable[Entry]) -> Iterator[tuple[Entry, Quantity]]:
    """Each entry with its stock's balance right after it, in the order given."""
    running: dict[Hashable, Quantity] = {}
    for entry in entries:
        running[entry.stock] = running.get(entry.stock, ZERO) + entry.change
        yield entry, running[entry.stock]


def first_negative(entries: Iterable[Entry]) -> tuple[Entry, Quantity] | None:
    """The first entry after which its stock's running balance is below zero, if any."""
    return next(((e, after) for e, after in running_balances(entries) if after.is_negative), None)


def accept(
    entries: Sequence[Entry], candidate: Entry, *, label: str = "this stock", unit: str = "units"
) -> Quantity:
    """The candidate's balance after it, given the entries before it; refused when it would take
    its stock below zero or corrects an entry that is not there or is already corrected."""
    if candidate.corrects is not None:
        original = next((e for e in entries if e.ref == candidate.corrects), None)
        if original is None:
            raise LedgerRefused("The entry to correct is not in this ledger")
        if any(e.corrects == candidate.corrects for e in entries):
            raise LedgerRefused("That entry has already been corrected")
        if candidate.change != correction_change(original) or candidate.stock != original.stock:
            raise LedgerRefused("A correction must exactly reverse the entry it corrects")
    before = balances(e for e in entries if e.stock == candidate.stock).get(candidate.stock, ZERO)
    return balance_after(before, candidate.change, label=label, unit=unit)


def _amount(q: Quantity, unit: str = "units") -> str:
    return f"{q.mg.normalize():f} mg ({q.units.normalize():f} {unit})"


# --- a drawn dose: drawn = administered + wasted + returned + still open ------------------------


@dataclass(frozen=True)
class DoseAccount:
    """What happened to a dose drawn up in a session, in mg."""

    drawn_mg: Decimal
    administered_mg: Decimal
    wasted_mg: Decimal = Decimal(0)
    returned_mg: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("drawn_mg", "administered_mg", "wasted_mg", "returned_mg"):
            value = decimal(name, getattr(self, name))
            if value < 0:
                raise LedgerRefused(f"{name} cannot be negative")
            object.__setattr__(self, name, value.quantize(MG, ROUND_HALF_UP))
        if self.open_mg < 0:
            raise LedgerRefused(
                f"More is accounted for ({self.accounted_mg:f} mg given, wasted or returned) than "
                f"was drawn up ({self.drawn_mg:f} mg)"
            )

    @property
    def accounted_mg(self) -> Decimal:
        return self.administered_mg + self.wasted_mg + self.returned_mg

    @property
    def open_mg(self) -> Decimal:
        """Drawn, not given, and not yet wasted or returned: still to record."""
        return self.drawn_mg - self.accounted_mg

    def check_given(self, total_given_mg: object) -> None:
        """The session may not record more than was drawn up for it from the ledger."""
        given = decimal("total_given_mg", total_given_mg).quantize(MG, ROUND_HALF_UP)
        if given > self.drawn_mg - self.wasted_mg - self.returned_mg:
            raise LedgerRefused(
                f"{given:f} mg would be given but only {self.drawn_mg:f} mg was drawn up from the "
                "controlled-substance ledger for this session: draw up more first"
            )

    def with_disposed(self, kind: EntryKind, mg: Decimal) -> DoseAccount:
        """The account after wasting or returning ``mg`` of the rest; refused beyond the rest."""
        if kind not in (EntryKind.WASTE, EntryKind.RETURN_TO_STOCK):
            raise LedgerRefused("Only waste or a return to stock disposes of a drawn dose's rest")
        if mg > self.open_mg:
            raise LedgerRefused(
                f"Only {self.open_mg:f} mg of this dose is not given, wasted or returned; "
                f"{mg:f} mg cannot be {'wasted' if kind is EntryKind.WASTE else 'returned'}"
            )
        if kind is EntryKind.WASTE:
            return DoseAccount(
                self.drawn_mg, self.administered_mg, self.wasted_mg + mg, self.returned_mg
            )
        return DoseAccount(
            self.drawn_mg, self.administered_mg, self.wasted_mg, self.returned_mg + mg
        )


# --- witnesses ----------------------------------------------------------------------------------

WASTE_WITNESSES: Final = ConfigurableDefault[int](
    "waste_witnesses", "Licensed witnesses to the waste of a drawn dose", 1, "", WASTE, 1, 2
)
DESTRUCTION_WITNESSES: Final = ConfigurableDefault[int](
    "destruction_witnesses", "Witnesses to an on-site destruction (Form 41)", 2, "",
    DESTRUCTION, 2, 2,
)  # fmt: skip


@dataclass(frozen=True)
class Witness:
    """A person who confirmed an entry with their own credentials."""

    person: Hashable
    licensed: bool
    name: str = ""


def check_witnesses(
    *, what: str, recorder: Hashable, witnesses: Sequence[Witness], required: int
) -> None:
    """``required`` distinct licensed witnesses, none of them the person recording."""
    if len(witnesses) < required:
        raise LedgerRefused(
            f"{what.capitalize()} needs {required} witness{'es' if required > 1 else ''} who "
            "confirm with their own password"
        )
    people = [w.person for w in witnesses]
    if recorder in people:
        raise LedgerRefused(
            f"The witness to {what} must be someone other than the person recording it"
        )
    if len(set(people)) != len(people):
        raise LedgerRefused(f"The witnesses to {what} must be different people")
    for w in witnesses:
        if not w.licensed:
            raise LedgerRefused(
                f"{w.name or 'The witness'} is not licensed clinical staff at this clinic and "
                f"cannot witness {what}"
            )
