"""Billing core: poverty-guideline percentages (reference §9.1), CPT timing and G-code boundaries
(§9), sliding-scale band tables and fees, session charge lines, and the account ledger."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.billing import (
    INFUSION_CODES_PROVENANCE,
    INJECTION_CODE_PROVENANCE,
    POVERTY_GUIDELINES,
    Service,
    SessionChargeFacts,
    SlidingScaleBand,
    SlidingScaleTable,
    charge_lines_for_session,
    drug_code,
    esketamine_visit_code,
    fpl_assessment,
    fpl_percent,
    infusion_codes,
    money,
    poverty_guideline,
    sliding_scale_fee,
)
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.patient_account import (
    EntryKind,
    LedgerEntry,
    account_balance,
    running_balance,
)

D = Decimal

# --- FPL (§9.1) ----------------------------------------------------------------------------------

# The reference's worked 2025 table for the 48 contiguous states + DC [S24][S25].
WORKED_2025 = [
    (1, 15_650), (2, 21_150), (3, 26_650), (4, 32_150),
    (5, 37_650), (6, 43_150), (7, 48_650), (8, 54_150),
]


@pytest.mark.parametrize(("household_size", "guideline_usd"), WORKED_2025)
def test_2025_contiguous_guideline_matches_the_worked_table(household_size, guideline_usd):
    guideline = poverty_guideline(year=2025, region="contiguous")
    assert guideline.for_household(household_size) == guideline_usd
    assert fpl_percent(annual_income=guideline_usd, household_size=household_size) == 100.0
    assert fpl_percent(annual_income=guideline_usd * 2, household_size=household_size) == 200.0


def test_fpl_percent_is_income_over_guideline():
    assert fpl_percent(annual_income=37_843, household_size=3) == pytest.approx(142.0)
    assert fpl_percent(annual_income=D("7825.00"), household_size=1) == 50.0
    assert fpl_percent(annual_income=0, household_size=4) == 0.0
    assert fpl_percent(annual_income=15650.0, household_size=1) == 100.0


@pytest.mark.parametrize(
    ("region", "first", "additional"), [("alaska", 19_550, 6_880), ("hawaii", 17_990, 6_330)]
)
def test_alaska_and_hawaii_rows_are_unverified(region, first, additional):
    guideline = poverty_guideline(year=2025, region=region)
    assert (guideline.first_person_usd, guideline.each_additional_person_usd) == (first, additional)
    assert guideline.provenance.verified is False
    assert "unverified" in guideline.provenance.cite()
    assert fpl_percent(annual_income=first + additional, household_size=2, region=region) == 100.0


def test_contiguous_row_is_verified_with_its_sources():
    provenance = POVERTY_GUIDELINES[2025]["contiguous"].provenance
    assert provenance.verified and provenance.sources == ("S24", "S25")


def test_assessment_describes_the_household_for_the_statement():
    assessment = fpl_assessment(annual_income=37_843, household_size=3)
    assert assessment.describe() == (
        "Household of 3 at 142 % of the 2025 poverty guideline (contiguous states)"
    )
    assert assessment.guideline.for_household(3) == 26_650


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 2026}, "no poverty guideline table for 2026 (tables: 2025)"),
        ({"year": 2024}, "no poverty guideline table for 2024"),
        ({"region": "guam"}, "no 2025 poverty guideline for region 'guam'"),
        ({"region": "Alaska"}, "expected one of contiguous, alaska, hawaii"),
        ({"annual_income": -1}, "Annual household income cannot be negative"),
        ({"annual_income": float("nan")}, "Annual household income must be a finite number"),
        ({"annual_income": float("inf")}, "Annual household income must be a finite number"),
        ({"annual_income": D("Infinity")}, "Annual household income must be a finite number"),
        ({"annual_income": True}, "Annual household income must be a number, not True"),
        ({"annual_income": "30000"}, "Annual household income must be a number"),
        ({"household_size": 0}, "Household size must be at least 1 (got 0)"),
        ({"household_size": -2}, "Household size must be at least 1"),
        ({"household_size": 2.5}, "Household size must be a whole number, not 2.5"),
        ({"household_size": 3.0}, "Household size must be a whole number"),
        ({"household_size": True}, "Household size must be a whole number, not True"),
        ({"year": 2025.0}, "Guideline year must be a whole number"),
    ],
)
def test_fpl_refusals(kwargs, message):
    arguments = {"annual_income": 30_000, "household_size": 3, **kwargs}
    with pytest.raises(ClinicalRuleError, match=re.escape(message)):
        fpl_percent(**arguments)


# --- CPT infusion timing (§9, [memory, verify]) --------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "codes"),
    [
        (1, [("96374", 1)]),
        (15, [("96374", 1)]),
        (16, [("96365", 1)]),
        (40, [("96365", 1)]),
        (90, [("96365", 1)]),
        (91, [("96365", 1), ("96366", 1)]),
        (120, [("96365", 1), ("96366", 1)]),
        (150, [("96365", 1), ("96366", 1)]),
        (151, [("96365", 1), ("96366", 2)]),
        (180, [("96365", 1), ("96366", 2)]),
        (210, [("96365", 1), ("96366", 2)]),
        (211, [("96365", 1), ("96366", 3)]),
        (270, [("96365", 1), ("96366", 3)]),
        (271, [("96365", 1), ("96366", 4)]),
    ],
)
def test_infusion_codes_at_every_timing_boundary(minutes, codes):
    assert infusion_codes(minutes=minutes) == codes


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "Infusion time \\(minutes\\) must be at least 1 \\(got 0\\)"),
        (-30, "must be at least 1"),
        (45.0, "must be a whole number, not 45.0"),
        (True, "must be a whole number, not True"),
        (None, "must be a whole number, not None"),
    ],
)
def test_infusion_codes_refusals(minutes, message):
    with pytest.raises(ClinicalRuleError, match=message):
        infusion_codes(minutes=minutes)


def test_infusion_and_injection_codes_are_marked_unverified():
    assert not INFUSION_CODES_PROVENANCE.verified
    assert not INJECTION_CODE_PROVENANCE.verified
    assert INFUSION_CODES_PROVENANCE.cite() == "§9 (unverified)"


@given(st.integers(min_value=16, max_value=6_000))
def test_each_additional_hour_counts_once_more_than_30_minutes_of_it_ran(minutes):
    # Independent count: hour k after the first counts when it has run more than 30 minutes.
    beyond_first_hour = minutes - 60
    expected = sum(1 for k in range(1, 101) if beyond_first_hour - 60 * (k - 1) > 30)
    codes = dict(infusion_codes(minutes=minutes))
    assert codes["96365"] == 1
    assert codes.get("96366", 0) == expected


# --- Esketamine G-codes [S122][S123][S124] --------------------------------------------------------


@pytest.mark.parametrize(
    ("dose_mg", "code"),
    [(28, "G2082"), (56, "G2082"), (D("56"), "G2082"), (56.0, "G2082"), (56.01, "G2083"),
     (D("56.01"), "G2083"), (84, "G2083")],
)
def test_esketamine_visit_code_boundary_at_56_mg(dose_mg, code):
    assert esketamine_visit_code(dose_mg=dose_mg) == code


@pytest.mark.parametrize(
    ("dose_mg", "message"),
    [(0, "must be above 0 mg \\(got 0 mg\\)"), (-28, "must be above 0 mg"),
     (True, "must be a number, not True"), (float("nan"), "must be a finite number"),
     ("56", "must be a number")],
)
def test_esketamine_visit_code_refusals(dose_mg, message):
    with pytest.raises(ClinicalRuleError, match=message):
        esketamine_visit_code(dose_mg=dose_mg)


# --- Drug codes (§9) -----------------------------------------------------------------------------


def test_esketamine_drug_code_follows_the_date_of_service():
    before = drug_code(route=Route.ESKETAMINE_NASAL, date_of_service=date(2025, 12, 31), dose_mg=84)
    after = drug_code(route=Route.ESKETAMINE_NASAL, date_of_service=date(2026, 1, 1), dose_mg=56)
    assert (before.code, before.units, before.provenance.verified) == ("S0013", 84, True)
    assert (after.code, after.units, after.provenance.verified) == ("J0013", 56, False)
    assert "1 mg per unit assumed" in after.provenance.note


def test_esketamine_drug_code_refusals():
    with pytest.raises(ClinicalRuleError, match="no esketamine drug code for Medicare from 2026"):
        drug_code(route="esketamine_nasal", date_of_service=date(2026, 2, 1), dose_mg=56,
                  medicare=True)
    with pytest.raises(ClinicalRuleError, match=re.escape("per 1 mg: 56.5 mg is not a whole")):
        drug_code(route="esketamine_nasal", date_of_service=date(2025, 2, 1), dose_mg=56.5)


@pytest.mark.parametrize("route", ["iv", "im", "sc"])
def test_ketamine_drug_is_unclassified_j3490_and_unverified(route):
    code = drug_code(route=route, date_of_service=date(2025, 6, 1), dose_mg=35)
    assert (code.code, code.units, code.provenance.verified) == ("J3490", 1, False)


@pytest.mark.parametrize("route", ["oral", "sublingual"])
def test_oral_and_sublingual_ketamine_have_no_drug_code(route):
    assert drug_code(route=route, date_of_service=date(2025, 6, 1), dose_mg=200) is None


# --- Sliding-scale band tables (clinic policy, §9.1) ---------------------------------------------


def band(label, above, up_to, *, off=None, fee=None):
    return SlidingScaleBand(label, above, up_to, discount_percent=off, fixed_fee=fee)


CLINIC_TABLE = SlidingScaleTable((
    band("≤100 %", 0, 100, off=60),
    band("101–150 %", 100, 150, off=40),
    band("151–200 %", 150, 200, off=20),
    band(">200 %", 200, None, off=0),
))


def test_the_statement_line_explains_band_discount_and_fee():
    assessment = fpl_assessment(annual_income=37_843, household_size=3)
    result = sliding_scale_fee(price=D("600.00"), fpl=assessment, table=CLINIC_TABLE)
    assert result.explanation == (
        "Household of 3 at 142 % of the 2025 poverty guideline (contiguous states): "
        "band ‘101–150 %’, 40 % off $600.00 = $360.00"
    )
    assert (result.band.label, result.fee, result.discount) == ("101–150 %", D("360.00"),
                                                                 D("240.00"))
    assert isinstance(result.fee, Decimal) and result.fee.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("fpl", "label"),
    [(0, "≤100 %"), (100, "≤100 %"), (100.004, "≤100 %"), (100.005, "101–150 %"),
     (150, "101–150 %"), (150.01, "151–200 %"), (200, "151–200 %"), (200.01, ">200 %"),
     (950, ">200 %")],
)
def test_band_bounds_are_inclusive_at_the_top_after_rounding_to_2_decimals(fpl, label):
    result = sliding_scale_fee(price=D("100"), fpl=fpl, table=CLINIC_TABLE)
    assert result.band.label == label


def test_bare_fpl_explanation_and_half_up_rounding():
    result = sliding_scale_fee(price=D("0.05"), fpl=120, table=SlidingScaleTable((
        band("all", 0, None, off=50),
    )))
    assert result.fee == D("0.03")  # 0.025 rounds half-up
    assert result.explanation == (
        "At 120 % of the poverty guideline: band ‘all’, 50 % off $0.05 = $0.03"
    )


def test_fixed_fee_band_and_a_fixed_fee_above_the_price():
    table = SlidingScaleTable((band("low", 0, D("137.5"), fee=D("75")),
                               band("rest", D("137.5"), None, off=0)))
    result = sliding_scale_fee(price=D("1200"), fpl=D("137.5"), table=table)
    assert (result.fee, result.discount) == (D("75.00"), D("1125.00"))
    assert result.explanation.endswith("band ‘low’, fixed fee $75.00 instead of $1,200.00")
    capped = sliding_scale_fee(price=D("50"), fpl=10, table=table)
    assert (capped.fee, capped.discount) == (D("50.00"), D("0.00"))
    assert "fixed fee $75.00 is above the price: $50.00" in capped.explanation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price": 600.0}, "Service price must be a Decimal amount of money, not 600.0"),
        ({"price": D("600.005")}, "Service price 600.005 has fractions of a cent"),
        ({"price": D("-1")}, "Service price cannot be negative"),
        ({"price": D("NaN")}, "Service price must be a finite, plausible amount"),
        ({"price": D("1E+30")}, "Service price must be a finite, plausible amount"),
        ({"fpl": -1}, "An FPL percentage cannot be negative"),
        ({"fpl": float("nan")}, "FPL percentage must be a finite number"),
    ],
)
def test_sliding_scale_fee_refusals(kwargs, message):
    with pytest.raises(ClinicalRuleError, match=message):
        sliding_scale_fee(**{"price": D("600"), "fpl": 120, "table": CLINIC_TABLE, **kwargs})


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ((), "add at least one band"),
        ((band(" ", 0, None, off=0),), "band 1 needs a label"),
        ((band("a", 0, None),), "band 1 ‘a’ needs a discount percentage or a fixed fee"),
        ((band("a", 0, None, off=10, fee=D("5")),), "has both a discount and a fixed fee"),
        ((band("a", 0, None, off=120),), "band 1 ‘a’ discount 120 % is outside 0–100 %"),
        ((band("a", 0, None, off=-5),), "discount -5 % is outside 0–100 %"),
        ((band("a", 0, 100, off=10), band("b", 100, 100, off=0), band("c", 100, None, off=0)),
         "band 2 ‘b’ ends at 100 %, not above its start 100 %"),
        ((band("a", 0, None, off=10), band("b", 100, None, off=0)),
         "band 1 ‘a’ has no upper bound but is not the last band"),
        ((band("a", 10, None, off=10),), "the first band starts at 10 %, not 0 %"),
        ((band("a", 0, 100, off=10), band("c", 150, None, off=0), band("b", 100, 150, off=5)),
         "bands are not in order: band 3 ‘b’ starts below band 2 ‘c’"),
        ((band("a", 0, 150, off=10), band("b", 100, None, off=0)),
         "band 2 ‘b’ overlaps band 1 between 100 % and 150 %"),
        ((band("a", 0, 100, off=10), band("b", 101, None, off=0)),
         "gap between 100 % and 101 %: households there would have no band"),
        ((band("a", 0, 100, off=10), band("b", 100, 200, off=0)),
         "the last band ends at 200 %: households above it would have no band"),
    ],
)
def test_invalid_band_tables_are_refused_with_the_reason(bands, message):
    with pytest.raises(ClinicalRuleError, match="Sliding-scale table: .*" + message):
        SlidingScaleTable(bands)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fee": D("-5")}, "Band ‘a’ fixed fee cannot be negative"),
        ({"fee": 5.5}, "Band ‘a’ fixed fee must be a Decimal amount of money"),
        ({"above": None}, "Band ‘a’ lower bound must be a number, not None"),
        ({"up_to": float("inf")}, "Band ‘a’ upper bound must be a finite number"),
        ({"off": "10"}, "Band ‘a’ discount must be a number"),
    ],
)
def test_band_values_are_refused_when_built(kwargs, message):
    arguments = {"above": 0, "up_to": None, "off": None, "fee": None, **kwargs}
    with pytest.raises(ClinicalRuleError, match=message):
        band("a", arguments["above"], arguments["up_to"], off=arguments["off"],
             fee=arguments["fee"])


def test_monotonicity_warnings_name_the_cheaper_higher_band():
    assert CLINIC_TABLE.monotonicity_warnings(prices=[D("600")]) == ()
    table = SlidingScaleTable((
        band("low", 0, 100, off=20), band("mid", 100, 200, off=50), band("high", 200, None,
                                                                          fee=D("100")),
    ))
    assert table.monotonicity_warnings() == (
        "band ‘mid’ is cheaper than the lower band ‘low’ (a larger discount)",
    )
    # Fixed fee next to a discount is only comparable with a price: $300 at 50 % off is $150.
    assert "band ‘high’ is cheaper than the lower band ‘mid’ for a price of $300.00" in (
        table.monotonicity_warnings(prices=[D("300")])
    )
    assert not any("‘high’" in w for w in table.monotonicity_warnings(prices=[D("150")]))


# Hypothesis: random band tables, built valid by construction.
money_st = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False)
price_st = st.decimals(min_value=0, max_value=20_000, places=2, allow_nan=False)
discount_st = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False)
fpl_st = st.decimals(min_value=0, max_value=1_000, places=2, allow_nan=False)


@st.composite
def tables(draw, monotone_discounts: bool = False):
    bounds = sorted(draw(st.sets(st.integers(1, 500), max_size=4)))
    lows = [0, *bounds]
    highs = [*bounds, None]
    if monotone_discounts:
        terms = sorted((draw(discount_st) for _ in lows), reverse=True)
        return SlidingScaleTable(tuple(
            band(f"b{i}", low, high, off=off) for i, (low, high, off) in
            enumerate(zip(lows, highs, terms, strict=True))
        ))
    rows = []
    for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
        if draw(st.booleans()):
            rows.append(band(f"b{i}", low, high, off=draw(discount_st)))
        else:
            rows.append(band(f"b{i}", low, high, fee=draw(money_st)))
    return SlidingScaleTable(tuple(rows))


@given(tables(), price_st, fpl_st)
def test_fee_is_never_negative_nor_above_the_price(table, price, fpl):
    result = sliding_scale_fee(price=price, fpl=fpl, table=table)
    assert D(0) <= result.fee <= price
    assert result.fee + result.discount == price
    assert result.fee == result.fee.quantize(D("0.01"))


@given(tables(monotone_discounts=True), price_st, fpl_st, fpl_st)
def test_a_higher_fpl_never_gets_a_larger_discount_in_a_monotone_table(table, price, a, b):
    assert table.monotonicity_warnings(prices=[price]) == ()
    low, high = sorted((a, b))
    assert (sliding_scale_fee(price=price, fpl=high, table=table).discount
            <= sliding_scale_fee(price=price, fpl=low, table=table).discount)


@given(tables(), price_st)
def test_monotonicity_warning_is_given_exactly_when_a_higher_band_costs_less(table, price):
    fees = [b.fee_for(price) for b in table.bands]
    cheaper_above = any(higher < lower for lower, higher in pairwise(fees))
    warnings = table.monotonicity_warnings(prices=[price])
    if cheaper_above:
        assert any("for a price of" in w for w in warnings)
    if not warnings:
        assert not cheaper_above


# --- Charge lines for a signed session -----------------------------------------------------------

FEES = {
    Service.IV_INFUSION: D("550.00"), Service.IV_INFUSION_ADDITIONAL_HOUR: D("150.00"),
    Service.IM_INJECTION: D("400.00"), Service.SC_INJECTION: D("380.00"),
    Service.SUBLINGUAL_SESSION: D("200.00"), Service.ORAL_SESSION: D("180.00"),
    Service.ESKETAMINE_SESSION: D("250.00"),
}
DAY = date(2025, 5, 6)


def lines_of(**kwargs):
    facts = SessionChargeFacts(**{"date_of_service": DAY, "fee_schedule": FEES, **kwargs})
    return [(ln.service.value, ln.code, ln.units, ln.unit_price, ln.amount)
            for ln in charge_lines_for_session(facts)]


def test_iv_session_codes_come_from_the_recorded_infusion_minutes():
    assert lines_of(route=Route.RACEMIC_IV, infusion_minutes=40, dose_mg=35) == [
        ("iv_infusion", "96365", 1, D("550.00"), D("550.00")),
    ]
    assert lines_of(route="iv", infusion_minutes=151) == [
        ("iv_infusion", "96365", 1, D("550.00"), D("550.00")),
        ("iv_infusion_additional_hour", "96366", 2, D("150.00"), D("300.00")),
    ]
    assert lines_of(route="iv", infusion_minutes=12) == [
        ("iv_infusion", "96374", 1, D("550.00"), D("550.00")),
    ]


def test_iv_lines_carry_the_unverified_cpt_provenance():
    facts = SessionChargeFacts(route="iv", date_of_service=DAY, fee_schedule=FEES,
                               infusion_minutes=100)
    assert {ln.provenance for ln in charge_lines_for_session(facts)} == {
        INFUSION_CODES_PROVENANCE
    }


def test_injections_and_lozenges():
    assert lines_of(route="im", dose_mg=50) == [("im_injection", "96372", 1, D("400.00"),
                                                 D("400.00"))]
    assert lines_of(route="sc", dose_mg=50) == [("sc_injection", "96372", 1, D("380.00"),
                                                 D("380.00"))]
    assert lines_of(route="sublingual", dose_mg=200) == [
        ("sublingual_session", None, 1, D("200.00"), D("200.00"))
    ]


def test_esketamine_session_g_code_and_priced_drug_by_date():
    fees = {**FEES, "esketamine_drug": D("12.50")}
    assert lines_of(route="esketamine_nasal", dose_mg=84, fee_schedule=fees,
                    date_of_service=date(2025, 12, 31)) == [
        ("esketamine_session", "G2083", 1, D("250.00"), D("250.00")),
        ("esketamine_drug", "S0013", 84, D("12.50"), D("1050.00")),
    ]
    assert lines_of(route="esketamine_nasal", dose_mg=56, fee_schedule=fees,
                    date_of_service=date(2026, 1, 1))[1] == (
        "esketamine_drug", "J0013", 56, D("12.50"), D("700.00"))


def test_drug_lines_only_when_the_clinic_prices_the_drug():
    assert lines_of(route="esketamine_nasal", dose_mg=56) == [
        ("esketamine_session", "G2082", 1, D("250.00"), D("250.00"))
    ]
    fees = {**FEES, "ketamine_drug": D("9.00")}
    assert lines_of(route="im", dose_mg=50, fee_schedule=fees)[1] == (
        "ketamine_drug", "J3490", 1, D("9.00"), D("9.00"))
    assert len(lines_of(route="oral", dose_mg=200, fee_schedule=fees)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"route": "iv"}, "An IV session needs its recorded infusion minutes"),
        ({"route": "im", "infusion_minutes": 10}, "only an IV session has them"),
        ({"route": "esketamine_nasal"}, "An esketamine session needs its dose in mg"),
        ({"route": "iv", "infusion_minutes": 0}, "must be at least 1"),
        ({"route": "iv", "infusion_minutes": 151,
          "fee_schedule": {"iv_infusion": D("500")}},
         "The fee schedule has no price for iv_infusion_additional_hour \\(96366 × 2\\)"),
        ({"route": "im", "fee_schedule": {"massage": D("5")}},
         "Fee schedule: unknown service 'massage'"),
        ({"route": "im", "fee_schedule": {"im_injection": 400.0}},
         "Fee schedule price of im_injection must be a Decimal amount of money"),
        ({"route": "esketamine_nasal", "dose_mg": 56, "medicare": True,
          "date_of_service": date(2026, 3, 1),
          "fee_schedule": {**FEES, "esketamine_drug": D("10")}},
         "no esketamine drug code for Medicare from 2026"),
    ],
)
def test_charge_line_refusals(kwargs, message):
    with pytest.raises(ClinicalRuleError, match=message):
        lines_of(**kwargs)


def test_medicare_esketamine_without_a_priced_drug_still_charges_the_visit():
    assert lines_of(route="esketamine_nasal", dose_mg=56, medicare=True,
                    date_of_service=date(2026, 3, 1))[0][1] == "G2082"


# --- Account ledger ------------------------------------------------------------------------------


def entry(reference, kind, amount, refunds=None):
    return LedgerEntry(reference, kind, amount, refunds)


def test_running_balance_over_charges_payments_refunds_and_adjustments():
    lines = running_balance([
        entry("C1", "charge", D("550.00")),
        entry("P1", "payment", D("600.00")),  # overpaid: a credit of $50
        entry("R1", "refund", D("50.00"), "P1"),
        entry("C2", "charge", D("250.00")),
        entry("A1", "adjustment", D("-100.00")),  # sliding-scale write-off
        entry("P2", "payment", 150),
    ])
    assert [line.balance for line in lines] == [
        D("550.00"), D("-50.00"), D("0.00"), D("250.00"), D("150.00"), D("0.00")
    ]
    assert account_balance([]) == D("0.00")


def test_a_refund_larger_than_what_was_paid_on_that_payment_is_refused():
    entries = [entry("C1", "charge", D("300")), entry("P1", "payment", D("80.00")),
               entry("P2", "payment", D("200.00")), entry("R1", "refund", D("50.00"), "P1")]
    assert account_balance(entries) == D("70.00")
    with pytest.raises(ClinicalRuleError, match=re.escape(
            "Refund R2 of $30.01 is more than the $30.00 left to refund on payment P1")):
        account_balance([*entries, entry("R2", "refund", D("30.01"), "P1")])


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (lambda: [entry("R1", "refund", D("5"), "P9")],
         "Refund R1 names 'P9', which is not an earlier payment"),
        (lambda: [entry("C1", "charge", D("5")), entry("R1", "refund", D("5"), "C1")],
         "not an earlier payment"),
        (lambda: [entry("P1", "payment", D("5")), entry("P1", "payment", D("5"))],
         "Ledger entry P1 appears twice"),
        (lambda: [entry("C1", "charge", 5.0)], "Charge C1 must be a Decimal amount of money"),
        (lambda: [entry("C1", "charge", D("-5"))], "Charge C1 cannot be negative"),
        (lambda: [entry("P1", "payment", D("0"))], "Payment P1 is \\$0.00: nothing to post"),
        (lambda: [entry("A1", "adjustment", D("0.00"))], "Adjustment A1 is \\$0.00"),
        (lambda: [entry("P1", "payment", D("1.001"))], "fractions of a cent"),
        (lambda: [entry("R1", "refund", D("5"))], "a refund, and only a refund, names"),
        (lambda: [entry("P2", "payment", D("5"), "P1")], "a refund, and only a refund, names"),
        (lambda: [entry("X1", "gift", D("5"))], "Unknown ledger entry kind 'gift'"),
    ],
)
def test_ledger_refusals(entries, message):
    with pytest.raises(ClinicalRuleError, match=message):
        running_balance(entries())


@st.composite
def ledgers(draw):
    entries: list[LedgerEntry] = []
    left: dict[str, Decimal] = {}
    for number in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(list(EntryKind)))
        amount = draw(st.decimals(min_value=D("0.01"), max_value=10_000, places=2))
        if kind is EntryKind.REFUND:
            open_payments = [ref for ref, amt in left.items() if amt > 0]
            if not open_payments:
                continue
            payment = draw(st.sampled_from(open_payments))
            amount = min(amount, left[payment])
            left[payment] -= amount
            entries.append(entry(f"E{number}", kind, amount, payment))
            continue
        if kind is EntryKind.ADJUSTMENT and draw(st.booleans()):
            amount = -amount
        if kind is EntryKind.PAYMENT:
            left[f"E{number}"] = amount
        entries.append(entry(f"E{number}", kind, amount))
    return entries


@given(ledgers())
def test_running_balance_equals_the_sum_of_signed_entries(entries):
    lines = running_balance(entries)
    total = D("0.00")
    for line in lines:
        total += -line.entry.amount if line.entry.kind is EntryKind.PAYMENT else line.entry.amount
        assert line.balance == total and isinstance(line.balance, Decimal)
    by_kind = {kind: sum((e.amount for e in entries if e.kind is kind), D(0)) for kind in EntryKind}
    assert account_balance(entries) == (
        by_kind[EntryKind.CHARGE] - by_kind[EntryKind.PAYMENT] + by_kind[EntryKind.REFUND]
        + by_kind[EntryKind.ADJUSTMENT]
    )


def test_money_accepts_whole_cents_only():
    assert money(D("12.5"), "Price") == D("12.50")
    assert money(7, "Price") == D("7.00")
    with pytest.raises(ClinicalRuleError, match="Price must be a Decimal amount of money"):
        money(True, "Price")


def test_documented_billing_example_runs():
    docs = Path(__file__).resolve().parents[2] / "docs" / "clinical-api.md"
    blocks = [block for block in re.findall(r"```python\n(.*?)```", docs.read_text(), re.S)
              if "from ketacare.clinical.billing import" in block]
    assert blocks, "the billing example is missing from docs/clinical-api.md"
    for block in blocks:
        exec(compile(block, "docs example", "exec"), {})
