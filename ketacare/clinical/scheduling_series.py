"""A whole series of sessions: the regimen's pattern, its spacing rules, finding the earliest
complete sets of slots, and what else must move when one session moves. Pure Python.

Spacing rules, read from the regimen block (``regimens.ScheduleBlock``):

- a block given as an interval (every N days; esketamine weeks 5–8 weekly, CRPS daily) places
  each session exactly N days after the previous one; a 1-day interval is the only way two
  sessions fall on consecutive days by an interval;
- a block given as sessions per week (IV induction 2–3 a week, source: S5, S6, S8; esketamine
  induction twice weekly, source: S11, S46, S51) places at most that many in each 7-day period
  counted from the first session, and no two on consecutive days while the frequency is 3 a week
  or fewer (4 or more a week cannot avoid consecutive days in a clinic week);
- a block with a window (IV induction: 6 within 21 days, source: S30; esketamine induction: weeks
  1–4) keeps the first and last session within it; a per-week block without one keeps each
  session within 7 days of the previous (otherwise "per week" would mean nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.regimens import RegimenTemplate, ScheduleBlock
from ketacare.clinical.scheduling import (
    FIXES,
    WEEKDAY_NAMES,
    ClinicCalendar,
    DaySearch,
    PatientAvailability,
    Problem,
    Slot,
    Why,
    add_minutes,
)
from ketacare.clinical.scheduling_needs import ResourceNeeds

PHASES = ("induction", "maintenance", "booster")


@dataclass(frozen=True)
class SeriesPattern:
    """How the sessions of one series are spaced; see the module docstring."""

    label: str
    sessions: int
    min_gap_days: int
    interval_days: int | None
    per_week: int | None
    window_days: int | None
    source: str

    def describe(self) -> str:
        if self.interval_days:
            every = "daily" if self.interval_days == 1 else f"every {self.interval_days} days"
        else:
            every = f"{self.per_week} a week"
        within = f" within {self.window_days} days" if self.window_days else ""
        return f"{self.sessions} sessions, {every}{within} ({self.source})"


def _block(template: RegimenTemplate, phase: str, step: int) -> ScheduleBlock:
    if phase == "induction":
        return template.induction
    if phase == "booster":
        return template.booster
    if phase == "maintenance":
        if not template.maintenance:
            raise ClinicalRuleError(f"{template.label} has no maintenance schedule")
        if not 0 <= step < len(template.maintenance):
            raise ClinicalRuleError(f"{template.label} has {len(template.maintenance)} steps")
        return template.maintenance[step]
    raise ClinicalRuleError(f"Unknown phase {phase!r}: choose one of {', '.join(PHASES)}")


def series_pattern(
    template: RegimenTemplate, phase: str, *, sessions: int | None = None, step: int = 0
) -> SeriesPattern:
    """The pattern of ``phase`` (maintenance: its ``step``) of ``template`` as the clinic set it.

    ``sessions`` books fewer than the block's count (the rest of a series) or, for an open-ended
    block, how many to book. Refused while a needed setting is unset.
    """
    block = _block(template, phase, step)
    count = None if block.sessions is None else block.sessions.resolve()
    if sessions is not None:
        if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 1:
            raise ClinicalRuleError("Book at least one session")
        if count is not None and sessions > count:
            raise ClinicalRuleError(f"This {phase} has {count} sessions; {sessions} is too many")
        count = sessions
    if count is None:
        raise ClinicalRuleError(f"The {phase} schedule is open-ended: say how many to book")
    interval = per_week = None
    if block.interval_days is not None:
        interval = block.interval_days.resolve()
        gap = interval
    else:
        assert block.sessions_per_week is not None
        per_week = block.sessions_per_week.resolve()
        gap = 2 if per_week <= 3 else 1
    window = None if block.window_days is None else block.window_days.resolve()
    return SeriesPattern(
        label=f"{template.label}, {phase}",
        sessions=count,
        min_gap_days=gap,
        interval_days=interval,
        per_week=per_week,
        window_days=window,
        source=block.provenance.cite(),
    )


def _fmt(day: date) -> str:
    return f"{day:%a %d %b}"


def spacing_problems(pattern: SeriesPattern, days: Sequence[date]) -> list[Problem]:
    """Every way ``days`` (one per session, any order) break the pattern's spacing rules."""
    ordered = sorted(days)
    problems = []
    for number, (before, after) in enumerate(pairwise(ordered), start=1):
        gap = (after - before).days
        if pattern.interval_days is not None and gap != pattern.interval_days:
            problems.append(
                Problem(
                    Why.SPACING,
                    f"Sessions {number} and {number + 1} ({_fmt(before)}, {_fmt(after)}) are "
                    f"{gap} days apart; this schedule is every {pattern.interval_days} days.",
                )
            )
        elif gap < pattern.min_gap_days:
            what = "on the same day" if gap == 0 else "on consecutive days"
            problems.append(
                Problem(
                    Why.SPACING,
                    f"Sessions {number} and {number + 1} ({_fmt(before)}, {_fmt(after)}) are "
                    f"{what}; this protocol needs at least {pattern.min_gap_days} days between "
                    "sessions.",
                )
            )
    if ordered and pattern.per_week is not None:
        weeks: dict[int, int] = {}
        for day in ordered:
            week = (day - ordered[0]).days // 7
            weeks[week] = weeks.get(week, 0) + 1
        for week, count in sorted(weeks.items()):
            if count > pattern.per_week:
                problems.append(
                    Problem(
                        Why.SPACING,
                        f"Week {week + 1} of the series holds {count} sessions; at most "
                        f"{pattern.per_week} a week ({pattern.source}).",
                    )
                )
    if ordered and pattern.window_days is not None:
        span = (ordered[-1] - ordered[0]).days + 1
        if span > pattern.window_days:
            problems.append(
                Problem(
                    Why.WINDOW,
                    f"The series would run {span} days ({_fmt(ordered[0])} to "
                    f"{_fmt(ordered[-1])}); all sessions must fall within "
                    f"{pattern.window_days} days ({pattern.source}).",
                )
            )
    return problems


@dataclass(frozen=True)
class MoveCheck:
    """What moving one session does to its series: the problems, and each other session that
    must move with the earliest day it could move to (by index in the days given)."""

    problems: tuple[Problem, ...]
    must_move: tuple[tuple[int, date], ...]


def check_move(pattern: SeriesPattern, days: Sequence[date], index: int, to: date) -> MoveCheck:
    """Move session ``index`` (0-based, in ``days``' order) to ``to`` and re-check the series.

    Later sessions that would now be too close are pushed forward to the earliest day the
    spacing allows, and listed; the window is then checked over the pushed days.
    """
    if not 0 <= index < len(days):
        raise ClinicalRuleError(f"The series has {len(days)} sessions; there is no {index + 1}")
    moved = [*days]
    moved[index] = to
    order = sorted(range(len(moved)), key=lambda i: (moved[i], i != index))
    problems = [p for p in spacing_problems(pattern, moved) if p.why is Why.SPACING]
    pushed = dict(enumerate(moved))
    must_move = []
    position = order.index(index)
    for later in order[position + 1 :]:
        previous = pushed[order[order.index(later) - 1]]
        earliest = previous + timedelta(days=pattern.interval_days or pattern.min_gap_days)
        wrong = (
            pushed[later] != earliest
            if pattern.interval_days is not None
            else pushed[later] < earliest
        )
        if not wrong:
            break
        pushed[later] = earliest
        must_move.append((later, earliest))
    if position > 0:
        before = pushed[order[position - 1]]
        if (to - before).days < pattern.min_gap_days and pattern.interval_days is None:
            problems.append(
                Problem(
                    Why.SPACING,
                    f"Choose {_fmt(before + timedelta(days=pattern.min_gap_days))} or later, or "
                    "move the session before it first.",
                )
            )
    window = [p for p in spacing_problems(pattern, list(pushed.values())) if p.why is Why.WINDOW]
    return MoveCheck(tuple(problems + window), tuple(must_move))


def _allowed(day: date, weekdays: frozenset[int]) -> bool:
    return day.weekday() in weekdays


def most_that_fit(pattern: SeriesPattern, weekdays: frozenset[int]) -> int:
    """The most sessions the pattern can place within its window using only ``weekdays``,
    from the best starting weekday, ignoring everything else on the calendar."""
    best = 0
    monday = date(2024, 1, 1)  # any Monday: only weekdays matter here
    for offset in range(7):
        first = monday + timedelta(days=offset)
        if not _allowed(first, weekdays):
            continue
        placed = [first]
        while len(placed) < pattern.sessions:
            nxt = _next_day(pattern, placed, lambda d: _allowed(d, weekdays))
            if nxt is None:
                break
            placed.append(nxt)
        best = max(best, len(placed))
    return best


def _last_day(pattern: SeriesPattern, placed: Sequence[date]) -> date:
    if pattern.window_days is not None:
        return placed[0] + timedelta(days=pattern.window_days - 1)
    if pattern.interval_days is not None:
        return placed[-1] + timedelta(days=pattern.interval_days)
    return placed[-1] + timedelta(days=7)


def _next_day(pattern: SeriesPattern, placed: Sequence[date], usable) -> date | None:
    """The earliest day after ``placed`` the pattern allows on which ``usable(day)``."""
    last = _last_day(pattern, placed)
    if pattern.interval_days is not None:
        day = placed[-1] + timedelta(days=pattern.interval_days)
        return day if day <= last and usable(day) else None
    day = placed[-1] + timedelta(days=pattern.min_gap_days)
    while day <= last:
        week = (day - placed[0]).days // 7
        if sum(1 for d in placed if (d - placed[0]).days // 7 == week) >= (pattern.per_week or 7):
            day = placed[0] + timedelta(days=7 * (week + 1))
            continue
        if usable(day):
            return day
        day += timedelta(days=1)
    return None


@dataclass(frozen=True)
class SeriesResult:
    """Complete sets of slots, earliest first; when none, why (most frequent first) and the
    furthest any attempt got."""

    proposals: tuple[tuple[Slot, ...], ...]
    reasons: tuple[tuple[Why, int], ...] = ()
    closest: tuple[Slot, ...] = ()

    def problems(self, pattern: SeriesPattern) -> list[Problem]:
        found = []
        if self.closest:
            first = self.closest[0].start
            found.append(
                Problem(
                    Why.WINDOW,
                    f"At best only {len(self.closest)} of {pattern.sessions} sessions fit "
                    f"({pattern.describe()}), starting {first:%a %d %b}.",
                )
            )
        found += [Problem(why, f"{FIXES[why]} ({n} start times)") for why, n in self.reasons]
        return found


def find_series(
    needs: ResourceNeeds,
    calendar: ClinicCalendar,
    patient: PatientAvailability,
    pattern: SeriesPattern,
    *,
    not_before: datetime,
    now: datetime,
    days: int,
    open_weekdays: frozenset[int],
    limit: int = 3,
) -> SeriesResult:
    """The earliest ``limit`` complete series (each a different first day) whose first session
    starts within ``days`` of ``not_before``; each later session on the earliest day the pattern
    allows that has a slot.

    Refused at once (ClinicalRuleError, saying what to change) when the pattern cannot fit its
    window on the days the clinic opens and the patient accepts, whatever the bookings.
    """
    weekdays = open_weekdays & (patient.weekdays if patient.weekdays is not None else open_weekdays)
    fit = most_that_fit(pattern, frozenset(weekdays))
    if fit < pattern.sessions:
        names = ", ".join(WEEKDAY_NAMES[d][:3] for d in sorted(weekdays)) or "no day"
        raise ClinicalRuleError(
            f"{pattern.describe()} cannot fit on {names} (the days the clinic opens and the "
            f"patient accepts): at most {fit} fit. Allow more weekdays."
        )
    search = DaySearch(needs, calendar, patient, now)
    start = max(not_before, now)
    first_day = start.astimezone(calendar.zone).date()
    proposals: list[tuple[Slot, ...]] = []
    closest: tuple[Slot, ...] = ()
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        first = search.earliest(day, after=add_minutes(start, -1) if offset == 0 else None)
        if first is None:
            continue
        chosen = [first]
        while len(chosen) < pattern.sessions:
            found: dict[date, Slot] = {}

            def usable(candidate: date, found: dict[date, Slot] = found) -> bool:
                slot = search.earliest(candidate)
                if slot is not None:
                    found[candidate] = slot
                return slot is not None

            placed = [s.start.astimezone(calendar.zone).date() for s in chosen]
            nxt = _next_day(pattern, placed, usable)
            if nxt is None:
                break
            chosen.append(found[nxt])
        if len(chosen) == pattern.sessions:
            proposals.append(tuple(chosen))
            if len(proposals) >= limit:
                break
        else:
            search.reasons[Why.WINDOW] += 1
            if len(chosen) > len(closest):
                closest = tuple(chosen)
    if proposals:
        return SeriesResult(tuple(proposals))
    return SeriesResult((), search.ranked_reasons(), closest)
