"""Request and response shapes of the treatment API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from ketacare.clinical.common import Route
from ketacare.clinical.intake import Indication
from ketacare.treatment.dose import DoseInput


class SettingValueOut(Schema):
    """One protocol setting as in force after a change."""

    key: str
    value: Any


class ChecklistEntryOut(Schema):
    key: str
    label: str
    why: str
    source: str
    manual: bool
    done: bool
    detail: str = ""
    done_by: str = ""
    done_at: dt.datetime | None = None


class ChecklistStateOut(Schema):
    key: str
    done: bool


class CountersignedOut(Schema):
    id: int
    clinician_signed_at: dt.datetime | None


class RevokedOut(Schema):
    id: int
    revoked_at: dt.datetime | None


class ScreeningIn(Schema):
    route: Route
    indication: Indication


class ScreeningOut(Schema):
    id: int
    patient_id: int
    intake_version: int
    route: str
    indication: str
    outcome: str
    allows_treatment: bool
    summary: str
    findings: list[dict[str, Any]]
    settings_in_force: dict[str, Any]
    screened_at: dt.datetime
    screened_by: str | None


class SettingIn(Schema):
    value: Any


class TreatmentProtocolOut(Schema):
    settings: list[dict[str, Any]]
    unset_required: list[str]
    rules: list[dict[str, Any]]


class DoseIn(Schema):
    dose_mg_per_kg: float | None = Field(default=None, gt=0)
    fixed_dose_mg: float | None = Field(default=None, gt=0)
    dose_mg: float | None = Field(default=None, gt=0)
    concentration_mg_per_ml: float | None = Field(default=None, gt=0)
    bag_volume_ml: float | None = Field(default=None, gt=0)
    bag_volume_includes_drug: bool = False
    infusion_minutes: float | None = Field(default=None, gt=0)
    unit_strength_mg: float | None = Field(default=None, gt=0)
    unit_count: int | None = Field(default=None, ge=1)
    titration_reason: str = Field(default="", max_length=2000)

    def inputs(self) -> DoseInput:
        return DoseInput(
            **{
                name: getattr(self, name)
                for name in DoseInput.__dataclass_fields__  # type: ignore[attr-defined]
            }
        )


class OrderIn(DoseIn):
    sessions_authorised: int | None = Field(default=None, ge=1, le=100)
    instructions: str = Field(default="", max_length=2000)


class DoseOut(Schema):
    dose_mg: float
    dose_mg_per_kg: float | None
    dosing_weight_kg: float | None
    dosing_weight_basis: str
    concentration_mg_per_ml: float | None
    drug_volume_ml: float | None
    bag_volume_ml: float | None
    infusion_minutes: int | None
    rate_ml_per_h: float | None
    summary: str
    warnings: list[str]
    calculation: dict[str, Any]


class OrderOut(Schema):
    id: int
    course_id: int
    status: str
    actionable: bool
    route: str
    dose_mg: float
    dose_mg_per_kg: float | None
    dosing_weight_kg: float | None
    dosing_weight_basis: str
    concentration_mg_per_ml: float | None
    drug_volume_ml: float | None
    bag_volume_ml: float | None
    infusion_minutes: int | None
    rate_ml_per_h: float | None
    sessions_authorised: int
    summary: str
    warnings: list[str]
    titration_reason: str
    instructions: str
    created_at: dt.datetime
    signed_at: dt.datetime | None
    signed_by: str | None
    supersedes_id: int | None


class TreatmentReasonIn(Schema):
    reason: str = Field(default="", max_length=2000)


class CourseIn(Schema):
    route: Route
    indication: Indication
    regimen_key: str = Field(max_length=60)
    risk_benefit_note: str = Field(default="", max_length=4000)


class CourseOut(Schema):
    id: int
    patient_id: int
    route: str
    indication: str
    regimen_key: str
    regimen_label: str
    phase: str
    paused_from: str | None
    next_phases: list[str]
    started_on: dt.date | None
    ended_on: dt.date | None
    screening_id: int | None
    risk_benefit_note: str
    rems_enrolled_on: dt.date | None
    rems_enrolment_id: str
    signed_order: OrderOut | None


class PhaseIn(Schema):
    to: str = Field(max_length=12)
    reason: str = Field(default="", max_length=2000)


class SeriesIn(Schema):
    phase: str = Field(default="induction", pattern="^(induction|maintenance|booster)$")
    start: dt.date
    time: dt.time
    chair_id: int
    nurse_id: int | None = None
    weekdays: list[int] | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=1440)
    until: dt.date | None = None


class AppointmentIn(Schema):
    patient_id: int
    course_id: int | None = None
    kind: str = "treatment"
    starts_at: dt.datetime
    duration_minutes: int = Field(ge=5, le=1440)
    chair_id: int | None = None
    nurse_id: int | None = None


class AppointmentOut(Schema):
    id: int
    patient_id: int
    course_id: int | None
    kind: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    chair: str | None
    chair_id: int | None
    nurse: str | None
    nurse_id: int | None
    sequence: int | None
    preparation_instructions: str


class ChecklistNoteIn(Schema):
    note: str = Field(default="", max_length=300)


class RemsIn(Schema):
    enrolled_on: dt.date
    enrolment_id: str = Field(default="", max_length=40)


class AftercareIn(Schema):
    psychotherapy: str = Field(default="", max_length=4000)
    medication_management: str = Field(default="", max_length=4000)
    exercise: str = Field(default="", max_length=4000)
    sleep: str = Field(default="", max_length=4000)
    nutrition: str = Field(default="", max_length=4000)
    stress: str = Field(default="", max_length=4000)
    follow_up_treatments: str = Field(default="", max_length=4000)
    monitoring_schedule: str = Field(default="", max_length=4000)


class ConsentDocumentIn(Schema):
    route: Route
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=40000)


class ConsentDocumentOut(Schema):
    id: int
    route: str
    version: int
    title: str
    body: str
    effective_from: dt.date
    retired_at: dt.datetime | None


class ConsentStatusOut(Schema):
    route: str
    document_id: int | None
    version: int | None
    current: bool
    signature_id: int | None
    patient_signed_at: dt.datetime | None
    clinician_signed_at: dt.datetime | None
