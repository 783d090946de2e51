"""Money splits (packages, a visit's discount over its lines, payments oldest first), billable
infusion minutes, and esketamine prior-authorisation warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.billing import billable_infusion_minutes, infusion_codes
from ketacare.clinical.billing_allocation import (
    allocate,
    package_session_price,
    settle_oldest_first,
    split_evenly,
)
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.prior_authorisation import (
    Approval,
    WarningKind,
    authorisation_warnings,
    check_transition,
)

D = Decimal
cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) / 100)


@pytest.mark.parametrize(
    ("total", "parts", "shares"),
    [
        (D("1000"), 3, (D("333.34"), D("333.33"), D("333.33"))),
        (D("2400"), 6, (D("400.00"),) * 6),
        (D("0.05"), 3, (D("0.02"), D("0.02"), D("0.01"))),
        (D("0"), 2, (D("0.00"), D("0.00"))),
    ],
)
def test_split_evenly_adds_up_and_puts_left_over_cents_first(total, parts, shares):
    assert split_evenly(total=total, parts=parts) == shares


@given(total=cents, parts=st.integers(min_value=1, max_value=40))
def test_package_sessions_add_up_to_the_package_price(total, parts):
    prices = [
        package_session_price(package_price=total, sessions=parts, session_number=n)
        for n in range(1, parts + 1)
    ]
    assert sum(prices) == total
    assert max(prices) - min(prices) <= D("0.01")


@pytest.mark.parametrize("number", [0, 7, True])
def test_a_session_outside_the_package_is_refused(number):
    with pytest.raises(ClinicalRuleError, match="outside the package"):
        package_session_price(package_price=D("2400"), sessions=6, session_number=number)


def test_split_refuses_a_float_or_no_parts():
    with pytest.raises(ClinicalRuleError, match="Decimal amount"):
        split_evenly(total=100.0, parts=2)
    with pytest.raises(ClinicalRuleError, match="at least 1"):
        split_evenly(total=D("100"), parts=0)


def test_a_visit_discount_is_shared_in_proportion_to_the_lines():
    # 40 % off $550 + $300 (+ $10 drug): $344.00 of discount over three lines.
    assert allocate(total=D("344.00"), weights=[D("550"), D("300"), D("10")]) == (
        D("220.00"), D("120.00"), D("4.00"))
    # Left-over cents go to the largest remainders, ties to the earlier line.
    assert allocate(total=D("0.10"), weights=[D("1"), D("1"), D("1")]) == (
        D("0.04"), D("0.03"), D("0.03"))


@given(
    weights=st.lists(cents, min_size=1, max_size=8).filter(lambda w: sum(w) > 0),
    fraction=st.fractions(min_value=0, max_value=1),
)
def test_allocation_adds_up_and_never_exceeds_a_line(weights, fraction):
    whole = sum(weights)
    total = (whole * fraction.numerator / fraction.denominator).quantize(D("0.01"))
    total = min(total, whole)
    shares = allocate(total=total, weights=weights)
    assert sum(shares) == total
    assert all(D(0) <= s <= w for s, w in zip(shares, weights, strict=True))


def test_allocation_over_nothing_is_refused():
    with pytest.raises(ClinicalRuleError, match=r"all \$0\.00"):
        allocate(total=D("1.00"), weights=[D("0")])
    with pytest.raises(ClinicalRuleError, match="Nothing to allocate"):
        allocate(total=D("1.00"), weights=[])


def test_payments_settle_the_oldest_charges_first():
    settled = settle_oldest_first(
        charges=[("C1", D("300")), ("C2", D("200")), ("C3", D("100"))], credits=D("350")
    )
    assert [(s.reference, s.paid, s.outstanding) for s in settled] == [
        ("C1", D("300.00"), D("0.00")),
        ("C2", D("50.00"), D("150.00")),
        ("C3", D("0.00"), D("100.00")),
    ]
    assert settled[0].paid_in_full and not settled[1].paid_in_full
    # More refunded than received settles nothing.
    assert settle_oldest_first(charges=[("C1", D("10"))], credits=D("-5"))[0].paid == 0


@pytest.mark.parametrize(
    ("running", "minutes", "codes"),
    [
        (15.9, 15, [("96374", 1)]),  # a partial minute never moves the code up
        (16.0, 16, [("96365", 1)]),
        (40.0, 40, [("96365", 1)]),
        (90.99, 90, [("96365", 1)]),
        (91.0, 91, [("96365", 1), ("96366", 1)]),
    ],
)
def test_billable_minutes_are_the_whole_minutes_the_pump_ran(running, minutes, codes):
    assert billable_infusion_minutes(running_minutes=running) == minutes
    assert infusion_codes(minutes=minutes) == codes


@pytest.mark.parametrize("running", [0, 0.5, -3])
def test_no_running_time_is_refused(running):
    with pytest.raises(ClinicalRuleError, match="no infusion time to bill"):
        billable_infusion_minutes(running_minutes=running)


# --- prior authorisation ---------------------------------------------------------------------

TODAY = date(2026, 3, 2)
APPROVAL = Approval(starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31), units=8)


def kinds(warnings):
    return [w.kind for w in warnings]


def test_an_approval_well_inside_its_period_and_units_warns_of_nothing():
    assert authorisation_warnings(
        status="approved", approval=APPROVAL, used_units=4,
        booked=[date(2026, 3, 5), date(2026, 3, 9)], today=TODAY, warn_days=14,
    ) == ()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 16), []),  # 15 days left
        (date(2026, 3, 17), [WarningKind.EXPIRING]),  # 14 days left
        (date(2026, 3, 31), [WarningKind.EXPIRING]),  # last covered day
        (date(2026, 4, 1), [WarningKind.EXPIRED]),
    ],
)
def test_expiry_warns_from_the_warning_window_on(today, expected):
    assert kinds(authorisation_warnings(
        status="approved", approval=APPROVAL, used_units=0, booked=[], today=today, warn_days=14,
    )) == expected


def test_sessions_booked_after_the_period_or_beyond_the_units_are_named():
    warnings = authorisation_warnings(
        status="approved", approval=APPROVAL, used_units=6,
        booked=[date(2026, 3, 3), date(2026, 3, 5), date(2026, 3, 10), date(2026, 4, 2)],
        today=TODAY, warn_days=14,
    )
    assert kinds(warnings) == [WarningKind.BOOKED_AFTER_PERIOD, WarningKind.UNITS_EXCEEDED]
    assert warnings[0].dates == (date(2026, 4, 2),)
    assert "after the authorised period ends on Tue 31 Mar 2026" in warnings[0].message
    assert warnings[1].dates == (date(2026, 3, 10),)  # 8 approved, 6 used: the third is over
    assert "8 session(s) approved, 6 used, 3 booked" in warnings[1].message


@pytest.mark.parametrize(
    ("status", "kind"), [("submitted", WarningKind.PENDING), ("appealed", WarningKind.PENDING),
                         ("denied", WarningKind.DENIED)]
)
def test_sessions_booked_without_an_approval_are_uncovered(status, kind):
    (warning,) = authorisation_warnings(
        status=status, approval=None, used_units=0, booked=[date(2026, 3, 5)], today=TODAY,
        warn_days=14,
    )
    assert warning.kind is kind and "1 session(s) booked without cover" in warning.message


@pytest.mark.parametrize(
    ("current", "to", "allowed"),
    [
        ("submitted", "approved", True), ("submitted", "denied", True),
        ("denied", "appealed", True), ("appealed", "approved", True),
        ("appealed", "denied", True), ("submitted", "appealed", False),
        ("approved", "denied", False), ("denied", "approved", False),
    ],
)
def test_status_changes_follow_the_payer_process(current, to, allowed):
    if allowed:
        check_transition(current, to)
    else:
        with pytest.raises(ClinicalRuleError, match=f"cannot become {to}"):
            check_transition(current, to)


def test_an_approval_needs_units_and_a_forward_period():
    with pytest.raises(ClinicalRuleError, match="at least 1"):
        Approval(starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1), units=0)
    with pytest.raises(ClinicalRuleError, match=r"ends .* before it starts"):
        Approval(starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1), units=4)
