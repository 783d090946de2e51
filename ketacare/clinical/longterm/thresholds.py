"""The clinic's exposure limits against the patient's history: a review prompt each time a
rolling total goes above a limit (not again while it stays above), and whenever two sessions are
closer than the clinic's shortest interval. With no limit set, nothing is compared and the screen
says "not configured" (the reference gives no limit, §6.2)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.longterm.exposure import Dose, Exposure, in_window
from ketacare.clinical.longterm.findings import Category, Finding
from ketacare.clinical.longterm.settings import CLINIC_SETTING, PERIODS


@dataclass(frozen=True)
class LimitView:
    """One limit beside the current value, for the screen (limit None: not configured)."""

    route: str | None  # None: every route (sessions, interval)
    what: str
    period: str
    current: float | None
    limit: float | None
    unit: str

    @property
    def configured(self) -> bool:
        return self.limit is not None

    @property
    def above(self) -> bool:
        if self.limit is None or self.current is None:
            return False
        if self.what == "shortest_interval":
            return self.current < self.limit
        return self.current > self.limit


def route_label(route: str) -> str:
    try:
        return ROUTE_LABELS[Route(route)]
    except ValueError:
        return route.replace("_", " ")


def _crossings(doses: list[Dose], value_at, limit: float) -> Iterable[tuple[Dose, float]]:
    """Each dose at which the rolling value goes from at-or-below ``limit`` to above it."""
    above = False
    for dose in doses:
        value = value_at(dose)
        if value > limit and not above:
            yield dose, value
        above = value > limit


def exposure_findings(
    doses: Iterable[Dose],
    *,
    mg_limits: Mapping[tuple[str, int], float | None],
    sessions_per_30_days_max: int | None,
    shortest_interval_hours_min: float | None,
) -> list[Finding]:
    """Every crossing of a clinic limit in the history, oldest first."""
    ordered = sorted(doses, key=lambda d: d.at)
    found: list[Finding] = []
    for (route, days), limit in sorted(mg_limits.items()):
        if limit is None:
            continue
        mine = [d for d in ordered if d.route == route]

        def total(dose: Dose, mine=mine, days=days) -> float:
            return round(sum(d.dose_mg for d in in_window(mine, end=dose.at, days=days)), 2)

        for dose, value in _crossings(mine, total, limit):
            found.append(
                Finding(
                    Category.EXPOSURE,
                    "exposure_above_limit",
                    f"{route}:{days}d:{dose.ref}",
                    dose.at,
                    f"{route_label(route)}: {value:g} mg in {days} days, above the clinic's "
                    f"review limit of {limit:g} mg",
                    {
                        "route": route,
                        "period_days": days,
                        "total_mg": value,
                        "limit_mg": limit,
                        "crossed_at_dose": dose.ref,
                        "crossed_at": dose.at.isoformat(),
                    },
                    CLINIC_SETTING,
                )
            )
    if sessions_per_30_days_max is not None:

        def count(dose: Dose) -> float:
            return len(in_window(ordered, end=dose.at, days=30))

        for dose, value in _crossings(ordered, count, sessions_per_30_days_max):
            found.append(
                Finding(
                    Category.EXPOSURE,
                    "sessions_above_limit",
                    f"30d:{dose.ref}",
                    dose.at,
                    f"{int(value)} sessions in 30 days, above the clinic's review limit of "
                    f"{sessions_per_30_days_max}",
                    {
                        "sessions": int(value),
                        "limit": sessions_per_30_days_max,
                        "period_days": 30,
                        "crossed_at_dose": dose.ref,
                    },
                    CLINIC_SETTING,
                )
            )
    if shortest_interval_hours_min is not None:
        for earlier, later in itertools.pairwise(ordered):
            hours = round((later.at - earlier.at).total_seconds() / 3600, 2)
            if hours < shortest_interval_hours_min:
                found.append(
                    Finding(
                        Category.EXPOSURE,
                        "interval_below_limit",
                        later.ref,
                        later.at,
                        f"Two sessions {hours:g} h apart, closer than the clinic's "
                        f"{shortest_interval_hours_min:g} h",
                        {
                            "hours": hours,
                            "limit_hours": shortest_interval_hours_min,
                            "earlier": earlier.ref,
                            "later": later.ref,
                        },
                        CLINIC_SETTING,
                    )
                )
    return sorted(found, key=lambda f: f.at)


def limit_views(
    exposure: Exposure,
    *,
    mg_limits: Mapping[tuple[str, int], float | None],
    sessions_per_30_days_max: int | None,
    shortest_interval_hours_min: float | None,
    routes: Iterable[str],
) -> list[LimitView]:
    """The limits beside the current values, for each route the patient has had."""
    views = []
    for route in sorted(set(routes)):
        for days in PERIODS:
            period = exposure.period(f"{days}d").route(route)
            views.append(
                LimitView(
                    route,
                    "total_mg",
                    f"{days}d",
                    period.total_mg if period else 0.0,
                    mg_limits.get((route, days)),
                    "mg",
                )
            )
    views.append(
        LimitView(
            None,
            "sessions",
            "30d",
            float(exposure.period("30d").sessions),
            sessions_per_30_days_max,
            "sessions",
        )
    )
    interval = exposure.shortest_interval
    views.append(
        LimitView(
            None,
            "shortest_interval",
            "since_first_dose",
            interval.hours if interval else None,
            shortest_interval_hours_min,
            "h",
        )
    )
    return views
