"""What the alerts API reads and writes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import model_validator

from ketacare.alerts.models import Alert, ClinicAlertPolicy
from ketacare.alerts.services import NOTE_MAX_CHARS
from ketacare.core.labels import person_name
from ketacare.core.schemas import RecordOut

ActionChoice = Literal["safety_plan", "same_day_assessment", "emergency_referral", "other"]
StatusFilter = Literal["unresolved", "open", "acknowledged", "resolved", "all"]


class AlertOut(RecordOut):
    id: int
    kind: str
    level: str
    code: str
    message: str
    recommended_action: str
    details: dict[str, Any]
    status: str
    patient_id: int
    patient_mrn: str
    opened_at: dt.datetime
    opened_by: str
    source_type: str
    source_id: str
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    action_taken: str
    action_note: str
    resolved_at: dt.datetime | None
    resolution_note: str
    notified_to: list[str]
    escalation_due_at: dt.datetime | None
    escalated_at: dt.datetime | None
    escalated_to: list[str]

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls.of_record(
            alert,
            patient_mrn=alert.patient.mrn,
            opened_by=alert.opened_by_label,
            acknowledged_by=person_name(alert.acknowledged_by),
        )


class AlertAcknowledgeIn(Schema):
    action: ActionChoice = Field(description="What the clinician did.")
    note: str = Field(default="", max_length=NOTE_MAX_CHARS)

    @model_validator(mode="after")
    def _note_for_other(self) -> AlertAcknowledgeIn:
        if self.action == "other" and not self.note.strip():
            raise ValueError("describe the action taken in the note when the action is “other”")
        return self


class AlertResolveIn(Schema):
    note: str = Field(default="", max_length=NOTE_MAX_CHARS)


class PolicyIO(RecordOut):
    safety_escalation_minutes: int
    on_call_email: str = ""
    confirmed_at: dt.datetime | None = None

    @classmethod
    def of(cls, policy: ClinicAlertPolicy) -> PolicyIO:
        return cls.of_record(policy)
