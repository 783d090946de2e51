"""Properties of the ledger: whatever sequence of entries is offered, the accepted ones sum to
every balance, and no running balance is ever below zero."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.controlled_substances import (
    DIRECTION,
    ZERO,
    Entry,
    EntryKind,
    LedgerRefused,
    Product,
    ProductForm,
    accept,
    balances,
    correction_change,
    first_negative,
    quantity,
    running_balances,
    stock_change,
)

VIAL = Product(ProductForm.VIAL, Decimal(50), Decimal(10))
STOCKS = [("ketamine", lot, place) for lot in ("A", "B") for place in ("safe", "cart")]
KINDS = [k for k in EntryKind if k is not EntryKind.CORRECTION]

offer = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(STOCKS),
    st.integers(min_value=1, max_value=20_000).map(lambda n: Decimal(n) / 100),  # 0.01..200 mL
    st.sampled_from([1, -1]),
    st.integers(min_value=0, max_value=50),  # which earlier entry a correction would reverse
    st.booleans(),  # offer a correction instead
)


def _play(offers) -> tuple[list[Entry], int]:
    accepted: list[Entry] = []
    refused = 0
    for n, (kind, stock, units, sign, target, correct) in enumerate(offers):
        if correct and accepted:
            original = accepted[target % len(accepted)]
            try:
                change = correction_change(original)
            except LedgerRefused:
                refused += 1
                continue
            candidate = Entry(n, EntryKind.CORRECTION, original.stock, change, original.ref)
        else:
            amount = quantity(VIAL, units=units)
            change = stock_change(kind, amount, sign=sign if DIRECTION[kind] is None else None)
            candidate = Entry(n, kind, stock, change)
        try:
            accept(accepted, candidate)
        except LedgerRefused:
            refused += 1
            continue
        accepted.append(candidate)
    return accepted, refused


@given(st.lists(offer, max_size=60))
def test_balance_is_the_sum_of_the_signed_entries(offers):
    accepted, _ = _play(offers)
    result = balances(accepted)
    for stock in STOCKS:
        mine = [e for e in accepted if e.stock == stock]
        total = sum((e.change for e in mine), ZERO)
        assert result.get(stock, ZERO) == total


@given(st.lists(offer, max_size=60))
def test_no_running_balance_is_ever_negative_after_accepted_entries(offers):
    accepted, _ = _play(offers)
    assert first_negative(accepted) is None
    for _, after in running_balances(accepted):
        assert after.mg >= 0 and after.units >= 0


@given(st.lists(offer, max_size=60))
def test_mg_and_units_stay_in_step(offers):
    """Each balance's mg is its units at the vial's concentration (to the 0.01 mg kept)."""
    accepted, _ = _play(offers)
    for balance in balances(accepted).values():
        assert abs(balance.mg - balance.units * VIAL.mg_per_unit) <= Decimal("0.01") * len(accepted)


@given(st.lists(offer, min_size=1, max_size=40))
def test_each_entry_is_corrected_at_most_once(offers):
    accepted, _ = _play(offers)
    corrected = [e.corrects for e in accepted if e.corrects is not None]
    assert len(corrected) == len(set(corrected))
