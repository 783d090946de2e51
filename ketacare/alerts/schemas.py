"""What the alerts API reads and writes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import model_validator

from ketacare.alerts.models import Alert, ClinicAlertPolicy
from ketacare.alerts.services import NOTE_MAX_CHARS

ActionChoice = Literal["safety_plan", "same_day_assessment", "emergency_referral", "other"]
StatusFilter = Literal["unresolved", "open", "acknowledged", "resolved", "all"]


def _user_label(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class AlertOut(Schema):
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
        return cls(
            id=alert.pk,
            kind=alert.kind,
            level=alert.level,
            code=alert.code,
            message=alert.message,
            recommended_action=alert.recommended_action,
            details=alert.details,
            status=alert.status,
            patient_id=alert.patient_id,
            patient_mrn=alert.patient.mrn,
            opened_at=alert.opened_at,
            opened_by=alert.opened_by_label,
            source_type=alert.source_type,
            source_id=alert.source_id,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=_user_label(alert.acknowledged_by),
            action_taken=alert.action_taken,
            action_note=alert.action_note,
            resolved_at=alert.resolved_at,
            resolution_note=alert.resolution_note,
            notified_to=alert.notified_to,
            escalation_due_at=alert.escalation_due_at,
            escalated_at=alert.escalated_at,
            escalated_to=alert.escalated_to,
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


class PolicyIO(Schema):
    safety_escalation_minutes: int
    on_call_email: str = ""
    confirmed_at: dt.datetime | None = None

    @classmethod
    def of(cls, policy: ClinicAlertPolicy) -> PolicyIO:
        return cls(
            safety_escalation_minutes=policy.safety_escalation_minutes,
            on_call_email=policy.on_call_email,
            confirmed_at=policy.confirmed_at,
        )
