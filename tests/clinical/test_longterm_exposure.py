"""Cumulative exposure on crafted administration histories, and the clinic's limits."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.longterm import (
    Dose,
    cumulative_exposure,
    exposure_findings,
    limit_views,
)

AT = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
IV, ESK, SL = "racemic_iv", "esketamine_nasal", "racemic_sublingual"


def days_ago(days: float) -> dt.datetime:
    return AT - dt.timedelta(days=days)


def dose(ref, ago, route=IV, mg=35.0, kg=70.0, home=False):
    return Dose(ref, days_ago(ago), route, mg, kg, home)


# (name, history, period, route, expected total mg, expected mg/kg, expected sessions)
CASES = [
    ("nothing given", [], "30d", IV, None, None, 0),
    ("one infusion today", [dose("s1", 0)], "30d", IV, 35.0, 0.5, 1),
    (
        "six-infusion series within 30 days",
        [dose(f"s{i}", 2 + 4 * i) for i in range(6)],
        "30d",
        IV,
        210.0,
        3.0,
        6,
    ),
    (
        "dose exactly 30 days ago is outside the 30-day window",
        [dose("s1", 30)],
        "30d",
        IV,
        None,
        None,
        0,
    ),
    ("dose exactly 30 days ago is in the 90-day window", [dose("s1", 30)], "90d", IV, 35.0, 0.5, 1),
    (
        "maintenance over a year: 365-day window excludes the 400-day-old dose",
        [dose("old", 400), *[dose(f"m{i}", 14 * i + 1) for i in range(26)]],
        "365d",
        IV,
        910.0,
        13.0,
        26,
    ),
    (
        "since first dose counts everything",
        [dose("old", 400), dose("new", 1)],
        "since_first_dose",
        IV,
        70.0,
        1.0,
        2,
    ),
    (
        "routes are kept apart",
        [dose("iv", 3), dose("esk", 2, ESK, 84.0, None)],
        "30d",
        ESK,
        84.0,
        None,
        2,
    ),
    (
        "mg/kg per dose on its own weight",
        [dose("a", 5, kg=70.0), dose("b", 1, mg=40.0, kg=80.0)],
        "30d",
        IV,
        75.0,
        1.0,
        2,
    ),
    (
        "future dose is not counted",
        [dose("later", -1), dose("now", 0)],
        "since_first_dose",
        IV,
        35.0,
        0.5,
        1,
    ),
    (
        "at-home logs count under their route",
        [dose("h1", 3, SL, 100.0, 70.0, True), dose("h2", 1, SL, 100.0, 70.0, True)],
        "30d",
        SL,
        200.0,
        2.857,
        2,
    ),
]


@pytest.mark.parametrize(
    ("history", "period", "route", "total_mg", "mg_per_kg", "sessions"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_cumulative_exposure_per_period_and_route(
    history, period, route, total_mg, mg_per_kg, sessions
):
    exposure = cumulative_exposure(history, at=AT)
    window = exposure.period(period)
    assert window.sessions == sessions
    row = window.route(route)
    if total_mg is None:
        assert row is None
    else:
        assert row.total_mg == total_mg
        assert row.total_mg_per_kg == mg_per_kg


def test_doses_without_weight_are_counted_apart_from_mg_per_kg():
    exposure = cumulative_exposure([dose("a", 1), dose("b", 2, kg=None)], at=AT)
    row = exposure.period("30d").route(IV)
    assert (row.total_mg, row.total_mg_per_kg, row.doses_without_weight) == (70.0, 0.5, 1)


def test_shortest_interval_and_sessions_per_month():
    history = [dose("a", 20), dose("b", 18), dose("c", 17.5), dose("d", 10)]
    exposure = cumulative_exposure(history, at=AT)
    assert exposure.shortest_interval.hours == 12.0
    assert (exposure.shortest_interval.earlier, exposure.shortest_interval.later) == ("b", "c")
    assert exposure.sessions_per_month == 4.0  # under 30 days of history counts as one month
    assert exposure.first_dose_at == days_ago(20)


@pytest.mark.parametrize(
    ("monthly_mg", "direction"),
    [
        ([35, 70, 105, 140], "rising"),
        ([140, 105, 70, 35], "falling"),
        ([70, 70, 70], "flat"),
        ([70, 70], "too_little_history"),
    ],
)
def test_trend_of_monthly_totals(monthly_mg, direction):
    # One dose in the middle of each 30-day window, oldest first.
    n = len(monthly_mg)
    history = [dose(f"m{i}", 30 * (n - 1 - i) + 15, mg=mg) for i, mg in enumerate(monthly_mg)]
    assert cumulative_exposure(history, at=AT).trend.direction == direction


def test_naive_time_and_negative_dose_are_refused():
    with pytest.raises(ClinicalRuleError):
        cumulative_exposure([], at=dt.datetime(2026, 1, 1))
    with pytest.raises(ClinicalRuleError):
        dose("x", 1, mg=-1)


LIMITS_NONE = {
    "mg_limits": {},
    "sessions_per_30_days_max": None,
    "shortest_interval_hours_min": None,
}


def test_no_limit_set_no_prompt_and_views_say_not_configured():
    history = [dose(f"s{i}", i) for i in range(10)]
    assert exposure_findings(history, **LIMITS_NONE) == []
    views = limit_views(cumulative_exposure(history, at=AT), routes=[IV], **LIMITS_NONE)
    assert views and not any(v.configured for v in views)
    assert not any(v.above for v in views)


def test_mg_limit_prompts_once_per_crossing():
    # 35 mg every 3 days: 30-day totals rise to 350 mg; limit 200 mg crossed at the 6th dose.
    history = [dose(f"s{i}", 60 - 3 * i) for i in range(20)]
    found = exposure_findings(
        history,
        mg_limits={(IV, 30): 200.0, (ESK, 30): 10.0},
        sessions_per_30_days_max=None,
        shortest_interval_hours_min=None,
    )
    assert [f.kind for f in found] == ["exposure_above_limit"]
    assert found[0].evidence["crossed_at_dose"] == "s5"
    assert found[0].evidence["total_mg"] == 210.0
    assert found[0].key == f"{IV}:30d:s5"


def test_mg_limit_prompts_again_after_falling_back_below():
    first = [dose(f"a{i}", 200 - i) for i in range(3)]  # 105 mg within 3 days
    later = [dose(f"b{i}", 20 - i) for i in range(3)]  # again, months later
    found = exposure_findings(
        first + later,
        mg_limits={(IV, 30): 100.0},
        sessions_per_30_days_max=None,
        shortest_interval_hours_min=None,
    )
    assert [f.evidence["crossed_at_dose"] for f in found] == ["a2", "b2"]


def test_session_count_and_interval_limits():
    history = [dose("a", 10), dose("b", 9.9), dose("c", 5)]
    found = exposure_findings(
        history, mg_limits={}, sessions_per_30_days_max=2, shortest_interval_hours_min=24
    )
    kinds = sorted((f.kind, f.key) for f in found)
    assert kinds == [("interval_below_limit", "b"), ("sessions_above_limit", "30d:c")]
    views = limit_views(
        cumulative_exposure(history, at=AT),
        routes=[IV],
        mg_limits={},
        sessions_per_30_days_max=2,
        shortest_interval_hours_min=24,
    )
    above = {v.what for v in views if v.above}
    assert above == {"sessions", "shortest_interval"}


doses_strategy = st.lists(
    st.builds(
        Dose,
        ref=st.text("abc", min_size=1, max_size=3),
        at=st.integers(0, 800 * 24).map(lambda h: AT - dt.timedelta(hours=h)),
        route=st.sampled_from([IV, ESK, SL]),
        dose_mg=st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 2)),
        weight_kg=st.one_of(st.none(), st.floats(30, 200).map(lambda v: round(v, 1))),
    ),
    max_size=40,
)


@given(doses_strategy)
def test_windows_nest_and_routes_add_up(history):
    exposure = cumulative_exposure(history, at=AT)
    totals = [exposure.period(p).total_mg for p in ("30d", "90d", "365d", "since_first_dose")]
    assert all(a <= b + 1e-6 for a, b in itertools.pairwise(totals))
    for period in exposure.periods:
        assert abs(sum(r.total_mg for r in period.routes) - period.total_mg) < 0.05
        assert sum(r.doses for r in period.routes) == period.sessions
    assert exposure.period("since_first_dose").sessions == len(history)


@given(
    doses_strategy.map(lambda ds: [Dose(f"d{i}", d.at, d.route, d.dose_mg, d.weight_kg)
                                   for i, d in enumerate(ds)]),
    st.floats(1, 2000).map(lambda v: round(v, 1)),
)  # fmt: skip
def test_a_limit_prompts_at_most_once_per_dose_and_only_when_above(history, limit):
    found = exposure_findings(
        history,
        mg_limits={(route, 30): limit for route in (IV, ESK, SL)},
        sessions_per_30_days_max=None,
        shortest_interval_hours_min=None,
    )
    assert len(found) <= len(history)
    assert all(f.evidence["total_mg"] > limit for f in found)
    assert len({f.key for f in found}) == len(found)
