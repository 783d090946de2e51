"""Crafted clinic calendars for the slot-finding tests (America/New_York; the week of Monday
2 March 2026, the week before clocks go forward on Sunday 8 March)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ketacare.clinical.scheduling import (
    ChairCalendar,
    ClinicCalendar,
    Commitment,
    Interval,
    StaffCalendar,
    add_minutes,
    subtract,
    weekly_intervals,
)
from ketacare.clinical.scheduling_needs import ResourceNeeds, resource_needs

NY = ZoneInfo("America/New_York")
MON = date(2026, 3, 2)
WEEKDAYS_8_TO_18 = {d: [(time(8), time(18))] for d in range(5)}
IV_VALUES = {
    "racemic_iv.arrival_minutes": 20,
    "racemic_iv.discharge_minutes": 10,
    "racemic_iv.nurse_minutes": 30,
    "racemic_iv.prescriber_on_site": False,
    "esketamine_nasal.arrival_minutes": 15,
    "esketamine_nasal.discharge_minutes": 15,
    "esketamine_nasal.nurse_minutes": 20,
}


def at(day: date, clock: str, days: int = 0) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day + timedelta(days=days), time(hours, minutes), tzinfo=NY)


def span(day: date, start: str, end: str, days: int = 0) -> Interval:
    return Interval(at(day, start, days), at(day, end, days))


def iv_needs() -> ResourceNeeds:
    """20 check-in + 40 infusion + 30 observation + 10 discharge = 100 minutes."""
    return resource_needs(
        "racemic_iv", values=IV_VALUES, observation_minutes=30, iv_infusion_minutes=40
    )


def esketamine_needs() -> ResourceNeeds:
    """15 check-in + 120 observation from the first device + 15 discharge = 150 minutes."""
    return resource_needs("esketamine_nasal", values=IV_VALUES, observation_minutes=120)


def clinic(
    *,
    start: date = MON,
    days: int = 35,
    hours=None,
    closed: tuple[date, ...] = (),
    chairs: tuple[tuple[str, frozenset[str], tuple[Interval, ...]], ...] | None = None,
    nurses: tuple[tuple[str, dict | None, tuple[Interval, ...], tuple[Commitment, ...]], ...]
    | None = None,
    prescribers: tuple[tuple[str, dict | None, tuple[Interval, ...]], ...] | None = None,
    capacity: int = 1,
    step: int = 15,
) -> ClinicCalendar:
    """A clinic open weekdays 08:00–18:00 with two chairs (both with IV pumps, chair B also for
    esketamine), one nurse and one prescriber working the opening hours, unless told otherwise.

    chairs: (name, capabilities, busy); nurses: (name, weekly hours or None for the opening
    hours, time off, sessions); prescribers: (name, weekly hours or None, time off)."""
    end = start + timedelta(days=days)
    hours = WEEKDAYS_8_TO_18 if hours is None else hours
    whole_days = [Interval(at(d, "00:00"), at(d, "00:00", 1)) for d in closed]
    opening = subtract(weekly_intervals(hours, start=start, end=end, zone=NY), whole_days)
    if chairs is None:
        chairs = (
            ("Chair A", frozenset({"iv_pump"}), ()),
            ("Chair B", frozenset({"iv_pump", "esketamine_observation"}), ()),
        )
    if nurses is None:
        nurses = (("Nina", None, (), ()),)
    if prescribers is None:
        prescribers = (("Dr Chen", None, ()),)

    def working(weekly, off):
        intervals = weekly_intervals(weekly or hours, start=start, end=end, zone=NY)
        return tuple(subtract(intervals, off))

    return ClinicCalendar(
        zone=NY,
        opening=tuple(opening),
        chairs=tuple(
            ChairCalendar(index + 1, name, caps, busy)
            for index, (name, caps, busy) in enumerate(chairs)
        ),
        nurses=tuple(
            StaffCalendar(100 + index, name, working(weekly, off), sessions)
            for index, (name, weekly, off, sessions) in enumerate(nurses)
        ),
        prescribers=tuple(
            StaffCalendar(200 + index, name, working(weekly, off))
            for index, (name, weekly, off) in enumerate(prescribers)
        ),
        nurse_capacity=capacity,
        step_minutes=step,
        closures={d: "Holiday" for d in closed},
    )


def nurse_session(day: date, start: str, minutes: int = 100, alone: int = 30) -> Commitment:
    begin = at(day, start)
    return Commitment(Interval(begin, add_minutes(begin, minutes)), add_minutes(begin, alone))
