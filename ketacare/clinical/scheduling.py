"""Finding slots for treatment sessions over a clinic's calendar. Pure: no clock, no database.

A slot is a start time with a chair, a nurse and (when the route needs one) a prescriber, such
that for the whole session (``ResourceNeeds.chair_minutes`` of elapsed time):

- it starts after ``now`` and lies inside the clinic's opening hours (closures removed);
- the chair offers the route's capabilities and holds no booking or block;
- the nurse works throughout, has no other one-to-one time in the first ``nurse_minutes``, and
  has fewer than ``nurse_capacity`` sessions in progress at any moment;
- a prescriber works throughout when ``prescriber_on_site``;
- the patient has no other appointment, and it falls on the patient's preferred days and times.

Times are aware datetimes. Start times are offered on the clinic's wall clock (every
``step_minutes`` from each opening), so on a daylight-saving change day a 09:00 start is still
09:00; durations are elapsed time (``add_minutes``), so a session crossing a change keeps its
length. A wall-clock time that does not exist (the spring-forward gap) is never offered.

When nothing fits, the result says why, counted over every start time tried, and what to change
(``Problem.fix``). Series of sessions are in ``scheduling_series``; per-route needs in
``scheduling_needs``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property

from ketacare.clinical.scheduling_calendar import (
    WEEKDAY_NAMES,
    ChairCalendar,
    ClinicCalendar,
    Commitment,
    Interval,
    PatientAvailability,
    Slot,
    StaffCalendar,
    add_minutes,
    local_datetime,
    merge,
    minutes_between,
    require_aware,
    subtract,
    weekly_intervals,
)
from ketacare.clinical.scheduling_needs import CAPABILITY_LABELS, ResourceNeeds

__all__ = [
    "WEEKDAY_NAMES",
    "ChairCalendar",
    "ClinicCalendar",
    "Commitment",
    "DaySearch",
    "Interval",
    "PatientAvailability",
    "Problem",
    "SearchResult",
    "Slot",
    "StaffCalendar",
    "Why",
    "add_minutes",
    "check_slot",
    "day_starts",
    "find_slots",
    "local_datetime",
    "merge",
    "minutes_between",
    "subtract",
    "weekly_intervals",
]


class Why(StrEnum):
    PAST = "past"
    CLOSED = "closed"
    OUTSIDE_HOURS = "outside_hours"
    PATIENT_PREFERENCE = "patient_preference"
    PATIENT_BUSY = "patient_busy"
    NO_CAPABLE_CHAIR = "no_capable_chair"
    CHAIR_BUSY = "chair_busy"
    NO_NURSE = "no_nurse"
    NURSE_BUSY = "nurse_busy"
    NO_PRESCRIBER = "no_prescriber"
    SPACING = "spacing"
    WINDOW = "window"


FIXES: Mapping[Why, str] = {
    Why.PAST: "Choose a time after now.",
    Why.CLOSED: "Choose a day the clinic is open, or change its closures.",
    Why.OUTSIDE_HOURS: "Choose a start that lets the whole session end before closing, or "
    "extend the opening hours.",
    Why.PATIENT_PREFERENCE: "Allow more days or a wider range of start times for the patient.",
    Why.PATIENT_BUSY: "The patient has another appointment then: choose another time.",
    Why.NO_CAPABLE_CHAIR: "Give a chair the capability this route needs (Scheduling → Resources).",
    Why.CHAIR_BUSY: "Every suitable chair is booked or blocked then: widen the days or times, "
    "search further ahead, or join the waitlist.",
    Why.NO_NURSE: "No nurse works for the whole session then: add nurse hours or move time off.",
    Why.NURSE_BUSY: "The nurses are at capacity then: stagger the start or add a nurse.",
    Why.NO_PRESCRIBER: "No prescriber is on site for the whole session then: add prescriber "
    "hours on those days.",
    Why.SPACING: "Move the other sessions of the series as listed, or choose another day.",
    Why.WINDOW: "Allow more weekdays, a wider range of times or an earlier start so the series "
    "fits the protocol's window.",
}


@dataclass(frozen=True)
class Problem:
    """Why a slot cannot be used, and what to change."""

    why: Why
    message: str

    @property
    def fix(self) -> str:
        return FIXES[self.why]


@dataclass(frozen=True)
class SearchResult:
    """The earliest slots found, or, when none, why nothing fit (most frequent reason first)."""

    slots: tuple[Slot, ...]
    reasons: tuple[tuple[Why, int], ...] = ()

    def problems(self) -> list[Problem]:
        return [Problem(why, f"{FIXES[why]} ({count} start times)") for why, count in self.reasons]


# --- checking one start ------------------------------------------------------------------------


def _overlapping(intervals: Iterable[Interval], span: Interval) -> bool:
    return any(item.overlaps(span) for item in intervals)


def _covered(intervals: Iterable[Interval], span: Interval) -> bool:
    return any(item.contains(span) for item in intervals)


def _peak_load(sessions: Sequence[Commitment], span: Interval) -> int:
    """The most of ``sessions`` in progress at one moment within ``span``."""
    inside = [s.interval for s in sessions if s.interval.overlaps(span)]
    moments = {span.start, *(i.start for i in inside if i.start > span.start)}
    return max((sum(1 for i in inside if i.start <= m < i.end) for m in moments), default=0)


@dataclass
class _Day:
    """One local day's share of the calendar, so each check scans only that day."""

    calendar: ClinicCalendar
    patient: PatientAvailability
    day: date

    @cached_property
    def bounds(self) -> Interval:
        zone = self.calendar.zone
        start = datetime.combine(self.day, time.min, tzinfo=zone)
        end = datetime.combine(self.day + timedelta(days=1), time.min, tzinfo=zone)
        return Interval(start, end)

    def _near(self, intervals: Iterable[Interval]) -> tuple[Interval, ...]:
        return tuple(i for i in intervals if i.overlaps(self.bounds))

    @cached_property
    def opening(self) -> tuple[Interval, ...]:
        return self._near(self.calendar.opening)

    @cached_property
    def chair_busy(self) -> dict[int, tuple[Interval, ...]]:
        return {c.chair_id: self._near(c.busy) for c in self.calendar.chairs}

    def _staff(self, people: Sequence[StaffCalendar]) -> list[StaffCalendar]:
        return [
            StaffCalendar(
                p.staff_id,
                p.name,
                self._near(p.working),
                tuple(s for s in p.sessions if s.interval.overlaps(self.bounds)),
            )
            for p in people
        ]

    @cached_property
    def nurses(self) -> list[StaffCalendar]:
        people = self._staff(self.calendar.nurses)
        preferred = self.patient.nurse_id
        return sorted(people, key=lambda p: (p.staff_id != preferred, len(p.sessions)))

    @cached_property
    def prescribers(self) -> list[StaffCalendar]:
        return self._staff(self.calendar.prescribers)

    @cached_property
    def patient_busy(self) -> tuple[Interval, ...]:
        return self._near(self.patient.busy)


def _chair_order(needs: ResourceNeeds, chairs: Sequence[ChairCalendar], preferred: int | None):
    """Capable chairs, the preferred one first, then those with the fewest capabilities this
    route does not use (so an esketamine session leaves the IV pumps free)."""
    capable = [c for c in chairs if needs.capabilities <= c.capabilities]
    return sorted(
        capable, key=lambda c: (c.chair_id != preferred, len(c.capabilities - needs.capabilities))
    )


def _try_start(
    needs: ResourceNeeds,
    day: _Day,
    start: datetime,
    *,
    now: datetime,
    chair_id: int | None = None,
    nurse_id: int | None = None,
) -> tuple[Slot | None, list[Problem]]:
    calendar, patient = day.calendar, day.patient
    end = add_minutes(start, needs.chair_minutes)
    span = Interval(start, end)
    local = start.astimezone(calendar.zone)
    problems: list[Problem] = []
    if start < now:
        return None, [Problem(Why.PAST, f"{local:%a %d %b %H:%M} is in the past.")]
    if not _covered(day.opening, span):
        return None, [_outside_hours(needs, day, span)]
    if patient.weekdays is not None and local.weekday() not in patient.weekdays:
        problems.append(
            Problem(Why.PATIENT_PREFERENCE, f"The patient prefers not to come on {local:%A}s.")
        )
    clock = local.time().replace(tzinfo=None)
    if (patient.earliest and clock < patient.earliest) or (
        patient.latest_start and clock > patient.latest_start
    ):
        problems.append(
            Problem(Why.PATIENT_PREFERENCE, f"{clock:%H:%M} is outside the patient's times.")
        )
    if _overlapping(day.patient_busy, span):
        problems.append(Problem(Why.PATIENT_BUSY, "The patient has another appointment then."))
    chair_ok, chair = _chair_for(needs, day, span, chair_id, problems)
    nurse_ok, nurse = True, None
    if needs.needs_nurse or nurse_id is not None:
        nurse = _nurse_for(needs, day, span, nurse_id, problems)
        nurse_ok = nurse is not None
    prescriber_id = None
    if needs.prescriber_on_site:
        on_site = [p for p in day.prescribers if _covered(p.working, span)]
        if not on_site:
            problems.append(
                Problem(Why.NO_PRESCRIBER, "No prescriber is on site for the whole session.")
            )
        else:
            prescriber_id = on_site[0].staff_id
    if problems or not chair_ok or not nurse_ok:
        return None, problems
    return Slot(start, end, chair, nurse, prescriber_id), []


def _chair_for(
    needs: ResourceNeeds, day: _Day, span: Interval, chair_id: int | None, problems: list[Problem]
) -> tuple[bool, int | None]:
    """(found, chair): the chair asked for or the best free capable one; no chair for a visit
    that needs none."""
    if not needs.needs_chair and chair_id is None:
        return True, None
    calendar = day.calendar
    chairs = _chair_order(needs, calendar.chairs, chair_id or day.patient.chair_id)
    if chair_id is not None:
        chosen = [c for c in calendar.chairs if c.chair_id == chair_id]
        able = ", ".join(c.name for c in chairs) or "none"
        if not chosen:
            problems.append(
                Problem(Why.NO_CAPABLE_CHAIR, f"No such chair; chairs that can: {able}")
            )
        elif not needs.capabilities <= chosen[0].capabilities:
            missing = sorted(needs.capabilities - chosen[0].capabilities)
            names = " or ".join(CAPABILITY_LABELS[m] for m in missing)
            problems.append(
                Problem(
                    Why.NO_CAPABLE_CHAIR,
                    f"{chosen[0].name} has no {names}; chairs that can: {able}.",
                )
            )
        chairs = [c for c in chairs if c.chair_id == chair_id]
    elif not chairs:
        problems.append(Problem(Why.NO_CAPABLE_CHAIR, "No chair can take this route."))
    free = [c for c in chairs if not _overlapping(day.chair_busy[c.chair_id], span)]
    if chairs and not free:
        names = ", ".join(c.name for c in chairs)
        problems.append(Problem(Why.CHAIR_BUSY, f"{names}: booked or blocked then."))
    return (True, free[0].chair_id) if free else (False, None)


def _nurse_for(
    needs: ResourceNeeds, day: _Day, span: Interval, nurse_id: int | None, problems: list[Problem]
) -> int | None:
    people = [n for n in day.nurses if nurse_id is None or n.staff_id == nurse_id]
    working = [n for n in people if _covered(n.working, span)]
    if not working:
        who = people[0].name if nurse_id is not None and people else "No nurse"
        problems.append(Problem(Why.NO_NURSE, f"{who} is not working for the whole session."))
        return None
    one_to_one = Interval(span.start, add_minutes(span.start, max(needs.nurse_minutes, 1)))
    for nurse in working:
        busy_alone = any(
            Interval(
                s.interval.start, max(s.one_to_one_end, add_minutes(s.interval.start, 1))
            ).overlaps(one_to_one)
            for s in nurse.sessions
        )
        if not busy_alone and _peak_load(nurse.sessions, span) < day.calendar.nurse_capacity:
            return nurse.staff_id
    who = working[0].name if nurse_id is not None else "Every nurse working then"
    problems.append(Problem(Why.NURSE_BUSY, f"{who} is at capacity or starting another patient."))
    return None


def _outside_hours(needs: ResourceNeeds, day: _Day, span: Interval) -> Problem:
    local = span.start.astimezone(day.calendar.zone)
    if day.day in day.calendar.closures:
        return Problem(
            Why.CLOSED,
            f"The clinic is closed on {local:%a %d %b}: {day.calendar.closures[day.day]}.",
        )
    if not day.opening:
        return Problem(Why.CLOSED, f"The clinic is not open on {local:%A}s.")
    hours = ", ".join(
        f"{i.start.astimezone(day.calendar.zone):%H:%M}–{i.end.astimezone(day.calendar.zone):%H:%M}"
        for i in day.opening
    )
    latest = [
        add_minutes(i.end, -needs.chair_minutes).astimezone(day.calendar.zone)
        for i in day.opening
        if minutes_between(i.start, i.end) >= needs.chair_minutes
    ]
    advice = f" Start by {max(latest):%H:%M} or choose another day." if latest else ""
    return Problem(
        Why.OUTSIDE_HOURS,
        f"The clinic is open {hours} on {local:%a %d %b}; a {needs.chair_minutes}-minute session "
        f"starting {local:%H:%M} would end at "
        f"{span.end.astimezone(day.calendar.zone):%H:%M}.{advice}",
    )


def check_slot(
    needs: ResourceNeeds,
    calendar: ClinicCalendar,
    patient: PatientAvailability,
    *,
    start: datetime,
    now: datetime,
    chair_id: int | None = None,
    nurse_id: int | None = None,
) -> tuple[Slot | None, list[Problem]]:
    """Whether a session may start at ``start`` (with the given chair and nurse, or any free
    ones): the slot with the resources chosen, or every problem with what to change."""
    require_aware(start, "The start")
    require_aware(now, "now")
    day = _Day(calendar, patient, start.astimezone(calendar.zone).date())
    return _try_start(needs, day, start, now=now, chair_id=chair_id, nurse_id=nurse_id)


# --- searching -----------------------------------------------------------------------------------


def day_starts(calendar: ClinicCalendar, day: date, minutes: int) -> list[datetime]:
    """Wall-clock start times on ``day``, every ``step_minutes`` from each opening, from which a
    ``minutes``-long session ends by that opening's close. Nonexistent wall times are skipped."""
    starts = []
    zone = calendar.zone
    for opening in _Day(calendar, PatientAvailability(), day).opening:
        first = opening.start.astimezone(zone)
        if first.date() != day:
            continue
        wall = datetime.combine(day, first.time().replace(tzinfo=None))
        while wall.date() == day:
            start = local_datetime(day, wall.time(), zone)
            if start is not None:
                if add_minutes(start, minutes) > opening.end:
                    break
                if start >= opening.start:
                    starts.append(start)
            wall += timedelta(minutes=calendar.step_minutes)
    return sorted(set(starts))


@dataclass
class DaySearch:
    """The earliest slot of each day for one session's needs, computed once per day (a series
    search asks for the same day many times), with why each start time failed."""

    needs: ResourceNeeds
    calendar: ClinicCalendar
    patient: PatientAvailability
    now: datetime
    reasons: Counter = field(default_factory=Counter)
    _cache: dict[date, Slot | None] = field(default_factory=dict)

    def earliest(self, day: date, *, after: datetime | None = None) -> Slot | None:
        if after is None and day in self._cache:
            return self._cache[day]
        found = None
        view = _Day(self.calendar, self.patient, day)
        starts = day_starts(self.calendar, day, self.needs.chair_minutes)
        if not starts:
            self.reasons[Why.CLOSED if not view.opening else Why.OUTSIDE_HOURS] += 1
        for start in starts:
            if after is not None and start <= after:
                continue
            slot, problems = _try_start(self.needs, view, start, now=self.now)
            if slot is not None:
                found = slot
                break
            self.reasons.update({problem.why for problem in problems})
        if after is None:
            self._cache[day] = found
        return found

    def ranked_reasons(self) -> tuple[tuple[Why, int], ...]:
        return tuple(self.reasons.most_common())


def find_slots(
    needs: ResourceNeeds,
    calendar: ClinicCalendar,
    patient: PatientAvailability,
    *,
    not_before: datetime,
    now: datetime,
    days: int,
    limit: int = 5,
    per_day: int = 2,
) -> SearchResult:
    """The earliest ``limit`` slots for one session from ``not_before`` over ``days`` days, at
    most ``per_day`` on one day (so the proposals offer a choice of days)."""
    require_aware(not_before, "The earliest start")
    require_aware(now, "now")
    search = DaySearch(needs, calendar, patient, now)
    first_day = max(not_before, now).astimezone(calendar.zone).date()
    slots: list[Slot] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        after = add_minutes(max(not_before, now), -1)
        taken = 0
        while taken < per_day and len(slots) < limit:
            slot = search.earliest(day, after=after)
            if slot is None:
                break
            slots.append(slot)
            taken += 1
            after = slot.start
        if len(slots) >= limit:
            break
    return SearchResult(tuple(slots), () if slots else search.ranked_reasons())
