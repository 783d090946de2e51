"""Inputs and outputs of the long-term safety API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class RouteTotalOut(Schema):
    route: str
    doses: int
    total_mg: float
    total_mg_per_kg: float | None
    doses_without_weight: int


class PeriodOut(Schema):
    period: str
    days: int | None
    start: dt.datetime | None
    total_mg: float
    sessions: int
    routes: list[RouteTotalOut]


class MonthOut(Schema):
    start: dt.datetime
    end: dt.datetime
    sessions: int
    total_mg: float


class LimitOut(Schema):
    route: str | None
    what: str
    period: str
    current: float | None
    limit: float | None
    unit: str
    configured: bool
    above: bool


class CumulativeOut(Schema):
    first_dose_at: dt.datetime | None
    periods: list[PeriodOut]
    sessions_per_month: list[MonthOut]
    average_sessions_per_month: float | None
    shortest_interval_hours: float | None
    trend: str
    trend_slope_mg_per_month: float | None
    trend_basis: str
    limits: list[LimitOut]
    unreadable_sessions: list[str]


class DueOut(Schema):
    item: str
    label: str
    status: str
    reason: str
    last_at: dt.datetime | None
    next_due_at: dt.datetime | None
    sources: str


class ReviewOut(Schema):
    id: int
    decision: str
    note: str
    reviewed_at: dt.datetime
    reviewed_by: str
    addenda: list[str]


class SignalOut(Schema):
    id: int
    category: str
    kind: str
    summary: str
    raised_at: dt.datetime
    evidence: dict[str, Any]
    sources: str
    open: bool
    review: ReviewOut | None


class LongTermSafetyOut(Schema):
    patient_id: int
    at: dt.datetime
    cumulative: CumulativeOut
    signals: list[SignalOut]
    due: list[DueOut]
    not_configured: list[str]
    urinary_checks: list[dict[str, Any]]
    cognitive_screens: list[dict[str, Any]]
    liver_results: list[dict[str, Any]]
    continuation_reviews: list[dict[str, Any]]
    dispensing_limit: dict[str, Any] | None
    benefit: list[dict[str, Any]]


class UrinaryCheckIn(Schema):
    answers: dict[str, bool]
    asked_at: dt.datetime | None = None
    note: str = ""


class CognitiveScreenIn(Schema):
    score: float
    administered_at: dt.datetime
    instrument: str = ""
    note: str = ""


class LiverResultIn(Schema):
    analyte: str
    value: float
    collected_on: dt.date
    unit: str = ""
    lab_flag: str = ""
    lab_lower: float | None = None
    lab_upper: float | None = None


class SignalReviewIn(Schema):
    decision: str
    note: str = Field(..., description="What was decided and why.")


class AddendumIn(Schema):
    text: str


class ContinuationIn(Schema):
    decision: str
    rationale: str


class DispensingLimitIn(Schema):
    max_mg: float
    period_days: int
    on_exceed: str
    note: str = ""
