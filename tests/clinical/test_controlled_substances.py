"""The controlled-substance ledger's arithmetic and rules (clinical reference §8, §3.1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.clinical.common import Route
from ketacare.clinical.controlled_substances import (
    BIENNIAL_INVENTORY,
    DESTRUCTION_WITNESSES,
    ESKETAMINE_DEVICE,
    ESKETAMINE_NDC,
    FORMS_FOR_ROUTE,
    RULES,
    SETTINGS,
    WASTE_WITNESSES,
    ZERO,
    CountMethod,
    DoseAccount,
    Entry,
    EntryKind,
    InventoryKind,
    LedgerRefused,
    Product,
    ProductForm,
    Quantity,
    Witness,
    accept,
    add_years,
    balances,
    check_purge,
    check_registration,
    check_witnesses,
    correction_change,
    evaluate_count,
    first_negative,
    inventory_due,
    next_business_day,
    opened_container_method,
    quantity,
    registration_status,
    retained_until,
    significant_loss_steps,
    step_status,
    stock_change,
)

D = Decimal
VIAL_50 = Product(ProductForm.VIAL, D(50), D(10))  # ketamine 50 mg/mL, 10 mL vial
VIAL_100 = Product(ProductForm.VIAL, D(100), D(5))  # ketamine 100 mg/mL, 5 mL vial
TROCHES = Product(ProductForm.TABLET, D(100), D(30))  # 100 mg troches, 30 per bottle
BIG_BOTTLE = Product(ProductForm.TABLET, D(50), D(1200))


def q(mg, units) -> Quantity:
    return Quantity(D(str(mg)), D(str(units)))


# --- quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "given", "expected"),
    [
        (VIAL_50, {"mg": 35}, q(35, "0.7")),
        (VIAL_50, {"units": "0.7"}, q(35, "0.7")),
        (VIAL_50, {"containers": 10}, q(5000, 100)),
        (VIAL_100, {"mg": "33.33"}, q("33.33", "0.3333")),
        (ESKETAMINE_DEVICE, {"mg": 56}, q(56, 2)),
        (ESKETAMINE_DEVICE, {"units": 3}, q(84, 3)),
        (ESKETAMINE_DEVICE, {"containers": 2}, q(56, 2)),
        (TROCHES, {"containers": 1}, q(3000, 30)),
    ],
)
def test_a_quantity_is_kept_in_mg_and_in_the_products_unit(product, given, expected):
    assert quantity(product, **given) == expected


@pytest.mark.parametrize(
    ("product", "given", "refusal"),
    [
        (VIAL_50, {"mg": 0}, "more than zero"),
        (VIAL_50, {"mg": -5}, "more than zero"),
        (VIAL_50, {"mg": "abc"}, "must be a number"),
        (VIAL_50, {"mg": "NaN"}, "finite"),
        (VIAL_50, {"mg": 35, "units": "0.7"}, "Give the amount once"),
        (VIAL_50, {}, "Give the amount once"),
        (VIAL_50, {"containers": "1.5"}, "whole containers"),
        (VIAL_50, {"units": "0.00001"}, "finer than the ledger"),
        (VIAL_50, {"mg": "35.001"}, "not a measurable amount"),
        (ESKETAMINE_DEVICE, {"mg": 42}, "one by one"),
        (ESKETAMINE_DEVICE, {"units": "1.5"}, "one by one"),
    ],
)
def test_amounts_that_cannot_be_recorded_are_refused(product, given, refusal):
    with pytest.raises(LedgerRefused, match=refusal):
        quantity(product, **given)


def test_the_rest_of_a_partly_used_device_may_be_wasted_in_part_units():
    assert quantity(ESKETAMINE_DEVICE, mg=14, part_units=True) == q(14, "0.5")


def test_esketamine_is_recorded_per_28_mg_device_with_its_ndc():
    # source: S45
    assert ESKETAMINE_NDC == "50458-028"
    assert ESKETAMINE_DEVICE.mg_per_unit == 28
    assert ESKETAMINE_DEVICE.unit == "device"
    assert FORMS_FOR_ROUTE[Route.ESKETAMINE_NASAL] is ProductForm.NASAL_DEVICE
    assert FORMS_FOR_ROUTE[Route.RACEMIC_IV] is ProductForm.VIAL


# --- entries and balances: table-driven --------------------------------------------------------

SAFE, CART = ("ketamine-50", "lot-A", "safe"), ("ketamine-50", "lot-A", "cart")


def entries(*rows) -> list[Entry]:
    """rows of (kind, stock, mg, units[, sign]) -> entries with their signed change."""
    out = []
    for n, row in enumerate(rows, 1):
        kind, stock, mg, units, *sign = row
        change = stock_change(EntryKind(kind), q(mg, units), sign=sign[0] if sign else None)
        out.append(Entry(n, EntryKind(kind), stock, change))
    return out


BALANCE_CASES = [
    ("receipt only", [("receipt", SAFE, 5000, 100)], {SAFE: q(5000, 100)}),
    (
        "administration leaves stock",
        [("receipt", SAFE, 500, 10), ("administration", SAFE, 35, "0.7")],
        {SAFE: q(465, "9.3")},
    ),
    (
        "waste of a drawn dose has no stock effect",
        [
            ("receipt", SAFE, 500, 10),
            ("administration", SAFE, 35, "0.7"),
            ("waste", SAFE, 5, "0.1"),
        ],
        {SAFE: q(465, "9.3")},
    ),
    (
        "a transfer moves stock between locations",
        [
            ("receipt", SAFE, 1000, 20),
            ("transfer_out", SAFE, 500, 10),
            ("transfer_in", CART, 500, 10),
        ],
        {SAFE: q(500, 10), CART: q(500, 10)},
    ),
    (
        "returns, destruction, dispensing and loss all take from stock",
        [
            ("receipt", SAFE, 2000, 40),
            ("return_to_distributor", SAFE, 500, 10),
            ("destruction", SAFE, 500, 10),
            ("dispense", SAFE, 100, 2),
            ("loss", SAFE, 50, 1),
        ],
        {SAFE: q(850, 17)},
    ),
    (
        "adjustments go either way",
        [
            ("receipt", SAFE, 500, 10),
            ("count_adjustment", SAFE, 10, "0.2", -1),
            ("count_adjustment", SAFE, 5, "0.1", 1),
        ],
        {SAFE: q(495, "9.9")},
    ),
    (
        "an unused device goes back to stock",
        [
            ("receipt", SAFE, 84, 3),
            ("administration", SAFE, 84, 3),
            ("return_to_stock", SAFE, 28, 1),
        ],
        {SAFE: q(28, 1)},
    ),
]


@pytest.mark.parametrize(
    ("label", "rows", "expected"), BALANCE_CASES, ids=[c[0] for c in BALANCE_CASES]
)
def test_balances_are_the_sum_of_signed_entries(label, rows, expected):
    assert balances(entries(*rows)) == expected
    assert first_negative(entries(*rows)) is None


REFUSAL_CASES = [
    ("administration with nothing received", [], ("administration", SAFE, 35, "0.7")),
    ("more than on hand", [("receipt", SAFE, 30, "0.6")], ("administration", SAFE, 35, "0.7")),
    (
        "stock at another location does not count",
        [("receipt", CART, 500, 10)],
        ("administration", SAFE, 35, "0.7"),
    ),
    ("a loss larger than the stock", [("receipt", SAFE, 10, "0.2")], ("loss", SAFE, 50, 1)),
    (
        "a shortage adjustment below zero",
        [("receipt", SAFE, 10, "0.2")],
        ("count_adjustment", SAFE, 20, "0.4", -1),
    ),
]


@pytest.mark.parametrize(
    ("label", "before", "candidate"), REFUSAL_CASES, ids=[c[0] for c in REFUSAL_CASES]
)
def test_an_entry_that_takes_a_balance_below_zero_is_refused_with_a_clear_message(
    label, before, candidate
):
    existing = entries(*before)
    kind, stock, mg, units, *sign = candidate
    change = stock_change(EntryKind(kind), q(mg, units), sign=sign[0] if sign else None)
    with pytest.raises(LedgerRefused, match="below zero") as refused:
        accept(existing, Entry("new", EntryKind(kind), stock, change), label="lot A in the safe")
    assert "lot A in the safe" in str(refused.value)
    assert "on hand" in str(refused.value)


def test_a_count_adjustment_needs_a_direction():
    with pytest.raises(LedgerRefused, match="shortage"):
        stock_change(EntryKind.COUNT_ADJUSTMENT, q(5, "0.1"))


def test_a_zero_amount_is_no_entry():
    with pytest.raises(LedgerRefused, match="more than zero"):
        stock_change(EntryKind.RECEIPT, ZERO)


# --- corrections --------------------------------------------------------------------------------


def test_a_correction_is_a_new_entry_that_reverses_the_one_it_corrects():
    ledger = entries(("receipt", SAFE, 500, 10), ("administration", SAFE, 35, "0.7"))
    wrong = ledger[1]
    fix = Entry("fix", EntryKind.CORRECTION, SAFE, correction_change(wrong), corrects=wrong.ref)
    assert accept(ledger, fix) == q(500, 10)
    assert balances([*ledger, fix]) == {SAFE: q(500, 10)}


def test_an_entry_is_corrected_once_and_a_correction_is_not_corrected():
    ledger = entries(("receipt", SAFE, 500, 10))
    fix = Entry("fix", EntryKind.CORRECTION, SAFE, correction_change(ledger[0]), corrects=1)
    with pytest.raises(LedgerRefused, match="already been corrected"):
        accept([*ledger, fix], Entry("again", EntryKind.CORRECTION, SAFE, fix.change, corrects=1))
    with pytest.raises(LedgerRefused, match="cannot be corrected"):
        correction_change(fix)


def test_a_correction_must_exactly_reverse_its_original():
    ledger = entries(("receipt", SAFE, 500, 10))
    with pytest.raises(LedgerRefused, match="exactly reverse"):
        accept(ledger, Entry("fix", EntryKind.CORRECTION, SAFE, q(-400, -8), corrects=1))
    with pytest.raises(LedgerRefused, match="not in this ledger"):
        accept(ledger, Entry("fix", EntryKind.CORRECTION, SAFE, q(-500, -10), corrects=99))


def test_correcting_a_receipt_whose_stock_was_used_is_refused_below_zero():
    ledger = entries(("receipt", SAFE, 500, 10), ("administration", SAFE, 100, 2))
    fix = Entry("fix", EntryKind.CORRECTION, SAFE, correction_change(ledger[0]), corrects=1)
    with pytest.raises(LedgerRefused, match="below zero"):
        accept(ledger, fix)


# --- a drawn dose -------------------------------------------------------------------------------


def test_a_drawn_dose_is_given_wasted_or_returned_and_never_more():
    account = DoseAccount(drawn_mg=D(56), administered_mg=D(28))
    assert account.open_mg == 28
    returned = account.with_disposed(EntryKind.RETURN_TO_STOCK, D(28))
    assert returned.open_mg == 0
    with pytest.raises(LedgerRefused, match="cannot be wasted"):
        returned.with_disposed(EntryKind.WASTE, D("0.01"))
    with pytest.raises(LedgerRefused, match="More is accounted for"):
        DoseAccount(drawn_mg=D(35), administered_mg=D(36))


def test_a_session_cannot_give_more_than_was_drawn_for_it():
    account = DoseAccount(drawn_mg=D(56), administered_mg=D(28))
    account.check_given(56)
    with pytest.raises(LedgerRefused, match="draw up more"):
        account.check_given(84)
    with pytest.raises(LedgerRefused, match="draw up more"):
        account.with_disposed(EntryKind.RETURN_TO_STOCK, D(28)).check_given(56)


# --- witnesses ----------------------------------------------------------------------------------


def test_waste_needs_one_licensed_witness_other_than_the_recorder():
    nurse, other = Witness("nurse", True), Witness("rn2", True)
    check_witnesses(what="waste", recorder="nurse", witnesses=[other], required=1)
    with pytest.raises(LedgerRefused, match="someone other"):
        check_witnesses(what="waste", recorder="nurse", witnesses=[nurse], required=1)
    with pytest.raises(LedgerRefused, match="needs 1 witness"):
        check_witnesses(what="waste", recorder="nurse", witnesses=[], required=1)
    with pytest.raises(LedgerRefused, match="not licensed"):
        check_witnesses(
            what="waste", recorder="nurse", witnesses=[Witness("desk", False, "Fran")], required=1
        )


def test_destruction_needs_two_different_witnesses():
    a, b = Witness("a", True), Witness("b", True)
    check_witnesses(what="destruction", recorder="md", witnesses=[a, b], required=2)
    with pytest.raises(LedgerRefused, match="different people"):
        check_witnesses(what="destruction", recorder="md", witnesses=[a, a], required=2)
    with pytest.raises(LedgerRefused, match="2 witnesses"):
        check_witnesses(what="destruction", recorder="md", witnesses=[a], required=2)


def test_unverified_witness_rules_take_the_safer_reading_and_say_so():
    assert WASTE_WITNESSES.value == 1 and WASTE_WITNESSES.minimum == 1
    assert DESTRUCTION_WITNESSES.value == 2 and DESTRUCTION_WITNESSES.minimum == 2
    assert not WASTE_WITNESSES.provenance.verified
    assert not DESTRUCTION_WITNESSES.provenance.verified
    assert "(unverified)" in WASTE_WITNESSES.provenance.cite()


# --- counts -------------------------------------------------------------------------------------

COUNT_CASES = [
    # product, derived (mg, units), sealed, opened units, tolerance, discrepancy?, difference units
    ("exact match", VIAL_50, (1000, 20), 2, 0, None, False, 0),
    ("one vial missing", VIAL_50, (1000, 20), 1, 0, None, True, -10),
    ("opened vial estimated, no tolerance set", VIAL_50, (965, "19.3"), 1, 9, None, True, "-0.3"),
    ("opened vial estimated within tolerance", VIAL_50, (965, "19.3"), 1, 9, "0.5", False, "-0.3"),
    ("opened vial beyond tolerance", VIAL_50, (965, "19.3"), 1, 8, "0.5", True, "-1.3"),
    ("overage", VIAL_50, (500, 10), 2, 0, None, True, 10),
    ("devices counted one by one", ESKETAMINE_DEVICE, (84, 3), 2, 0, "5", True, -1),
    ("big bottle opened: exact count only", BIG_BOTTLE, (60000, 1200), 0, 1199, "5", True, -1),
]


@pytest.mark.parametrize(
    ("label", "product", "derived", "sealed", "opened", "tolerance", "discrepancy", "diff"),
    COUNT_CASES,
    ids=[c[0] for c in COUNT_CASES],
)
def test_a_count_against_the_derived_balance(
    label, product, derived, sealed, opened, tolerance, discrepancy, diff
):
    finding = evaluate_count(
        product,
        stock=SAFE,
        derived=q(*derived),
        sealed_containers=sealed,
        opened_units=opened,
        tolerance_units=tolerance,
    )
    assert finding.is_discrepancy is discrepancy
    assert finding.difference.units == D(str(diff))
    assert finding.difference.mg == product.mg_of(D(str(diff)))


def test_opened_containers_may_be_estimated_unless_above_1000_units():
    # source: S121
    assert opened_container_method(VIAL_50) is CountMethod.ESTIMATE
    assert opened_container_method(TROCHES) is CountMethod.ESTIMATE
    assert opened_container_method(BIG_BOTTLE) is CountMethod.EXACT


@pytest.mark.parametrize(
    ("product", "sealed", "opened", "refusal"),
    [
        (VIAL_50, "1.5", 0, "whole number"),
        (VIAL_50, -1, 0, "whole number"),
        (VIAL_50, 1, -1, "negative"),
        (ESKETAMINE_DEVICE, 0, "0.5", "one by one"),
    ],
)
def test_impossible_counts_are_refused(product, sealed, opened, refusal):
    with pytest.raises(LedgerRefused, match=refusal):
        evaluate_count(
            product, stock=SAFE, derived=ZERO, sealed_containers=sealed, opened_units=opened
        )


# --- theft or significant loss ------------------------------------------------------------------

LOSS_CASES = [
    # discovered on, notice due (1 business day), Form 106 due (45 days). source: S22, S23
    (dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 4, 17)),  # Monday
    (dt.date(2025, 3, 7), dt.date(2025, 3, 10), dt.date(2025, 4, 21)),  # Friday -> Monday
    (dt.date(2025, 3, 8), dt.date(2025, 3, 10), dt.date(2025, 4, 22)),  # Saturday -> Monday
    (dt.date(2025, 12, 24), dt.date(2025, 12, 25), dt.date(2026, 2, 7)),  # holidays not skipped
]


@pytest.mark.parametrize(("discovered", "notice", "form_106"), LOSS_CASES)
def test_significant_loss_deadlines(discovered, notice, form_106):
    notice_step, form_step = significant_loss_steps(discovered)
    assert (notice_step.id, notice_step.due_on) == ("field_division_notice", notice)
    assert (form_step.id, form_step.due_on) == ("form_106", form_106)
    assert notice_step.provenance.sources == ("S22", "S23")


def test_loss_step_status():
    step = significant_loss_steps(dt.date(2025, 3, 3))[0]
    assert step_status(step, done_on=None, today=dt.date(2025, 3, 4)) == "due"
    assert step_status(step, done_on=None, today=dt.date(2025, 3, 5)) == "overdue"
    assert step_status(step, done_on=dt.date(2025, 3, 4), today=dt.date(2025, 3, 9)) == "done"
    assert step_status(step, done_on=dt.date(2025, 3, 6), today=dt.date(2025, 3, 9)) == "done_late"


def test_next_business_day_skips_weekends():
    assert next_business_day(dt.date(2025, 3, 7)) == dt.date(2025, 3, 10)
    assert next_business_day(dt.date(2025, 3, 6), 2) == dt.date(2025, 3, 10)


# --- inventories, retention, registration -------------------------------------------------------


def test_the_initial_inventory_is_due_the_day_controlled_substances_are_first_handled():
    due = inventory_due(dt.date(2025, 1, 6), [])
    assert (due.kind, due.due_on) == (InventoryKind.INITIAL, dt.date(2025, 1, 6))
    assert inventory_due(None, []).due_on is None


@pytest.mark.parametrize(
    ("taken", "due_on"),
    [
        ([dt.date(2025, 1, 6)], dt.date(2027, 1, 6)),
        ([dt.date(2023, 5, 1), dt.date(2025, 1, 6)], dt.date(2027, 1, 6)),
        ([dt.date(2024, 2, 29)], dt.date(2026, 2, 28)),  # never later than 24 months
    ],
)
def test_the_biennial_inventory_is_due_within_24_months_of_the_previous(taken, due_on):
    due = inventory_due(dt.date(2020, 1, 1), taken)
    assert (due.kind, due.due_on, due.provenance) == (
        InventoryKind.BIENNIAL,
        due_on,
        BIENNIAL_INVENTORY,
    )
    assert due.is_overdue(due_on + dt.timedelta(days=1))
    assert not due.is_overdue(due_on)


def test_records_are_kept_at_least_two_years():
    # source: S21
    assert retained_until(dt.date(2025, 3, 1)) == dt.date(2027, 3, 1)
    assert retained_until(dt.date(2025, 3, 1), years=1) == dt.date(2027, 3, 1)  # never less
    assert retained_until(dt.date(2025, 3, 1), years=5) == dt.date(2030, 3, 1)
    with pytest.raises(LedgerRefused, match="must be kept until 2027-03-01"):
        check_purge(dt.date(2025, 3, 1), today=dt.date(2027, 2, 28))
    check_purge(dt.date(2025, 3, 1), today=dt.date(2027, 3, 1))


def test_registration_status_and_lapse():
    today = dt.date(2025, 6, 1)
    assert registration_status(dt.date(2026, 1, 1), today=today, warn_days=90).warning is False
    near = registration_status(dt.date(2025, 7, 1), today=today, warn_days=90)
    assert near.valid and near.warning and near.days_left == 30
    lapsed = registration_status(dt.date(2025, 5, 31), today=today, warn_days=90)
    assert not lapsed.valid and "expired" in lapsed.message
    with pytest.raises(LedgerRefused, match="expired"):
        check_registration(expires_on=dt.date(2025, 5, 31), schedules=["III"], today=today)
    with pytest.raises(LedgerRefused, match="Schedule III"):
        check_registration(expires_on=dt.date(2026, 1, 1), schedules=["II"], today=today)
    with pytest.raises(LedgerRefused, match="Record the clinic's DEA registration"):
        check_registration(expires_on=None, schedules=[], today=today)
    check_registration(expires_on=dt.date(2026, 1, 1), schedules=["II", "III"], today=today)


def test_add_years():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)


# --- the rules shown to the medical director ----------------------------------------------------


def test_every_rule_names_its_source_and_memory_rules_are_unverified():
    by_id = {rule.id: rule for rule in RULES}
    unverified = {rule.id for rule in RULES if not rule.provenance.verified}
    assert unverified == {"invoices", "dispensing", "waste", "destruction", "separate"}
    for rule in RULES:
        assert rule.provenance.sources, rule.id
    assert by_id["loss"].provenance.sources == ("S22", "S23")
    assert by_id["retention"].provenance.sources == ("S21",)
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
