"""Splitting money exactly: package prices per session, a visit's discount across its lines, and
payments against charges oldest first. Every split is in whole cents and adds up to the total.

These are bookkeeping rules, not reference facts: the reference (§9) is silent on them, so the
rules are stated here once and shown to billing staff where they apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from ketacare.clinical.billing import CENT, money
from ketacare.clinical.common import ClinicalRuleError

ZERO = Decimal("0.00")


def split_evenly(*, total: Decimal, parts: int) -> tuple[Decimal, ...]:
    """``total`` in ``parts`` shares that differ by at most a cent; the first shares carry the
    left-over cents ($1,000 in 3 → $333.34, $333.33, $333.33)."""
    total = money(total, "Amount to split")
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise ClinicalRuleError(f"Split into a whole number of parts of at least 1 (got {parts!r})")
    cents = int(total / CENT)
    base, extra = divmod(cents, parts)
    return tuple((base + (1 if n < extra else 0)) * CENT for n in range(parts))


def package_session_price(
    *, package_price: Decimal, sessions: int, session_number: int
) -> Decimal:
    """What session ``session_number`` (1-based) of a prepaid package draws down: the package
    price split evenly, so the sessions add up to the price exactly."""
    shares = split_evenly(total=package_price, parts=sessions)
    if isinstance(session_number, bool) or not isinstance(session_number, int) or not (
        1 <= session_number <= sessions
    ):
        raise ClinicalRuleError(
            f"Session {session_number!r} is outside the package's {sessions} sessions"
        )
    return shares[session_number - 1]


def allocate(*, total: Decimal, weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """``total`` shared in proportion to ``weights`` (largest remainder, ties to the earlier
    share): whole cents that add up to ``total``. A share never exceeds its weight when
    ``total`` does not exceed the sum of the weights."""
    total = money(total, "Amount to allocate")
    amounts = [money(w, "Allocation weight") for w in weights]
    whole = sum(amounts, ZERO)
    if not amounts:
        raise ClinicalRuleError("Nothing to allocate the amount to")
    if whole == 0:
        if total != 0:
            raise ClinicalRuleError("Cannot allocate an amount over lines that are all $0.00")
        return tuple(ZERO for _ in amounts)
    exact = [total * a / whole for a in amounts]
    floors = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((total - sum(floors, ZERO)) / CENT)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += CENT
    return tuple(floors)


@dataclass(frozen=True)
class Settled:
    """How much of one charge the account's payments cover (oldest charge first)."""

    reference: str
    amount: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    @property
    def paid_in_full(self) -> bool:
        return self.paid == self.amount


def settle_oldest_first(
    *, charges: Sequence[tuple[str, Decimal]], credits: Decimal
) -> tuple[Settled, ...]:
    """Apply ``credits`` (money received less money refunded) to the charges in the order given,
    oldest first; what is left stays a credit on the account. Write-offs are not payments: a
    written-off charge shows what was paid on it, not the write-off."""
    remaining = money(credits, "Credits", signed=True)
    settled = []
    for reference, amount in charges:
        amount = money(amount, f"Charge {reference}")
        paid = min(amount, max(remaining, ZERO))
        remaining -= paid
        settled.append(Settled(reference, amount, paid))
    return tuple(settled)
