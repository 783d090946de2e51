"""The calendar as the pages draw it: per day, one column per chair on a grid of 5-minute rows
(wall clock of the clinic), holding sessions, blocks and the free time inside opening hours.

Built from a fixed number of queries for any number of days (``calendar_range``), then laid out
in Python; the grid positions are CSS classes (``r-<row>``, ``s-<rows>``) because the pages'
content security policy allows no inline styles.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ketacare.core.models import Chair, Clinic
from ketacare.scheduling import selectors
from ketacare.scheduling.models import ChairBlock
from ketacare.treatment.models import Appointment

ROW_MINUTES = 5
MAX_ROWS = 24 * 60 // ROW_MINUTES
DEFAULT_HOURS = (dt.time(8), dt.time(18))


@dataclass
class Item:
    kind: str  # "session", "visit", "block" or "free"
    start: dt.datetime
    end: dt.datetime
    row: int
    span: int
    label: str = ""
    detail: str = ""
    status: str = ""
    appointment: Appointment | None = None
    block: ChairBlock | None = None

    @property
    def css(self) -> str:
        return f"r-{self.row} s-{self.span}"


@dataclass
class Column:
    chair: Chair | None  # None: appointments without a chair (consultations)
    items: list[Item] = field(default_factory=list)


@dataclass
class Day:
    day: dt.date
    start_minute: int  # wall-clock minute of the grid's first row
    rows: int
    hours: list[tuple[int, str]]  # (row, "08:00")
    columns: list[Column]
    closed: str = ""
    opening: list[tuple[dt.time, dt.time]] = field(default_factory=list)

    @property
    def css(self) -> str:
        return f"rows-{self.rows}"

    @property
    def session_count(self) -> int:
        return sum(1 for c in self.columns for i in c.items if i.kind in ("session", "visit"))


def _minute(moment: dt.datetime, zone, day: dt.date) -> int:
    """Minutes after midnight of ``day`` on the clinic's wall clock (clamped to the day)."""
    local = moment.astimezone(zone)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def _place(kind: str, start, end, zone, day: Day, **extra) -> Item | None:
    first = _minute(start, zone, day.day)
    last = _minute(end, zone, day.day)
    row = (first - day.start_minute) // ROW_MINUTES + 1
    span = max(1, -(-(last - first) // ROW_MINUTES))
    row = max(1, min(row, day.rows))
    span = max(1, min(span, day.rows - row + 1))
    return Item(kind, start, end, row, span, **extra)


def _initials(appointment: Appointment) -> str:
    patient = appointment.patient
    return f"{patient.first_name[:1]}{patient.last_name[:1]}".upper()


def _session_item(appointment: Appointment, zone, day: Day) -> Item | None:
    kind = "session" if appointment.kind == Appointment.Kind.TREATMENT else "visit"
    course = appointment.course
    what = course.route_label if course else appointment.get_kind_display()
    number = f" #{appointment.sequence}" if appointment.sequence else ""
    nurse = appointment.nurse.get_full_name() if appointment.nurse_id else "no nurse"
    return _place(
        kind,
        appointment.starts_at,
        appointment.ends_at,
        zone,
        day,
        label=f"{appointment.patient.display_name}",
        detail=f"{what}{number} · {nurse}",
        status=appointment.status,
        appointment=appointment,
    )


def calendar_range(clinic: Clinic, first: dt.date, last: dt.date) -> list[Day]:
    """Every day from ``first`` to ``last``: chairs as columns with their sessions, blocks and
    free time. A fixed number of queries whatever the number of appointments."""
    zone = clinic.zone
    start, end = selectors.day_bounds(clinic, first, last)
    appointments = list(selectors.appointments_between(clinic, start, end))
    blocks = list(ChairBlock.objects.filter(clinic=clinic, starts_at__lt=end, ends_at__gt=start))
    chairs = selectors.active_chairs(clinic)
    hours = selectors.opening_hours(clinic)
    closed = selectors.closures_between(clinic, first, last)
    days = []
    day = first
    while day <= last:
        days.append(_lay_out(day, zone, chairs, hours, closed, appointments, blocks))
        day += dt.timedelta(days=1)
    return days


def _bounds(day: dt.date, zone, opening, appointments) -> tuple[int, int]:
    minutes = [o.hour * 60 + o.minute for o, _ in opening] or [DEFAULT_HOURS[0].hour * 60]
    ends = [c.hour * 60 + c.minute for _, c in opening] or [DEFAULT_HOURS[1].hour * 60]
    for appointment in appointments:
        minutes.append(_minute(appointment.starts_at, zone, day))
        ends.append(_minute(appointment.ends_at, zone, day))
    first = min(minutes) // 60 * 60
    last = min(24 * 60, -(-max(ends) // 60) * 60)
    return first, max(last, first + 60)


def _lay_out(day, zone, chairs, hours, closed, appointments, blocks) -> Day:
    start, end = selectors.day_bounds_zone(zone, day)
    todays = [a for a in appointments if a.starts_at < end and a.ends_at > start]
    shown = [a for a in todays if a.status != Appointment.Status.CANCELLED]
    opening = [] if day in closed else sorted(hours.get(day.weekday(), []))
    first, last = _bounds(day, zone, opening, shown)
    rows = (last - first) // ROW_MINUTES
    grid = Day(
        day=day,
        start_minute=first,
        rows=rows,
        hours=[
            ((m - first) // ROW_MINUTES + 1, f"{m // 60:02d}:00") for m in range(first, last, 60)
        ],
        columns=[],
        closed=closed.get(day, "" if opening else "Closed"),
        opening=opening,
    )
    by_chair: dict[int | None, list[Item]] = defaultdict(list)
    for appointment in shown:
        item = _session_item(appointment, zone, grid)
        if item is not None:
            by_chair[appointment.chair_id].append(item)
    for block in blocks:
        if block.starts_at < end and block.ends_at > start:
            item = _place(
                "block", block.starts_at, block.ends_at, zone, grid, label=block.reason, block=block
            )
            by_chair[block.chair_id].append(item)
    for chair in chairs:
        taken = sorted(by_chair.get(chair.pk, []), key=lambda i: i.row)
        grid.columns.append(Column(chair, taken + _free(grid, opening, taken, zone, day)))
    if by_chair.get(None):
        grid.columns.append(Column(None, by_chair[None]))
    return grid


def _free(grid: Day, opening, taken: list[Item], zone, day: dt.date) -> list[Item]:
    """The free stretches of a chair inside opening hours (at least 30 minutes)."""
    busy = sorted((i.row, i.row + i.span) for i in taken)
    free = []
    for opens, closes in opening:
        row = (opens.hour * 60 + opens.minute - grid.start_minute) // ROW_MINUTES + 1
        stop = (closes.hour * 60 + closes.minute - grid.start_minute) // ROW_MINUTES + 1
        for first, last in busy:
            if first > row and first - row >= 6:
                free.append(_free_item(grid, row, min(first, stop), zone, day))
            row = max(row, last)
        if stop - row >= 6:
            free.append(_free_item(grid, row, stop, zone, day))
    return [f for f in free if f.span > 0]


def _free_item(grid: Day, row: int, stop: int, zone, day: dt.date) -> Item:
    minute = grid.start_minute + (row - 1) * ROW_MINUTES
    until = grid.start_minute + (stop - 1) * ROW_MINUTES
    start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    end_time = dt.time(23, 59) if until >= 24 * 60 else dt.time(until // 60, until % 60)
    end = dt.datetime.combine(day, end_time, tzinfo=zone)
    return Item(
        "free", start, end, row, stop - row, label="Free", detail=f"{start:%H:%M}–{end:%H:%M}"
    )
