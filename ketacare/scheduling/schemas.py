"""API shapes for /api/v1/scheduling."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from ketacare.clinical.scheduling import Problem, Slot
from ketacare.clinical.scheduling_needs import ResourceNeeds
from ketacare.clinical.scheduling_series import SeriesPattern
from ketacare.core.schemas import RecordOut

Phase = Literal["induction", "maintenance", "booster"]


class SlotSearchIn(Schema):
    """Find the earliest slots for a course: ``phase`` books a whole series, none one session."""

    course_id: int
    phase: Phase | None = None
    sessions: int | None = Field(None, ge=1, le=30, description="Fewer than the phase holds.")
    step: int = Field(0, ge=0, le=5, description="Maintenance step (esketamine: 0 weeks 5–8).")
    not_before: dt.datetime | None = None
    weekdays: list[int] | None = Field(None, description="0 Monday … 6 Sunday; none: any day")
    earliest: dt.time | None = None
    latest_start: dt.time | None = None
    nurse_id: int | None = None
    chair_id: int | None = None
    limit: int = Field(3, ge=1, le=10)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 0 <= day <= 6 for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return value


class SlotOut(RecordOut):
    start: dt.datetime
    end: dt.datetime
    chair_id: int | None
    nurse_id: int | None
    prescriber_id: int | None = None

    @classmethod
    def of(cls, slot: Slot) -> SlotOut:
        return cls.of_record(slot)


class ProblemOut(Schema):
    why: str
    message: str
    fix: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(why=str(problem.why), message=problem.message, fix=problem.fix)


class NeedsOut(RecordOut):
    route: str | None
    chair_minutes: int
    nurse_minutes: int
    observation_minutes: int
    prescriber_on_site: bool
    capabilities: list[str]
    description: str

    @classmethod
    def of(cls, needs: ResourceNeeds) -> NeedsOut:
        return cls.of_record(
            needs,
            route=str(needs.route) if needs.route else None,
            capabilities=sorted(needs.capabilities),
            description=needs.describe(),
        )


class SlotSearchOut(Schema):
    needs: NeedsOut
    pattern: str | None
    proposals: list[list[SlotOut]]
    problems: list[ProblemOut]


class SlotChoiceIn(Schema):
    start: dt.datetime
    chair_id: int
    nurse_id: int | None = None


class BookingIn(Schema):
    """Book one proposal in one step (every slot is checked again)."""

    course_id: int
    phase: Phase | None = None
    step: int = Field(0, ge=0, le=5)
    slots: list[SlotChoiceIn] = Field(..., min_length=1, max_length=30)


class ScheduledAppointmentOut(RecordOut):
    id: int
    patient_id: int
    course_id: int | None
    kind: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    chair_id: int | None
    nurse_id: int | None
    sequence: int | None
    series_id: int | None = None
    prescriber_id: int | None = None
    late_cancel: bool = False
    confirmed: bool = False

    @classmethod
    def of(cls, appointment) -> ScheduledAppointmentOut:
        booking = getattr(appointment, "booking", None)
        return cls.of_record(
            appointment,
            series_id=booking.series_id if booking else None,
            prescriber_id=booking.prescriber_id if booking else None,
            late_cancel=bool(booking and booking.late_cancel),
            confirmed=bool(booking and booking.confirmed_at),
        )


class MoveIn(Schema):
    start: dt.datetime
    chair_id: int | None = None
    nurse_id: int | None = None


class SchedulingReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class NeedsQueryOut(Schema):
    route: str
    needs: NeedsOut | None
    problem: str | None = None


class PatternOut(Schema):
    label: str
    sessions: int
    min_gap_days: int
    interval_days: int | None
    per_week: int | None
    window_days: int | None
    source: str

    @classmethod
    def of(cls, pattern: SeriesPattern) -> PatternOut:
        return cls(**pattern.__dict__)
