"""Cohort statistics: Wilson intervals, Kaplan–Meier, small cells, outcome counts and summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.cohorts import (
    Exclusion,
    OutcomeCounts,
    PatientScores,
    is_small_cell,
    kaplan_meier,
    kaplan_meier_from_counts,
    outcome_definition,
    proportion,
    rate_is_suppressed,
    summarize,
    tally,
    wilson_interval,
)
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import SUSTAIN1_MADRS, DatedScore, OutcomeSettings

FIRST = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# --- Wilson ---------------------------------------------------------------------------------


# Reference values: Newcombe (1998) Table I, method 3 (Wilson score interval without correction).
@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    got_low, got_high = wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (0, 0), (True, 3), (1.5, 3)])
def test_wilson_interval_refuses_impossible_counts(successes, n):
    with pytest.raises(ClinicalRuleError):
        wilson_interval(successes, n)


@given(
    st.integers(min_value=1, max_value=100_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_wilson_interval_contains_the_rate_and_lies_in_0_1(counts):
    successes, n = counts
    low, high = wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0
    assert low < high


def test_a_proportion_of_nobody_has_no_rate():
    empty = proportion(0, 0)
    assert (empty.rate, empty.ci_low, empty.ci_high, empty.suppressed) == (None, None, None, True)


# --- small cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "suppressed"),
    [
        (5, 10, True),  # denominator below 11
        (0, 11, False),  # zero is shown
        (11, 11, False),
        (10, 40, True),  # numerator 1–10
        (11, 40, False),
        (30, 40, True),  # complement 10 can be worked back
        (29, 40, False),
        (0, 500, False),
        (500, 500, False),
    ],
)
def test_small_cells_and_their_complements_are_suppressed(numerator, denominator, suppressed):
    assert rate_is_suppressed(numerator, denominator) is suppressed
    assert proportion(numerator, denominator).suppressed is suppressed


def test_small_cell_bounds():
    assert [is_small_cell(n) for n in (0, 1, 10, 11)] == [False, True, True, False]


# --- Kaplan–Meier ---------------------------------------------------------------------------


def test_kaplan_meier_by_hand_with_ties_and_censoring():
    # times 1,2,2,3+,4,5+ (+ = censored): at 2 two events; a censoring at 3 leaves 2 at risk
    curve = kaplan_meier([1, 2, 2, 3, 4, 5], [True, True, True, False, True, False])
    assert curve.times == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert curve.at_risk == (6, 5, 3, 2, 1)
    assert curve.events == (1, 2, 0, 1, 0)
    assert curve.censored == (0, 0, 1, 0, 1)
    expected = [5 / 6, 5 / 6 * 3 / 5, 5 / 6 * 3 / 5, 5 / 6 * 3 / 5 * 1 / 2, 0.25]
    assert curve.survival == pytest.approx(expected)
    assert curve.median == 2.0  # S is 0.5 exactly at 2: the median
    assert curve.survival_at(0.5) == 1.0
    assert curve.survival_at(3.5) == pytest.approx(0.5)


def test_median_is_the_first_time_survival_reaches_one_half():
    curve = kaplan_meier([1, 2, 3, 4], [True, True, False, False])
    assert curve.survival[1] == pytest.approx(0.5)
    assert curve.median == 2.0


def test_median_is_none_while_more_than_half_remain():
    assert kaplan_meier([1, 5, 6], [True, False, False]).median is None


def test_events_come_before_censorings_at_the_same_time():
    curve = kaplan_meier([3, 3, 3, 4], [True, False, False, True])
    assert curve.at_risk == (4, 1)
    assert curve.survival[0] == pytest.approx(0.75)


def test_at_risk_table():
    curve = kaplan_meier([1, 2, 2, 3, 4, 5], [True, True, True, False, True, False])
    rows = curve.at_risk_table([0, 2, 3.5, 10])
    assert [(r.at_risk, r.events_so_far) for r in rows] == [(6, 0), (5, 3), (2, 3), (0, 4)]
    assert rows[0].survival == 1.0


def test_counts_merge_split_rows_and_agree_with_raw_durations():
    raw = kaplan_meier([1, 2, 2, 3, 4, 5], [True, True, True, False, True, False])
    counted = kaplan_meier_from_counts([2, 1, 2, 3, 4, 5], [1, 1, 1, 0, 1, 0], [0, 0, 0, 1, 0, 1])
    assert counted == raw


@pytest.mark.parametrize(
    ("times", "events", "censored"),
    [([1, 2], [1], [0, 0]), ([-1], [1], [0]), ([1], [-1], [0])],
)
def test_kaplan_meier_refuses_bad_input(times, events, censored):
    with pytest.raises(ClinicalRuleError):
        kaplan_meier_from_counts(times, events, censored)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.booleans()), min_size=1, max_size=80
    )
)
def test_kaplan_meier_survival_never_increases_and_stays_in_0_1(subjects):
    curve = kaplan_meier([t for t, _ in subjects], [e for _, e in subjects])
    assert all(0.0 <= s <= 1.0 for s in curve.survival)
    assert all(b <= a for a, b in zip(curve.survival, curve.survival[1:], strict=False))
    assert sum(curve.events) + sum(curve.censored) == len(subjects)
    if not any(e for _, e in subjects):
        assert set(curve.survival) == {1.0}


# --- definitions and tallies ----------------------------------------------------------------


def phq9(total: int, days: float) -> DatedScore:
    return DatedScore("phq9", total, FIRST + timedelta(days=days))


def patient(key: str, *scores: DatedScore) -> PatientScores:
    return PatientScores(key, FIRST, scores)


def test_definition_resolves_the_reference_rules_and_clinic_overrides():
    default = outcome_definition("phq9")
    assert (default.response_min_fall_percent, default.remission_comparator) == (50, "<")
    assert default.remission_threshold == 5
    madrs = outcome_definition("madrs", settings=OutcomeSettings(remission_threshold=12))
    assert (madrs.remission_comparator, madrs.remission_threshold) == ("<=", 12)
    assert "S18" in madrs.provenance[2].sources
    assert "50 %" in default.text["response"] and "[S3]" in default.text["response"]


@pytest.mark.parametrize(
    ("code", "kwargs"),
    [
        ("gad7", {}),
        ("phq9", {"settings": OutcomeSettings(relapse_rule=SUSTAIN1_MADRS)}),
        ("phq9", {"follow_up_days": 0}),
        ("phq9", {"follow_up_days": True}),
    ],
)
def test_definition_refuses_what_the_reference_does_not_define(code, kwargs):
    with pytest.raises(ClinicalRuleError):
        outcome_definition(code, **kwargs)


# One row per patient: their scores and what they add to the counts.
CRAFTED = [
    ("no baseline", (phq9(8, 3),), OutcomeCounts(patients=1, no_baseline=1)),
    ("no follow-up", (phq9(20, -2),), OutcomeCounts(patients=1, no_follow_up=1)),
    ("baseline 0", (phq9(0, -1), phq9(3, 7)), OutcomeCounts(patients=1, baseline_zero=1)),
    (
        "responder, exactly 50 %",
        (phq9(20, -1), phq9(10, 7)),
        OutcomeCounts(patients=1, responders=1, reached_response=1),
    ),
    ("49 % is no response", (phq9(21, -1), phq9(11, 7)), OutcomeCounts(patients=1)),
    (
        "remitter also responding",
        (phq9(20, -1), phq9(4, 14)),
        OutcomeCounts(patients=1, responders=1, remitters=1, reached_response=1),
    ),
    (
        "remission without response (low baseline)",
        (phq9(6, -1), phq9(4, 14)),
        OutcomeCounts(patients=1, remitters=1, reached_response=1),
    ),
    (
        "relapse after response",
        (phq9(20, -1), phq9(8, 7), phq9(15, 14), phq9(16, 21)),
        OutcomeCounts(patients=1, reached_response=1, relapsed=1),
    ),
    (
        "tie at baseline: the later record is baseline (10, so 5 is a response)",
        (phq9(24, -1), phq9(10, -1), phq9(5, 7)),
        OutcomeCounts(patients=1, responders=1, reached_response=1),
    ),
    (
        "tie at the latest time: the later record is judged",
        (phq9(20, -1), phq9(8, 7), phq9(14, 7)),
        OutcomeCounts(patients=1, reached_response=1),
    ),
    (
        "a score at the moment of the first treatment is baseline, not follow-up",
        (phq9(18, 0),),
        OutcomeCounts(patients=1, no_follow_up=1),
    ),
]


@pytest.mark.parametrize(("label", "scores", "expected"), CRAFTED, ids=[c[0] for c in CRAFTED])
def test_each_crafted_patient_counts_as_expected(label, scores, expected):
    assert tally([patient(label, *scores)], outcome_definition("phq9")) == expected


def test_crafted_cohort_summary_names_denominator_and_exclusions():
    cohort = [patient(label, *scores) for label, scores, _ in CRAFTED]
    definition = outcome_definition("phq9")
    counts = tally(cohort, definition)
    assert counts == sum((expected for *_, expected in CRAFTED), OutcomeCounts())
    assert (counts.patients, counts.evaluated) == (11, 7)
    summary = summarize(counts, definition, group={"route": "racemic_iv"})
    assert (summary.response.numerator, summary.response.denominator) == (3, 7)
    assert (summary.remission.numerator, summary.remission.denominator) == (2, 7)
    assert summary.suppressed  # 7 patients: a small cell on shared views
    assert not summary.suppression.verified
    assert {(e.reason, e.count) for e in summary.excluded} == {
        (Exclusion.NO_BASELINE, 1),
        (Exclusion.NO_FOLLOW_UP, 2),
        (Exclusion.BASELINE_ZERO, 1),
    }
    assert summary.denominator.startswith("7 of 11 treated patients")


def test_follow_up_window_judges_the_latest_score_inside_it():
    scores = (phq9(20, -1), phq9(9, 20), phq9(16, 40))
    inside = tally([patient("p", *scores)], outcome_definition("phq9", follow_up_days=28))
    assert inside == OutcomeCounts(patients=1, responders=1, reached_response=1)
    assert tally([patient("p", *scores)], outcome_definition("phq9")).responders == 0
    only_late = tally(
        [patient("q", phq9(20, -1), phq9(9, 40))], outcome_definition("phq9", follow_up_days=28)
    )
    assert only_late == OutcomeCounts(patients=1, no_follow_up=1)
