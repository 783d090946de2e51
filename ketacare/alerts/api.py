"""Alerts under /api/v1/alerts: list, read, acknowledge with the action taken, resolve."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema, Status
from pydantic import model_validator

from ketacare.alerts import services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.api_utils import require
from ketacare.core.roles import Capability

router = Router(tags=["alerts"])

ActionChoice = Literal["safety_plan", "same_day_assessment", "emergency_referral", "other"]


class AlertOut(Schema):
    id: int
    kind: str
    level: str
    code: str
    message: str
    recommended_action: str
    details: dict
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


class AcknowledgeIn(Schema):
    action: ActionChoice = Field(description="What the clinician did.")
    note: str = Field(default="", max_length=services.NOTE_MAX_CHARS)

    @model_validator(mode="after")
    def _note_for_other(self) -> AcknowledgeIn:
        if self.action == "other" and not self.note.strip():
            raise ValueError("describe the action taken in the note when the action is “other”")
        return self


class ResolveIn(Schema):
    note: str = Field(default="", max_length=services.NOTE_MAX_CHARS)


class PolicyIO(Schema):
    safety_escalation_minutes: int
    on_call_email: str = ""
    confirmed_at: dt.datetime | None = None


class Message(Schema):
    detail: str


def _user_label(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _alert_out(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "level": alert.level,
        "code": alert.code,
        "message": alert.message,
        "recommended_action": alert.recommended_action,
        "details": alert.details,
        "status": alert.status,
        "patient_id": alert.patient_id,
        "patient_mrn": alert.patient.mrn,
        "opened_at": alert.opened_at,
        "opened_by": alert.opened_by_label,
        "source_type": alert.source_type,
        "source_id": alert.source_id,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": _user_label(alert.acknowledged_by),
        "action_taken": alert.action_taken,
        "action_note": alert.action_note,
        "resolved_at": alert.resolved_at,
        "resolution_note": alert.resolution_note,
        "notified_to": alert.notified_to,
        "escalation_due_at": alert.escalation_due_at,
        "escalated_at": alert.escalated_at,
        "escalated_to": alert.escalated_to,
    }


@router.get("", response=list[AlertOut], summary="Alerts of the clinic, most urgent first")
def list_alerts(
    request,
    status: Literal["unresolved", "open", "acknowledged", "resolved", "all"] = "unresolved",
    kind: str = "",
    limit: int = 100,
):
    access = require(request, Capability.ALERT_VIEW)
    alerts = services.alerts_in_scope(access)
    if status == "unresolved":
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    elif status != "all":
        alerts = alerts.filter(status=status)
    if kind:
        alerts = alerts.filter(kind=kind)
    rows = list(alerts[: max(1, min(limit, 500))])
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="alert_list",
        clinic_id=access.clinic.pk,
        summary=f"Listed {len(rows)} alerts through the API",
        changes={"patient_ids": sorted({a.patient_id for a in rows}), "status": status},
    )
    return [_alert_out(a) for a in rows]


@router.get("/policy", response=PolicyIO, summary="The clinic's escalation time and on-call e-mail")
def get_policy(request):
    access = require(request, Capability.PROTOCOL_VIEW)
    policy = services.alert_policy_for(access.clinic)
    return {
        "safety_escalation_minutes": policy.safety_escalation_minutes,
        "on_call_email": policy.on_call_email,
        "confirmed_at": policy.confirmed_at,
    }


@router.put("/policy", response={200: PolicyIO, 422: dict})
def put_policy(request, payload: PolicyIO):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        policy = services.alert_policy_update(
            clinic=access.clinic,
            safety_escalation_minutes=payload.safety_escalation_minutes,
            on_call_email=payload.on_call_email,
            origin=RequestOrigin.from_request(request),
        )
    except services.AlertError as refused:
        field = "body.payload.safety_escalation_minutes"
        return Status(
            422,
            {
                "detail": [{"loc": field.split("."), "msg": str(refused)}],
                "fields": {field: str(refused)},
            },
        )
    return {
        "safety_escalation_minutes": policy.safety_escalation_minutes,
        "on_call_email": policy.on_call_email,
        "confirmed_at": policy.confirmed_at,
    }


@router.get("/{alert_id}", response=AlertOut)
def get_alert(request, alert_id: int):
    access = require(request, Capability.ALERT_VIEW)
    alert = services.alert_get(access, alert_id)
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="alert",
        object_id=alert.pk,
        clinic_id=alert.clinic_id,
        patient_id=alert.patient_id,
        summary="Viewed an alert through the API",
    )
    return _alert_out(alert)


@router.post(
    "/{alert_id}/acknowledge",
    response={200: AlertOut, 409: Message, 422: dict},
    summary="Acknowledge an open alert with the action taken",
)
def acknowledge(request, alert_id: int, payload: AcknowledgeIn):
    access = require(request, Capability.ALERT_ACKNOWLEDGE)
    alert = services.alert_get(access, alert_id)
    try:
        alert = services.alert_acknowledge(
            alert=alert,
            action=payload.action,
            note=payload.note,
            origin=RequestOrigin.from_request(request),
        )
    except services.AlertStateError as refused:
        return Status(409, {"detail": str(refused)})
    except services.AlertError as refused:
        return Status(
            422,
            {
                "detail": [{"loc": ["body", "payload"], "msg": str(refused)}],
                "fields": {"body.payload": str(refused)},
            },
        )
    return _alert_out(services.alert_get(access, alert.pk))


@router.post(
    "/{alert_id}/resolve",
    response={200: AlertOut, 409: Message},
    summary="Resolve an alert (a safety alert must be acknowledged first)",
)
def resolve(request, alert_id: int, payload: ResolveIn):
    access = require(request, Capability.ALERT_ACKNOWLEDGE)
    alert = services.alert_get(access, alert_id)
    try:
        alert = services.alert_resolve(
            alert=alert, note=payload.note, origin=RequestOrigin.from_request(request)
        )
    except services.AlertError as refused:
        return Status(409, {"detail": str(refused)})
    return _alert_out(services.alert_get(access, alert.pk))
