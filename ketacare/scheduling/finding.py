"""Slot finding for a course: one session or a whole series, over the clinic's calendar.

A read: nothing is held until a proposal is booked (``services.series_book``), which checks
every slot again under the clinic's booking lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.scheduling import Problem, Slot, find_slots
from ketacare.clinical.scheduling_needs import ResourceNeeds
from ketacare.clinical.scheduling_series import SeriesPattern, find_series
from ketacare.scheduling import selectors
from ketacare.scheduling.protocol import SchedulingProtocol, scheduling_protocol
from ketacare.treatment.models import TreatmentCourse

AT_HOME_REGIMENS = frozenset({"sublingual-home"})


@dataclass(frozen=True)
class Preferences:
    """The patient's days and times for this search (None: any), and resources to try first."""

    weekdays: frozenset[int] | None = None
    earliest: dt.time | None = None
    latest_start: dt.time | None = None
    nurse_id: int | None = None
    chair_id: int | None = None

    @classmethod
    def stored(cls, course: TreatmentCourse) -> Preferences:
        saved = selectors.preferences_of(course.patient)
        if saved is None:
            return cls()
        return cls(
            weekdays=frozenset(saved.weekdays) if saved.weekdays else None,
            earliest=saved.earliest,
            latest_start=saved.latest_start,
        )


@dataclass(frozen=True)
class Found:
    """Proposals (each a tuple of slots, one for a single session), earliest first; when none,
    the problems with what to change."""

    needs: ResourceNeeds
    pattern: SeriesPattern | None
    proposals: tuple[tuple[Slot, ...], ...]
    problems: tuple[Problem, ...]


def check_course(course: TreatmentCourse) -> None:
    if course.phase == TreatmentCourse.Phase.COMPLETED:
        raise ClinicalRuleError("The course is completed: plan a new course to book sessions")
    if course.regimen_key in AT_HOME_REGIMENS:
        raise ClinicalRuleError("At-home sessions hold no chair; they are not booked here")


def slots_find(
    *,
    course: TreatmentCourse,
    phase: str | None,
    not_before: dt.datetime,
    at: dt.datetime,
    preferences: Preferences,
    sessions: int | None = None,
    step: int = 0,
    limit: int = 3,
    protocol: SchedulingProtocol | None = None,
) -> Found:
    """The earliest complete sets of slots for ``phase`` of ``course`` (a single session when
    ``phase`` is None) from ``not_before``. ClinicalRuleError for input that cannot work (an
    unset setting, a series that cannot fit its window on the days allowed)."""
    check_course(course)
    clinic = course.clinic
    protocol = protocol or scheduling_protocol(clinic)
    needs = protocol.needs(course.route)
    pattern = (
        None
        if phase is None
        else protocol.pattern(course.regimen_key, phase, sessions=sessions, step=step)
    )
    start = max(not_before, at)
    first = start.astimezone(clinic.zone).date()
    days = protocol.search_days
    reach = 1 if pattern is None else (pattern.window_days or 7 * pattern.sessions)
    last = first + dt.timedelta(days=days + reach)
    calendar = selectors.calendar_for(clinic, protocol, first=first, last=last)
    patient = selectors.patient_availability(
        course.patient,
        first=first,
        last=last,
        weekdays=preferences.weekdays,
        earliest=preferences.earliest,
        latest_start=preferences.latest_start,
        nurse_id=preferences.nurse_id,
        chair_id=preferences.chair_id,
    )
    if pattern is None:
        single = find_slots(
            needs, calendar, patient, not_before=start, now=at, days=days, limit=limit * 2
        )
        return Found(needs, None, tuple((slot,) for slot in single.slots), tuple(single.problems()))
    series = find_series(
        needs,
        calendar,
        patient,
        pattern,
        not_before=start,
        now=at,
        days=days,
        open_weekdays=selectors.open_weekdays(clinic),
        limit=limit,
    )
    return Found(needs, pattern, series.proposals, tuple(series.problems(pattern)))
