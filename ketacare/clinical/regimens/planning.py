"""Planning dates: pure, dates are passed in and planned dates returned. Weekdays are integers as
``date.weekday()`` gives them (Monday 0 … Sunday 6)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.regimens.model import (
    PlannedTreatment,
    RegimenTemplate,
    ScheduleBlock,
    check_allowed_interval,
)


def default_weekdays(*, start: date, sessions_per_week: int) -> tuple[int, ...]:
    """Weekdays spread over the week from the start date's weekday: offsets ⌊i × 7 / n⌋.

    3 a week from a Monday → Mon, Wed, Fri; 2 a week → Mon, Thu; 1 a week → Mon.
    """
    return tuple(
        (start.weekday() + i * 7 // sessions_per_week) % 7 for i in range(sessions_per_week)
    )


def _check_weekdays(weekdays: Sequence[int], sessions_per_week: int) -> tuple[int, ...]:
    days = tuple(weekdays)
    if any(isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6 for day in days):
        raise ClinicalRuleError(f"Weekdays are 0 (Monday) to 6 (Sunday), got {days}")
    if len(set(days)) != len(days):
        raise ClinicalRuleError(f"Preferred weekdays repeat a day: {days}")
    if len(days) != sessions_per_week:
        raise ClinicalRuleError(
            f"{sessions_per_week} sessions a week need {sessions_per_week} preferred weekdays, "
            f"got {len(days)}"
        )
    return days


def _weekday_dates(start: date, weekdays: Iterable[int]) -> Iterable[date]:
    """Every date on or after ``start`` that falls on one of ``weekdays``, in order."""
    wanted = set(weekdays)
    day = start
    while True:
        if day.weekday() in wanted:
            yield day
        day += timedelta(days=1)


def _block_dates(
    block: ScheduleBlock,
    *,
    start: date,
    weekdays: Sequence[int] | None,
    until: date | None,
) -> list[date]:
    count = None if block.sessions is None else block.sessions.resolve()
    if count is None and until is None:
        raise ClinicalRuleError(f"An open-ended {block.phase.value} schedule needs an end date")
    if block.sessions_per_week is not None:
        per_week = block.sessions_per_week.resolve()
        days = (
            default_weekdays(start=start, sessions_per_week=per_week)
            if weekdays is None
            else _check_weekdays(weekdays, per_week)
        )
        candidates = _weekday_dates(start, days)
    else:
        assert block.interval_days is not None
        interval = block.interval_days.resolve()
        if block.allowed_interval_days:
            check_allowed_interval(block, interval)
        if weekdays is not None:
            raise ClinicalRuleError(
                f"This {block.phase.value} schedule is every {interval} days; preferred weekdays "
                "do not apply"
            )
        candidates = (start + timedelta(days=interval * i) for i in itertools.count())
    dates: list[date] = []
    for day in candidates:
        if (count is not None and len(dates) == count) or (until is not None and day > until):
            break
        dates.append(day)
    if block.window_days is not None and dates:
        window = block.window_days.resolve()
        if (dates[-1] - dates[0]).days + 1 > window:
            raise ClinicalRuleError(
                f"{len(dates)} {block.phase.value} sessions from {dates[0]} end on {dates[-1]}, "
                f"outside the {window}-day window ({block.window_days.provenance.cite()}). "
                "Choose weekdays closer together or more sessions a week."
            )
    return dates


def _planned(block: ScheduleBlock, dates: Sequence[date], first: int = 1) -> list[PlannedTreatment]:
    return [
        PlannedTreatment(
            scheduled_date=day,
            sequence=first + index,
            phase=block.phase,
            dose_description=(
                block.first_dose_description
                if index == 0 and first == 1 and block.first_dose_description
                else block.dose_description
            ),
        )
        for index, day in enumerate(dates)
    ]


def plan_induction(
    template: RegimenTemplate, *, start: date, weekdays: Sequence[int] | None = None
) -> list[PlannedTreatment]:
    """Dates of the induction series from ``start`` (or the first preferred weekday after it).

    With ``weekdays`` (one per session a week) sessions fall on those days; without, they are
    spread from the start date's weekday (``default_weekdays``). Refused when a required setting
    is unset or the series would not fit the template's window.
    """
    block = template.induction
    return _planned(block, _block_dates(block, start=start, weekdays=weekdays, until=None))


def plan_maintenance(
    template: RegimenTemplate, *, start: date, until: date
) -> list[PlannedTreatment]:
    """Maintenance dates from ``start`` (its first session) up to ``until`` inclusive.

    Steps run in order; each step's first session is one interval after the previous session
    (esketamine: 4 weekly sessions, then every 7 or 14 days from the last weekly one).
    """
    if not template.maintenance:
        raise ClinicalRuleError(f"{template.label} has no maintenance schedule in the reference")
    if until < start:
        raise ClinicalRuleError(f"Plan end {until} is before its start {start}")
    planned: list[PlannedTreatment] = []
    step_start = start
    for index, block in enumerate(template.maintenance):
        if step_start > until:
            break
        dates = _block_dates(block, start=step_start, weekdays=None, until=until)
        planned += _planned(block, dates, first=len(planned) + 1)
        if block.sessions is None or len(dates) < block.sessions.resolve():
            break  # an open-ended step, or ``until`` came first
        following = template.maintenance[index + 1 : index + 2]
        if not following or dates[-1] + timedelta(days=_shortest_gap(following[0])) > until:
            break  # no further session can fall before ``until``, whatever the next setting
        gap = following[0].interval_days
        step_start = dates[-1] + timedelta(days=1 if gap is None else gap.resolve())
    return planned


def _shortest_gap(block: ScheduleBlock) -> int:
    """The fewest days a block's first session can follow the previous one, set or not."""
    if block.interval_days is None:
        return 1
    if block.interval_days.value is not None:
        return block.interval_days.value
    if block.allowed_interval_days:
        return min(block.allowed_interval_days)
    return max(1, int(block.interval_days.minimum or 1))


def plan_booster(
    template: RegimenTemplate,
    *,
    start: date,
    relapse_detected: bool,
    weekdays: Sequence[int] | None = None,
) -> list[PlannedTreatment]:
    """A booster series from ``start``, only when ``outcomes`` has detected a relapse."""
    if not relapse_detected:
        raise ClinicalRuleError("A booster series is planned only after a relapse is detected")
    block = template.booster
    return _planned(block, _block_dates(block, start=start, weekdays=weekdays, until=None))


def course_week(*, course_start: date, on: date) -> int:
    """1-based week of the course that ``on`` falls in (week 1 = the first 7 days)."""
    if on < course_start:
        raise ClinicalRuleError(f"{on} is before the course started on {course_start}")
    return (on - course_start).days // 7 + 1
