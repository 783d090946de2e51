"""Cumulative exposure: what a patient has been given, per route, over the last 30, 90 and 365
days and since the first dose; sessions per 30 days, the shortest interval between sessions, and
the trend.

The reference gives no cumulative-dose or frequency limit for therapeutic ketamine (§6.2 reports
uropathy in chronic recreational users at grams per week to per day, "daily dosing rarely
quantified" [S100][S101]), so nothing here judges a number as too much: the clinic's own limits,
when set, are compared in ``thresholds``.

Racemic ketamine and esketamine are different drugs and bioavailability differs by route, so
totals are kept per route; the all-route total in mg is shown only as the sum it is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError, require_aware

PERIOD_DAYS: tuple[int, ...] = (30, 90, 365)
MONTH_DAYS = 30  # "per month" is a 30-day window counted back from the moment asked about
TREND_MONTHS = 12  # the trend and the monthly counts look back this many 30-day windows


@dataclass(frozen=True)
class Dose:
    """One session's total given (or one at-home log's dose taken), in mg.

    ``weight_kg`` is the dosing weight of the order it was given on (None when the order had
    none: its mg/kg is then unknown, never guessed). ``ref`` names the record ("session:12").
    """

    ref: str
    at: dt.datetime
    route: str
    dose_mg: float
    weight_kg: float | None = None
    at_home: bool = False

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if self.dose_mg < 0:
            raise ClinicalRuleError(f"{self.ref}: a dose cannot be negative ({self.dose_mg} mg)")
        if self.weight_kg is not None and self.weight_kg <= 0:
            raise ClinicalRuleError(f"{self.ref}: the dosing weight must be above 0 kg")

    @property
    def mg_per_kg(self) -> float | None:
        return None if self.weight_kg is None else self.dose_mg / self.weight_kg


@dataclass(frozen=True)
class RouteTotal:
    """A route's total in one period. ``total_mg_per_kg`` sums each dose's mg ÷ its own dosing
    weight, over the doses whose weight is known (``doses_without_weight`` are left out of it)."""

    route: str
    doses: int
    total_mg: float
    total_mg_per_kg: float | None
    doses_without_weight: int


@dataclass(frozen=True)
class PeriodExposure:
    period: str  # "30d", "90d", "365d", "since_first_dose"
    days: int | None  # None: since the first dose
    start: dt.datetime | None
    total_mg: float  # every route added up, as mg
    sessions: int
    routes: tuple[RouteTotal, ...]

    def route(self, route: str) -> RouteTotal | None:
        return next((r for r in self.routes if r.route == route), None)


@dataclass(frozen=True)
class MonthWindow:
    """One 30-day window counted back from ``at`` (index 0 is the latest)."""

    start: dt.datetime
    end: dt.datetime
    sessions: int
    total_mg: float


@dataclass(frozen=True)
class Interval:
    hours: float
    earlier: str
    later: str


@dataclass(frozen=True)
class Trend:
    """Direction of the mg given per 30 days over the last year (least-squares slope of the
    monthly totals since the first dose; every route added up)."""

    direction: str  # rising, falling, flat, too_little_history
    slope_mg_per_month: float | None
    months: int
    basis: str


@dataclass(frozen=True)
class Exposure:
    at: dt.datetime
    first_dose_at: dt.datetime | None
    periods: tuple[PeriodExposure, ...]
    months: tuple[MonthWindow, ...]  # latest first, only windows since the first dose
    sessions_per_month: float | None  # average since the first dose (None: no dose yet)
    shortest_interval: Interval | None
    trend: Trend

    def period(self, name: str) -> PeriodExposure:
        return next(p for p in self.periods if p.period == name)


def _round(value: float) -> float:
    return round(value + 0.0, 2)


def _route_totals(doses: Sequence[Dose]) -> tuple[RouteTotal, ...]:
    out = []
    for route in sorted({d.route for d in doses}):
        mine = [d for d in doses if d.route == route]
        weighed = [d.mg_per_kg for d in mine if d.mg_per_kg is not None]
        out.append(
            RouteTotal(
                route=route,
                doses=len(mine),
                total_mg=_round(sum(d.dose_mg for d in mine)),
                total_mg_per_kg=round(sum(weighed), 3) if weighed else None,
                doses_without_weight=len(mine) - len(weighed),
            )
        )
    return tuple(out)


def _period(name: str, days: int | None, start, doses: Sequence[Dose]) -> PeriodExposure:
    return PeriodExposure(
        period=name,
        days=days,
        start=start,
        total_mg=_round(sum(d.dose_mg for d in doses)),
        sessions=len(doses),
        routes=_route_totals(doses),
    )


def in_window(doses: Iterable[Dose], *, end: dt.datetime, days: int) -> list[Dose]:
    """The doses in the ``days`` before ``end``: start excluded, end included."""
    start = end - dt.timedelta(days=days)
    return [d for d in doses if start < d.at <= end]


def shortest_interval(doses: Sequence[Dose]) -> Interval | None:
    """The shortest time between two consecutive doses (sessions), or None with fewer than two."""
    ordered = sorted(doses, key=lambda d: d.at)
    best: Interval | None = None
    for earlier, later in itertools.pairwise(ordered):
        hours = (later.at - earlier.at).total_seconds() / 3600
        if best is None or hours < best.hours:
            best = Interval(round(hours, 2), earlier.ref, later.ref)
    return best


def _trend(months: Sequence[MonthWindow]) -> Trend:
    basis = "mg per 30 days, every route added up, over the last 12 months since the first dose"
    series = [m.total_mg for m in reversed(months)]  # oldest first
    if len(series) < 3:
        return Trend("too_little_history", None, len(series), basis)
    n = len(series)
    mean_x, mean_y = (n - 1) / 2, sum(series) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(series)) / spread
    slope = round(slope, 2)
    direction = "rising" if slope > 0 else "falling" if slope < 0 else "flat"
    return Trend(direction, slope, n, basis)


def cumulative_exposure(doses: Iterable[Dose], *, at: dt.datetime) -> Exposure:
    """Totals per period and route as of ``at``; doses after ``at`` are not counted."""
    require_aware("at", at)
    given = sorted((d for d in doses if d.at <= at), key=lambda d: d.at)
    first = given[0].at if given else None
    periods = [
        _period(f"{days}d", days, at - dt.timedelta(days=days), in_window(given, end=at, days=days))
        for days in PERIOD_DAYS
    ]
    periods.append(_period("since_first_dose", None, first, given))
    months: list[MonthWindow] = []
    if first is not None:
        for index in range(TREND_MONTHS):
            end = at - dt.timedelta(days=MONTH_DAYS * index)
            if end <= first and index:
                break
            window = in_window(given, end=end, days=MONTH_DAYS)
            months.append(
                MonthWindow(
                    end - dt.timedelta(days=MONTH_DAYS),
                    end,
                    len(window),
                    _round(sum(d.dose_mg for d in window)),
                )
            )
    per_month = None
    if first is not None:
        span_months = max((at - first).total_seconds() / 86400 / MONTH_DAYS, 1.0)
        per_month = round(len(given) / span_months, 2)
    return Exposure(
        at=at,
        first_dose_at=first,
        periods=tuple(periods),
        months=tuple(months),
        sessions_per_month=per_month,
        shortest_interval=shortest_interval(given),
        trend=_trend(months),
    )
