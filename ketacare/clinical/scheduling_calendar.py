"""Time and calendar building blocks for slot finding: DST-safe minute arithmetic, intervals,
weekly hours made concrete, and what a clinic's calendar holds over the days searched. Pure.

Times are aware datetimes. Wall-clock times that do not exist (the spring-forward gap) are
reported as None by ``local_datetime``; durations are elapsed time (``add_minutes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ketacare.clinical.common import ClinicalRuleError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def add_minutes(at: datetime, minutes: float) -> datetime:
    """``minutes`` of elapsed time after ``at``, in ``at``'s zone (right across DST changes;
    plain ``at + timedelta`` adds wall-clock time on an aware datetime)."""
    return (at.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(at.tzinfo)


def minutes_between(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


def local_datetime(day: date, clock: time, zone: tzinfo) -> datetime | None:
    """``clock`` on ``day`` in ``zone``; None when that wall-clock time does not exist (the
    spring-forward gap). An ambiguous time (fall-back) is its first occurrence."""
    wall = datetime.combine(day, clock, tzinfo=zone)
    back = wall.astimezone(UTC).astimezone(zone)
    return wall if back.replace(tzinfo=None) == wall.replace(tzinfo=None) else None


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time")


@dataclass(frozen=True)
class Interval:
    """A stretch of time [start, end); both ends aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ClinicalRuleError(f"{self.end:%Y-%m-%d %H:%M} is not after {self.start:%H:%M}")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, non-touching intervals."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: i.start):
        if merged and item.start <= merged[-1].end:
            if item.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, item.end)
        else:
            merged.append(item)
    return merged


def subtract(intervals: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """``intervals`` with every part covered by ``removed`` taken out."""
    cuts = merge(removed)
    result: list[Interval] = []
    for item in merge(intervals):
        pieces = [item]
        for cut in cuts:
            next_pieces = []
            for piece in pieces:
                if not piece.overlaps(cut):
                    next_pieces.append(piece)
                    continue
                if piece.start < cut.start:
                    next_pieces.append(Interval(piece.start, cut.start))
                if cut.end < piece.end:
                    next_pieces.append(Interval(cut.end, piece.end))
            pieces = next_pieces
        result += pieces
    return result


WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]


def weekly_intervals(hours: WeeklyHours, *, start: date, end: date, zone: tzinfo) -> list[Interval]:
    """Concrete intervals from weekly hours (weekday 0 = Monday → [(opens, closes), ...]) for
    every date from ``start`` to ``end`` inclusive, on the wall clock of ``zone``."""
    result = []
    day = start
    while day <= end:
        for opens, closes in hours.get(day.weekday(), ()):
            if closes <= opens:
                raise ClinicalRuleError(
                    f"{WEEKDAY_NAMES[day.weekday()]} hours end ({closes:%H:%M}) before they start "
                    f"({opens:%H:%M})"
                )
            first = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC).astimezone(zone)
            last = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC).astimezone(zone)
            if last > first:
                result.append(Interval(first, last))
        day += timedelta(days=1)
    return merge(result)


# --- the calendar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commitment:
    """A session a nurse already runs: in progress over ``interval``, one-to-one until
    ``one_to_one_end``."""

    interval: Interval
    one_to_one_end: datetime


@dataclass(frozen=True)
class ChairCalendar:
    chair_id: int
    name: str
    capabilities: frozenset[str]
    busy: tuple[Interval, ...] = ()  # bookings and blocks


@dataclass(frozen=True)
class StaffCalendar:
    staff_id: int
    name: str
    working: tuple[Interval, ...]  # working hours with time off already removed
    sessions: tuple[Commitment, ...] = ()


@dataclass(frozen=True)
class ClinicCalendar:
    """Everything slot finding reads about the clinic over the days searched."""

    zone: tzinfo
    opening: tuple[Interval, ...]  # opening hours with closures removed
    chairs: tuple[ChairCalendar, ...]
    nurses: tuple[StaffCalendar, ...]
    prescribers: tuple[StaffCalendar, ...]
    nurse_capacity: int
    step_minutes: int = 15
    closures: Mapping[date, str] = field(default_factory=dict)  # day → reason, for messages

    def __post_init__(self) -> None:
        if self.nurse_capacity < 1:
            raise ClinicalRuleError("A nurse runs at least one session at a time")
        if not 1 <= self.step_minutes <= 240:
            raise ClinicalRuleError("Start times are offered every 1 to 240 minutes")


@dataclass(frozen=True)
class PatientAvailability:
    """The patient's other appointments and preferences (None: no preference)."""

    busy: tuple[Interval, ...] = ()
    weekdays: frozenset[int] | None = None
    earliest: time | None = None  # earliest start, clinic wall clock
    latest_start: time | None = None
    nurse_id: int | None = None  # tried first
    chair_id: int | None = None  # tried first


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    chair_id: int | None  # None only for a visit that needs no chair
    nurse_id: int | None  # None only for a visit that needs no nurse
    prescriber_id: int | None = None
