"""What the sessions API reads and writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from ketacare.sessions.selectors.flowsheet import ACK_ACTIONS

YesNo = Literal["yes", "no", "unknown"]
AckAction = Literal[tuple(ACK_ACTIONS)]  # type: ignore[valid-type]


def _text(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class CreateIn(Schema):
    appointment_id: int


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)
    _check = field_validator("reason")(_text)


class OptionalReasonIn(Schema):
    reason: str = Field(default="", max_length=2000)


class VitalsIn(Schema):
    systolic_mmhg: int | None = Field(default=None, ge=20, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=10, le=250)
    heart_rate_bpm: int | None = Field(default=None, ge=0, le=300)
    spo2_percent: int | None = Field(default=None, ge=0, le=100)
    respiratory_rate_per_min: int | None = Field(default=None, ge=0, le=100)
    moaas_level: int | None = Field(default=None, ge=0, le=5)
    crisis_symptoms: list[str] | None = None
    taken_at: dt.datetime | None = None


class PrechecksIn(Schema):
    identity_confirmed: YesNo = "unknown"
    last_food_at: dt.datetime | None = None
    last_liquid_at: dt.datetime | None = None
    could_be_pregnant: YesNo = "unknown"
    pregnant: YesNo = "unknown"
    new_medications_since_last_visit: YesNo = "unknown"
    substance_use_since_last_visit: YesNo = "unknown"
    phq9_completed: YesNo = "unknown"
    cssrs_completed: YesNo = "unknown"
    escort_confirmed: YesNo = "unknown"
    vitals: VitalsIn | None = None


class StartIn(Schema):
    """IV: what the bag on the pump holds (by default what the signed order describes); the
    delivered dose is computed from the bag's concentration, never the vial's."""

    lot_number: str = Field(max_length=60)
    vial_concentration_mg_per_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_drug_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_diluent_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    bag_volume_ml: Decimal | None = Field(default=None, gt=0, max_digits=8)
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, max_digits=8)
    dose_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    _check = field_validator("lot_number")(_text)


class AdministrationIn(Schema):
    kind: Literal["start", "pause", "resume", "rate_change", "stop", "dose"]
    at: dt.datetime | None = None
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, max_digits=8)
    dose_mg: Decimal | None = Field(default=None, gt=0, max_digits=8)
    reason: str = Field(default="", max_length=2000)


class AcknowledgeIn(Schema):
    actions: list[AckAction] = []  # type: ignore[valid-type]
    note: str = Field(default="", max_length=2000)
    # With "slowed" on a running pump: the new rate, recorded as a rate change.
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, max_digits=8, decimal_places=1)


class ObservationIn(Schema):
    instrument: Literal["cadss6"]
    answers: list[int]
    observed_at: dt.datetime | None = None


class SideEffectIn(Schema):
    effect: str
    severity: Literal["mild", "moderate", "severe"]
    serious_adverse_event: bool = False
    note: str = Field(default="", max_length=2000)
    intervention: str = Field(default="", max_length=2000)
    observed_at: dt.datetime | None = None


class DischargeIn(Schema):
    mental_status_at_baseline: YesNo = "unknown"
    walking_steadily: YesNo = "unknown"
    nausea_controlled: YesNo = "unknown"
    escort_present: YesNo = "unknown"
    sedation_resolved: YesNo = "unknown"
    dissociation_resolved: YesNo = "unknown"
    respiratory_depression_resolved: YesNo = "unknown"
    instructions: str = Field(max_length=4000)
    override_reason: str = Field(default="", max_length=2000)
    ready_to_leave_at: dt.datetime | None = None
    _check = field_validator("instructions")(_text)


class AddendumIn(Schema):
    text: str = Field(max_length=4000)
    reason: str = Field(max_length=2000)
    _check = field_validator("text", "reason")(_text)


class EnrolmentIn(Schema):
    status: Literal["enrolled", "not_enrolled"]
    enrolled_on: dt.date | None = None
    enrolment_id: str = Field(default="", max_length=40)
    note: str = Field(default="", max_length=2000)


class RemsAnswersIn(Schema):
    answers: dict[str, Literal["yes", "no", "unknown", ""]]


class SubmittedIn(Schema):
    submitted_on: dt.date


class SessionOut(Schema):
    id: int
    patient_id: int
    appointment_id: int
    order_id: int | None
    route: str
    state: str
    state_changed_at: dt.datetime
    checked_in_at: dt.datetime | None
    prechecks_passed_at: dt.datetime | None
    dosing_started_at: dt.datetime | None
    dosing_ended_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime | None
    cosigned_at: dt.datetime | None
    ended_reason: str
    lot_number: str
    vial_concentration_mg_per_ml: Decimal | None
    bag_drug_mg: Decimal | None
    bag_diluent_ml: Decimal | None
    bag_volume_ml: Decimal | None
    precheck_failures: list[dict[str, Any]]
    override_reason: str
    discharge_criteria: list[dict[str, Any]]
    discharge_override_reason: str
    administration: AdministrationOut | None
    schedule: ScheduleOut
    alerts: list[SessionAlertOut]
    vitals: list[VitalsRowOut]


class AdministrationOut(Schema):
    """What was given so far (``dose_mg`` excludes priming, dead space and unrecorded boluses)."""

    status: str
    dose_mg: float
    volume_ml: float | None
    running_minutes: float | None
    ordered_mg: float | None
    remaining_mg: float | None
    stop_pump_at: dt.datetime | None
    order_reached: bool
    bag_concentration_mg_per_ml: float | None = None
    undelivered_mg: float | None = None


class ScheduleOut(Schema):
    phase: str | None
    next_due: dt.datetime | None
    overdue: bool
    problem: str | None


class SessionAlertOut(Schema):
    id: int
    kind: str
    level: str
    code: str
    status: str
    message: str
    recommended_action: str
    back_within_at: dt.datetime | None


class VitalsRowOut(Schema):
    id: int
    taken_at: dt.datetime
    phase: str
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    spo2_percent: int | None
    respiratory_rate_per_min: int | None
    moaas_level: int | None
    findings: list[dict[str, Any]]


class BoardAlertOut(Schema):
    id: int
    level: str
    message: str


class BoardRowOut(Schema):
    chair: str
    session_id: int | None
    patient_id: int | None
    state: str | None
    minutes_in: int | None
    next_reading_due: dt.datetime | None
    overdue: bool
    open_alerts: list[BoardAlertOut]


class RemsDueOut(Schema):
    session_id: int
    patient_id: int
    due_on: dt.date
    missing_fields: list[str]
    problems: list[str]


class ProtocolSettingOut(Schema):
    key: str
    label: str
    value: Any
    unit: str
    minimum: Any
    maximum: Any
    source: str
    verified: bool
    required: bool


class EnrolmentOut(Schema):
    patient_id: int
    status: str
    enrolled_on: dt.date | None
    enrolment_id: str


class SessionSummaryOut(Schema):
    id: int
    patient_id: int
    route: str
    state: str
    starts_at: dt.datetime


class RemsFormOut(Schema):
    form: dict[str, Any]
    missing_fields: list[str]
    problems: list[str]


class OpenedAlertOut(Schema):
    id: int
    code: str
    level: str
    message: str
    recommended_action: str


class VitalsRecordedOut(Schema):
    id: int
    taken_at: dt.datetime
    phase: str
    findings: list[dict[str, Any]]
    alerts_opened: list[OpenedAlertOut]
    alerts_resolved: list[int]


class AcknowledgedOut(Schema):
    id: int
    status: str
    action_note: str


class ObservationOut(Schema):
    id: int
    instrument: str
    total: int | None
    scorer_version: str


class SideEffectOut(Schema):
    id: int
    effect: str
    severity: str
    serious_adverse_event: bool


class AddendumOut(Schema):
    id: int
    text: str
    reason: str
    created_at: dt.datetime


class RemsSubmittedOut(Schema):
    session_id: int
    submitted_on: dt.date
