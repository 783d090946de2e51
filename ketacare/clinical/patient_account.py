"""A patient account's ledger arithmetic: charges, payments, refunds and adjustments in Decimal
dollars, with the running balance. Never float; every amount is whole cents (see ``billing.money``).

A payment lowers the balance (deposits and package prepayments too, leaving a credit); a refund
returns money from one earlier payment and raises the balance again, never by more than is left of
that payment; an adjustment is signed (a write-off is negative). A negative balance is a credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.billing import money, money_text
from ketacare.clinical.common import ClinicalRuleError


class EntryKind(StrEnum):
    CHARGE = "charge"  # raises the balance
    PAYMENT = "payment"  # lowers it (deposits and package prepayments too: a credit)
    REFUND = "refund"  # money returned on one payment: raises it again
    ADJUSTMENT = "adjustment"  # signed: a write-off is negative, a correction may be positive


# How each kind moves what the patient owes (an adjustment's amount carries its own sign).
BALANCE_SIGN: dict[EntryKind, int] = {
    EntryKind.CHARGE: 1,
    EntryKind.PAYMENT: -1,
    EntryKind.REFUND: 1,
    EntryKind.ADJUSTMENT: 1,
}


@dataclass(frozen=True)
class LedgerEntry:
    """One posted entry. ``reference`` is unique in the account so a retried post is recognised."""

    reference: str
    kind: EntryKind
    amount: Decimal  # above 0, except an adjustment: signed, not zero
    refunds_payment: str | None = None  # a refund names the payment it returns money from

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", EntryKind(self.kind))
        except ValueError:
            raise ClinicalRuleError(f"Unknown ledger entry kind {self.kind!r}") from None
        name = f"{self.kind.value.capitalize()} {self.reference}"
        amount = money(self.amount, name, signed=self.kind is EntryKind.ADJUSTMENT)
        object.__setattr__(self, "amount", amount)
        if amount == 0:
            raise ClinicalRuleError(f"{name} is $0.00: nothing to post")
        if (self.kind is EntryKind.REFUND) != bool(self.refunds_payment):
            raise ClinicalRuleError(f"{name}: a refund, and only a refund, names its payment")


@dataclass(frozen=True)
class LedgerLine:
    entry: LedgerEntry
    balance: Decimal  # what the patient owes after this entry; negative is a credit


def running_balance(entries: Sequence[LedgerEntry]) -> tuple[LedgerLine, ...]:
    """Each entry in order with the balance after it. Refuses a reference seen before and a
    refund of more than is left of the payment it names (which must come earlier)."""
    balance = Decimal("0.00")
    refundable: dict[str, Decimal] = {}  # payment reference -> amount not yet refunded
    seen: set[str] = set()
    lines: list[LedgerLine] = []
    for entry in entries:
        if entry.reference in seen:
            raise ClinicalRuleError(f"Ledger entry {entry.reference} appears twice")
        seen.add(entry.reference)
        if entry.kind is EntryKind.PAYMENT:
            refundable[entry.reference] = entry.amount
        elif entry.kind is EntryKind.REFUND:
            payment = entry.refunds_payment or ""
            if payment not in refundable:
                raise ClinicalRuleError(f"Refund {entry.reference} names {payment!r}, which is "
                                        "not an earlier payment of this account")
            if entry.amount > refundable[payment]:
                raise ClinicalRuleError(
                    f"Refund {entry.reference} of {money_text(entry.amount)} is more than the "
                    f"{money_text(refundable[payment])} left to refund on payment {payment}"
                )
            refundable[payment] -= entry.amount
        balance += BALANCE_SIGN[entry.kind] * entry.amount
        lines.append(LedgerLine(entry, balance))
    return tuple(lines)


def account_balance(entries: Sequence[LedgerEntry]) -> Decimal:
    """What the patient owes after all entries (negative: the clinic owes a credit)."""
    lines = running_balance(entries)
    return lines[-1].balance if lines else Decimal("0.00")
