"""Which questionnaires are due: schedule rules applied to a plan, treatments and responses.

Pure functions over plain data, so the treatment app can call them with its own treatment times
and tests can pin every boundary. Times are timezone-aware and passed in.

Each rule yields occurrences; an occurrence has a window ``[opens_at, closes_at]`` in which a
response of its instrument counts, and a ``due_at`` after which it is overdue:

=================  ==========================  =============================  =====================
trigger            opens_at                    due_at                         closes_at
=================  ==========================  =============================  =====================
baseline           plan start − window         plan start + grace, or the     first treatment
                                               first treatment if earlier     (open-ended if none)
before_treatment   treatment − window          treatment                      treatment + grace
every_visit        visit − window              visit                          visit + grace
after_treatment    due − window                treatment + offset             due + grace
every_n_days       due − window                phase start + k × interval     due + grace
=================  ==========================  =============================  =====================

States: ``upcoming`` (not open yet), ``due``, ``overdue`` (past due, still counts), ``done``
(a response inside the window), ``missed`` (window closed without one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketacare.clinical.instruments import get_instrument


class State(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    MISSED = "missed"


OPEN_STATES = (State.DUE, State.OVERDUE)
TRIGGER_LABELS = {
    "baseline": "baseline",
    "before_treatment": "before treatment",
    "after_treatment": "after treatment",
    "every_n_days": "periodic",
    "every_visit": "visit",
}


@dataclass(frozen=True)
class RuleSpec:
    """A schedule rule as plain data (from ``ScheduleRule``)."""

    id: int
    instrument: str
    trigger: str
    phase: str = "any"
    offset_hours: int = 0
    interval_days: int | None = None
    window_hours: int = 24
    grace_hours: int = 0


@dataclass(frozen=True)
class PlanSpec:
    """The part of an assessment plan the schedule needs."""

    started_at: dt.datetime
    maintenance_started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    def phase_at(self, at: dt.datetime) -> str:
        if self.maintenance_started_at is not None and at >= self.maintenance_started_at:
            return "maintenance"
        return "induction"


@dataclass(frozen=True)
class Completed:
    """A (current-version) response: its instrument, when it was completed, its id."""

    instrument: str
    at: dt.datetime
    response_id: int


@dataclass(frozen=True)
class Occurrence:
    """One scheduled questionnaire and where it stands at ``now``."""

    key: str
    rule_id: int
    instrument: str
    trigger: str
    anchor_at: dt.datetime | None  # the treatment/visit it hangs on, or None
    opens_at: dt.datetime
    due_at: dt.datetime
    closes_at: dt.datetime | None
    state: State
    response_id: int | None = None

    @property
    def instrument_name(self) -> str:
        return get_instrument(self.instrument).name

    @property
    def completed_by_patient(self) -> bool:
        return get_instrument(self.instrument).completed_by == "patient"

    @property
    def trigger_label(self) -> str:
        return TRIGGER_LABELS.get(self.trigger, self.trigger)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def occurrences(
    rules: Iterable[RuleSpec],
    plan: PlanSpec,
    *,
    treatments: Sequence[dt.datetime],
    completed: Sequence[Completed],
    now: dt.datetime,
) -> list[Occurrence]:
    """Every occurrence of every rule that has opened by ``now``, plus the next upcoming ones.

    Upcoming occurrences are included when they open within one window of ``now`` so a page can
    say what comes next; callers filter by state.
    """
    _aware(now, "now")
    result = []
    for rule, occurrence in _evaluated(rules, plan, treatments, completed, now, now):
        if occurrence.state == State.UPCOMING and occurrence.opens_at - now > dt.timedelta(
            hours=rule.window_hours
        ):
            continue
        result.append(occurrence)
    result.sort(key=lambda o: (o.due_at, o.instrument, o.rule_id))
    return result


def unanswered(
    rules: Iterable[RuleSpec],
    plan: PlanSpec,
    *,
    treatments: Sequence[dt.datetime],
    completed: Sequence[Completed],
    as_of: dt.datetime,
    through: dt.datetime,
) -> list[Occurrence]:
    """What a due list can show at any time from ``as_of`` to ``through``, stored ahead.

    Every occurrence whose window opens by ``through`` and holds no response, except those whose
    window closed before ``as_of`` (missed for good). At a time ``now`` in that span, the open
    items of ``occurrences(..., now=now)`` are exactly those of this list with
    ``opens_at <= now`` and no ``closes_at`` before ``now``: due while ``now <= due_at``,
    overdue after. States are as at ``as_of``.
    """
    _aware(as_of, "as_of")
    _aware(through, "through")
    if through < as_of:
        raise ValueError("through must not be before as_of")
    return sorted(
        (
            occurrence
            for _, occurrence in _evaluated(rules, plan, treatments, completed, through, as_of)
            if occurrence.state != State.DONE
            and occurrence.opens_at <= through
            and (occurrence.closes_at is None or occurrence.closes_at >= as_of)
        ),
        key=lambda o: (o.due_at, o.instrument, o.rule_id),
    )


def _evaluated(
    rules: Iterable[RuleSpec],
    plan: PlanSpec,
    treatments: Sequence[dt.datetime],
    completed: Sequence[Completed],
    horizon: dt.datetime,
    now: dt.datetime,
) -> Iterator[tuple[RuleSpec, Occurrence]]:
    """Each rule's windows up to ``horizon`` with the response inside each and the state at
    ``now`` (``horizon`` is ``now`` for a page, further ahead when the list is stored)."""
    _aware(plan.started_at, "plan start")
    treatments = sorted(t for t in treatments if _aware(t, "treatment time"))
    if plan.ended_at is not None:
        treatments = [t for t in treatments if t <= plan.ended_at]
    by_instrument: dict[str, list[Completed]] = {}
    for c in completed:
        by_instrument.setdefault(c.instrument, []).append(c)
    for rule in rules:
        for anchor, opens, due, closes in _windows(rule, plan, treatments, horizon):
            if plan.ended_at is not None and opens > plan.ended_at:
                continue
            done = _latest_within(by_instrument.get(rule.instrument, ()), opens, closes)
            yield (
                rule,
                Occurrence(
                    key=_key(rule, anchor or due),
                    rule_id=rule.id,
                    instrument=rule.instrument,
                    trigger=rule.trigger,
                    anchor_at=anchor,
                    opens_at=opens,
                    due_at=due,
                    closes_at=closes,
                    state=_state(now, opens, due, closes, done),
                    response_id=done.response_id if done else None,
                ),
            )


def open_items(items: Iterable[Occurrence]) -> list[Occurrence]:
    """Due and overdue occurrences, oldest due first."""
    return [o for o in items if o.is_open]


Window = tuple[dt.datetime | None, dt.datetime, dt.datetime, dt.datetime | None]


def _windows(
    rule: RuleSpec, plan: PlanSpec, treatments: list[dt.datetime], now: dt.datetime
) -> list[Window]:
    window = dt.timedelta(hours=rule.window_hours)
    grace = dt.timedelta(hours=rule.grace_hours)
    trigger = rule.trigger
    if trigger == "baseline":
        first = treatments[0] if treatments else None
        due = plan.started_at + grace
        if first is not None:
            due = min(due, first)
        return [(None, plan.started_at - window, due, first)]
    if trigger in ("before_treatment", "every_visit"):
        return [(t, t - window, t, t + grace) for t in treatments if _in_phase(rule, plan, t)]
    if trigger == "after_treatment":
        offset = dt.timedelta(hours=rule.offset_hours)
        return [
            (t, t + offset - window, t + offset, t + offset + grace)
            for t in treatments
            if _in_phase(rule, plan, t)
        ]
    if trigger == "every_n_days":
        return _every_n_days(rule, plan, now, window, grace)
    raise ValueError(f"unknown schedule trigger {trigger!r}")


def _every_n_days(
    rule: RuleSpec,
    plan: PlanSpec,
    now: dt.datetime,
    window: dt.timedelta,
    grace: dt.timedelta,
) -> list[Window]:
    if not rule.interval_days:
        return []
    if rule.phase == "maintenance":
        start, end = plan.maintenance_started_at, plan.ended_at
    elif rule.phase == "induction":
        start, end = plan.started_at, plan.maintenance_started_at or plan.ended_at
    else:
        start, end = plan.started_at, plan.ended_at
    if start is None:
        return []
    step = dt.timedelta(days=rule.interval_days)
    horizon = now + window  # one upcoming occurrence at most
    result = []
    due = start + step
    while due - window <= horizon and (end is None or due <= end):
        result.append((None, due - window, due, due + grace))
        due += step
    return result


def _in_phase(rule: RuleSpec, plan: PlanSpec, at: dt.datetime) -> bool:
    return rule.phase == "any" or plan.phase_at(at) == rule.phase


def _latest_within(
    completed: Iterable[Completed], opens: dt.datetime, closes: dt.datetime | None
) -> Completed | None:
    inside = [c for c in completed if c.at >= opens and (closes is None or c.at <= closes)]
    return max(inside, key=lambda c: c.at, default=None)


def _state(
    now: dt.datetime,
    opens: dt.datetime,
    due: dt.datetime,
    closes: dt.datetime | None,
    done: Completed | None,
) -> State:
    if done is not None:
        return State.DONE
    if now < opens:
        return State.UPCOMING
    if closes is not None and now > closes:
        return State.MISSED
    if now <= due:
        return State.DUE
    return State.OVERDUE


def _key(rule: RuleSpec, at: dt.datetime) -> str:
    """Stable identity of an occurrence: rule and anchor time (UTC, to the minute)."""
    return f"r{rule.id}:{rule.trigger}:{at.astimezone(dt.UTC):%Y%m%dT%H%MZ}"


def _aware(at: dt.datetime, what: str) -> bool:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {at!r}")
    return True
