"""API input and output shapes. Input validation is the scorer's: answers that ``score()``
refuses are a 422 naming the item."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictInt, ValidationInfo, field_validator, model_validator

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import INSTRUMENTS, score

StaffSource = Literal["staff_paper", "clinician_rated"]


def _known_instrument(value: str) -> str:
    if value not in INSTRUMENTS:
        raise ValueError(f"unknown instrument; expected one of {', '.join(INSTRUMENTS)}")
    return value


def _aware_past(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone, e.g. 2026-03-01T09:30:00-05:00")
    if value > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
        raise ValueError("is in the future")
    return value


class ResponseIn(Schema):
    instrument: str = Field(description="phq9, gad7, qids_sr16, madrs, cssrs_screen, …")
    answers: list[StrictInt] = Field(description="Whole numbers in item order.")
    completed_at: dt.datetime | None = Field(default=None, description="Default: now.")
    source: StaffSource | None = Field(
        default=None, description="Default: clinician_rated for clinician instruments, else paper."
    )

    check_instrument = field_validator("instrument")(_known_instrument)
    check_completed_at = field_validator("completed_at")(_aware_past)

    @field_validator("answers")
    @classmethod
    def _scorable(cls, answers: list[int], info: ValidationInfo) -> list[int]:
        code = info.data.get("instrument")
        if code in INSTRUMENTS:
            try:
                score(code, answers)
            except ClinicalRuleError as refused:
                raise ValueError(str(refused)) from None
        return answers

    @model_validator(mode="after")
    def _source_fits(self) -> ResponseIn:
        if self.instrument not in INSTRUMENTS:
            return self
        rated_by = INSTRUMENTS[self.instrument].completed_by
        expected = "clinician_rated" if rated_by == "clinician" else "staff_paper"
        if self.source is None:
            self.source = expected
        elif self.source != expected:
            raise ValueError(
                f"source must be {expected} for {INSTRUMENTS[self.instrument].name} "
                f"(completed by the {rated_by})"
            )
        return self


class CorrectionIn(Schema):
    answers: list[StrictInt]
    reason: str = Field(min_length=1, max_length=2000)
    completed_at: dt.datetime | None = None

    check_completed_at = field_validator("completed_at")(_aware_past)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the answers are corrected")
        return value.strip()


class FlagReasonOut(Schema):
    flag: str
    reason: str
    sources: str


class ResponseOut(Schema):
    id: int
    patient_id: int
    instrument: str
    instrument_name: str
    answers: list[int]
    total: int | None
    severity: str | None
    flags: list[str]
    flag_reasons: list[FlagReasonOut]
    details: dict
    scorer_version: str
    source: str
    completed_at: dt.datetime
    entered_at: dt.datetime
    entered_by: str
    version: int
    supersedes_id: int | None
    original_id: int | None
    correction_reason: str
    current: bool


class ResponseCreated(Schema):
    response: ResponseOut
    safety_alert_id: int | None


class ResponseDetail(ResponseOut):
    versions: list[ResponseOut]


class PlanIn(Schema):
    started_at: dt.datetime
    maintenance_started_at: dt.datetime | None = None
    prescriber_id: int | None = None
    ended_at: dt.datetime | None = None

    @field_validator("started_at", "maintenance_started_at", "ended_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("needs a time zone, e.g. 2026-03-01T09:30:00-05:00")
        return value


class PlanOut(Schema):
    id: int
    patient_id: int
    started_at: dt.datetime
    maintenance_started_at: dt.datetime | None
    ended_at: dt.datetime | None
    prescriber_id: int | None
    phase: str


class DueOut(Schema):
    key: str
    patient_id: int
    patient_mrn: str
    instrument: str
    instrument_name: str
    trigger: str
    state: str
    anchor_at: dt.datetime | None
    opens_at: dt.datetime
    due_at: dt.datetime
    closes_at: dt.datetime | None
    completed_by_patient: bool


class RuleIn(Schema):
    instrument: str
    trigger: Literal[
        "baseline", "before_treatment", "after_treatment", "every_n_days", "every_visit"
    ]
    phase: Literal["any", "induction", "maintenance"] = "any"
    offset_hours: int = Field(default=0, ge=0, le=24 * 90)
    interval_days: int | None = Field(default=None, ge=1, le=365)
    window_hours: int = Field(default=24, ge=0, le=24 * 90)
    grace_hours: int = Field(default=0, ge=0, le=24 * 90)
    active: bool = True

    check_instrument = field_validator("instrument")(_known_instrument)

    @model_validator(mode="after")
    def _interval(self) -> RuleIn:
        if self.trigger == "every_n_days" and not self.interval_days:
            raise ValueError("every_n_days needs interval_days")
        return self


class RuleOut(RuleIn):
    id: int


class LinkIn(Schema):
    instrument: str

    check_instrument = field_validator("instrument")(_known_instrument)


class QuestionnaireLinkOut(Schema):
    instrument: str
    sent_to: str
    expires_at: dt.datetime


class SettingsIO(Schema):
    language: str = Field(default="en", min_length=2, max_length=20)
    reminder_interval_hours: int = 24
    link_ttl_hours: int = 72
    response_min_fall_percent: int | None = None
    remission_phq9: int | None = None
    remission_madrs: int | None = None
    remission_qids_sr16: int | None = None
    relapse_rule: str | None = None
    baseline_max_age_days: int | None = None
    rapid_response_window_hours: int | None = None
    madrs_item10_flag_min: int | None = None
    pcl5_probable_ptsd_min: int | None = None
    moaas_sedation_max: int | None = None


class WordingOut(Schema):
    id: int
    instrument: str
    language: str
    source: str
    active: bool
    uploaded_at: dt.datetime


class ProvenanceOut(Schema):
    sources: list[str]
    verified: bool
    note: str
    cite: str


class JudgementOut(Schema):
    met: bool | None
    reason: str
    provenance: ProvenanceOut


class DatedScoreOut(Schema):
    total: int
    at: dt.datetime


class StatusOut(Schema):
    state: str
    reason: str
    provenance: ProvenanceOut
    baseline: DatedScoreOut | None
    latest: DatedScoreOut | None
    percent_change: float | None
    response_reached_at: dt.datetime | None
    relapse_at: dt.datetime | None
    remission: JudgementOut | None


class RapidOut(Schema):
    time_point: str
    target_at: dt.datetime
    assessment: DatedScoreOut | None
    judgement: JudgementOut


class PointOut(Schema):
    response_id: int
    completed_at: dt.datetime
    total: int | None
    severity: str | None
    flags: list[str]
    version: int


class TrajectoryOut(Schema):
    instrument: str
    name: str
    points: list[PointOut]
    treatments: list[dt.datetime]
    status: StatusOut | None
    status_note: str
    rapid_response: list[RapidOut]
    rapid_response_note: str


class Message(Schema):
    detail: str
