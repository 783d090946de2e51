"""Whole series: the regimen's pattern, the earliest complete sets on crafted calendars, bad
series input, moving one session, and the spacing properties (hypothesis)."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.regimens import CRPS_DAILY_10, ESKETAMINE_TRD, IV_DEPRESSION
from ketacare.clinical.scheduling import Interval, PatientAvailability, Why, minutes_between
from ketacare.clinical.scheduling_series import (
    SeriesPattern,
    check_move,
    find_series,
    most_that_fit,
    series_pattern,
    spacing_problems,
)
from tests.clinical.scheduling_calendars import (
    MON,
    NY,
    at,
    clinic,
    esketamine_needs,
    iv_needs,
    span,
)

WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
NOW = at(MON - timedelta(days=1), "12:00")
IV_3_A_WEEK = series_pattern(IV_DEPRESSION, "induction")


@pytest.fixture
def _fast_and_quiet() -> None:
    """No Django needed here (stands in for tests/conftest.py's autouse settings fixture)."""


def _days(proposal) -> list[str]:
    return [f"{s.start.astimezone(NY):%a %d %H:%M}" for s in proposal]


def _series(pattern=IV_3_A_WEEK, needs=None, calendar=None, patient=None, **kwargs):
    return find_series(
        needs or iv_needs(),
        calendar or clinic(),
        patient or PatientAvailability(),
        pattern,
        not_before=kwargs.pop("not_before", NOW),
        now=NOW,
        days=kwargs.pop("days", 14),
        open_weekdays=kwargs.pop("open_weekdays", WEEKDAYS),
        **kwargs,
    )


# --- the pattern from the regimen --------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "phase", "expected"),
    [
        (IV_DEPRESSION, "induction", "6 sessions, 3 a week within 21 days"),
        (ESKETAMINE_TRD, "induction", "8 sessions, 2 a week within 28 days"),
        (ESKETAMINE_TRD, "maintenance", "4 sessions, every 7 days"),
        (CRPS_DAILY_10, "induction", "10 sessions, daily within 10 days"),
    ],
)
def test_the_pattern_comes_from_the_regimen(template, phase, expected):
    assert series_pattern(template, phase).describe().startswith(expected)


def test_three_a_week_forbids_consecutive_days_and_daily_allows_them():
    assert IV_3_A_WEEK.min_gap_days == 2
    assert series_pattern(CRPS_DAILY_10, "induction").min_gap_days == 1


@pytest.mark.parametrize(
    ("phase", "sessions", "message"),
    [
        ("maintenance", None, "say how many"),
        ("induction", 9, "has 6 sessions"),
        ("booster", 2, "has no default"),  # booster length and frequency: clinic settings
        ("rescue", None, "Unknown phase"),
    ],
)
def test_series_patterns_that_cannot_be_built_say_why(phase, sessions, message):
    with pytest.raises(ClinicalRuleError, match=message):
        series_pattern(IV_DEPRESSION, phase, sessions=sessions)


# --- the earliest complete set -----------------------------------------------------------------


def test_six_infusions_three_a_week_on_an_empty_calendar():
    result = _series()
    assert _days(result.proposals[0]) == [
        "Mon 02 08:00",
        "Wed 04 08:00",
        "Fri 06 08:00",
        "Mon 09 08:00",  # clocks went forward on Sunday 8 March: still 08:00 on the wall clock
        "Wed 11 08:00",
        "Fri 13 08:00",
    ]
    assert all(minutes_between(s.start, s.end) == 100 for s in result.proposals[0])
    assert _days(result.proposals[1])[0] == "Tue 03 08:00"  # alternatives start on other days


def test_a_closed_wednesday_moves_the_series_to_the_next_days_the_pattern_allows():
    result = _series(calendar=clinic(closed=(MON + timedelta(days=2),)))
    assert _days(result.proposals[0]) == [
        "Mon 02 08:00",
        "Thu 05 08:00",
        "Mon 09 08:00",  # Saturday and Sunday closed; week 1 holds two
        "Wed 11 08:00",
        "Fri 13 08:00",
        "Mon 16 08:00",
    ]


def test_patient_weekdays_and_times_are_kept():
    patient = PatientAvailability(weekdays=frozenset({0, 3}), earliest=time(14))
    result = _series(patient=patient)  # twice a week fits 6 in 18 days
    assert _days(result.proposals[0]) == [
        "Mon 02 14:00",
        "Thu 05 14:00",
        "Mon 09 14:00",
        "Thu 12 14:00",
        "Mon 16 14:00",
        "Thu 19 14:00",
    ]


def test_esketamine_twice_weekly_with_a_prescriber_on_site():
    pattern = series_pattern(ESKETAMINE_TRD, "induction")
    result = _series(pattern, needs=esketamine_needs())
    days = _days(result.proposals[0])
    assert len(days) == 8 and days[0] == "Mon 02 08:00"
    spacing = [s.start.date() for s in result.proposals[0]]
    assert spacing_problems(pattern, spacing) == []
    assert {s.prescriber_id for s in result.proposals[0]} == {200}


def test_a_booked_up_fortnight_leaves_no_series_and_says_why():
    full = tuple(span(MON, "07:00", "19:00", d) for d in range(14))
    calendar = clinic(chairs=(("Chair A", frozenset({"iv_pump"}), full),))
    result = _series(calendar=calendar, days=5)
    assert result.proposals == ()
    assert result.reasons[0][0] is Why.CHAIR_BUSY
    assert "Every suitable chair is booked" in result.problems(IV_3_A_WEEK)[0].message


def test_when_only_the_second_week_is_full_the_best_attempt_is_reported():
    week_two = tuple(span(MON, "07:00", "19:00", d) for d in range(7, 21))
    calendar = clinic(chairs=(("Chair A", frozenset({"iv_pump"}), week_two),))
    result = _series(calendar=calendar, days=3)
    assert result.proposals == ()
    assert len(result.closest) == 3
    assert "At best only 3 of 6 sessions fit" in result.problems(IV_3_A_WEEK)[0].message


@pytest.mark.parametrize(
    ("weekdays", "open_days", "message"),
    [
        (frozenset({0}), WEEKDAYS, "cannot fit on Mon .*at most 3 fit"),
        (None, frozenset({0, 1}), "cannot fit on Mon, Tue"),
    ],
)
def test_a_series_that_cannot_fit_the_protocol_window_is_refused(weekdays, open_days, message):
    with pytest.raises(ClinicalRuleError, match=message):
        _series(patient=PatientAvailability(weekdays=weekdays), open_weekdays=open_days)


def test_daily_crps_infusions_cannot_fit_a_weekday_clinic():
    with pytest.raises(ClinicalRuleError, match="daily within 10 days"):
        _series(series_pattern(CRPS_DAILY_10, "induction"))


# --- moving one session --------------------------------------------------------------------------

SERIES = [MON + timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]  # Mon Wed Fri Mon Wed Fri


def test_moving_wednesday_to_thursday_pushes_friday_to_saturday():
    check = check_move(IV_3_A_WEEK, SERIES, 1, MON + timedelta(days=3))
    assert check.must_move == ((2, MON + timedelta(days=5)),)
    assert any("consecutive days" in p.message for p in check.problems)


def test_moving_next_to_the_session_before_says_the_first_day_allowed():
    check = check_move(IV_3_A_WEEK, SERIES, 1, MON + timedelta(days=1))
    assert any("Choose Wed 04 Mar or later" in p.message for p in check.problems)


def test_moving_the_last_session_out_of_the_window_is_a_window_problem():
    check = check_move(IV_3_A_WEEK, SERIES, 5, MON + timedelta(days=24))
    assert [p.why for p in check.problems] == [Why.WINDOW]
    assert "within 21 days" in check.problems[0].message


def test_a_move_that_keeps_the_spacing_needs_nothing_else():
    check = check_move(IV_3_A_WEEK, SERIES, 5, MON + timedelta(days=12))
    assert check.problems == () and check.must_move == ()


def test_weekly_maintenance_moves_every_later_session_with_it():
    weekly = series_pattern(ESKETAMINE_TRD, "maintenance")
    days = [MON + timedelta(days=7 * i) for i in range(4)]
    check = check_move(weekly, days, 1, MON + timedelta(days=8))
    assert [index for index, _ in check.must_move] == [2, 3]
    assert check.must_move[-1][1] == MON + timedelta(days=22)


# --- properties ----------------------------------------------------------------------------------

patterns = st.builds(
    SeriesPattern,
    label=st.just("test"),
    sessions=st.integers(2, 8),
    min_gap_days=st.just(2),
    interval_days=st.none(),
    per_week=st.integers(1, 3),
    window_days=st.one_of(st.none(), st.integers(14, 35)),
    source=st.just("test"),
)


@given(
    pattern=patterns,
    weekdays=st.frozensets(st.integers(0, 4), min_size=1),
    blocked=st.lists(st.integers(0, 27), max_size=8),
)
def test_every_proposal_keeps_the_spacing_rules_and_avoids_the_bookings(pattern, weekdays, blocked):
    busy = tuple(span(MON, "07:00", "19:00", d) for d in blocked)
    calendar = clinic(chairs=(("Chair A", frozenset({"iv_pump"}), busy),))
    patient = PatientAvailability(weekdays=weekdays)
    if most_that_fit(pattern, weekdays) < pattern.sessions:
        with pytest.raises(ClinicalRuleError):
            _series(pattern, calendar=calendar, patient=patient)
        return
    result = _series(pattern, calendar=calendar, patient=patient)
    for proposal in result.proposals:
        days = [s.start.astimezone(NY).date() for s in proposal]
        assert len(days) == pattern.sessions
        assert spacing_problems(pattern, days) == []
        assert all(d.weekday() in weekdays for d in days)
        for slot in proposal:
            assert not any(b.overlaps(Interval(slot.start, slot.end)) for b in busy)


@given(
    days=st.lists(st.dates(date(2026, 3, 1), date(2026, 4, 30)), min_size=2, max_size=8),
)
def test_spacing_problems_are_empty_exactly_when_every_rule_holds(days):
    ordered = sorted(days)
    gaps_ok = all(b - a >= timedelta(days=2) for a, b in pairwise(ordered))
    weeks_ok = all(
        sum(1 for d in ordered if (d - ordered[0]).days // 7 == w) <= 3 for w in range(10)
    )
    window_ok = (ordered[-1] - ordered[0]).days + 1 <= 21
    assert (spacing_problems(IV_3_A_WEEK, days) == []) == (gaps_ok and weeks_ok and window_ok)
