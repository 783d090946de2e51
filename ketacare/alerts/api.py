"""Alerts under /api/v1/alerts: list, read, acknowledge with the action taken, resolve."""

from __future__ import annotations

from ninja import Router

from ketacare.alerts import selectors, services
from ketacare.alerts.schemas import (
    AlertAcknowledgeIn,
    AlertOut,
    AlertResolveIn,
    PolicyIO,
    StatusFilter,
)
from ketacare.core.actions import action, audit_list_read, audit_read
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS

router = Router(tags=["alerts"])


def _alert_step(request, alert_id: int, step, **details) -> AlertOut:
    """One step of an alert of the clinic (acknowledge, resolve), answered as it now stands."""
    act = action(request, Capability.ALERT_ACKNOWLEDGE)
    alert = step(alert=selectors.alert_get(act.access, alert_id), **details, **act.stamp)
    return AlertOut.of(selectors.alert_get(act.access, alert.pk))


@router.get(
    "",
    response={200: list[AlertOut], **ERRORS},
    summary="Alerts of the clinic, most urgent first",
)
def list_alerts(request, status: StatusFilter = "unresolved", kind: str = "", limit: int = 100):
    act = action(request, Capability.ALERT_VIEW)
    alerts = selectors.alerts_filtered(act.access, status=status, kind=kind)
    rows = list(alerts[: max(1, min(limit, 500))])
    audit_list_read(
        act,
        object_type="alert_list",
        summary=f"Listed {len(rows)} alerts through the API",
        rows=rows,
        status=status,
    )
    return [AlertOut.of(a) for a in rows]


@router.get(
    "/policy",
    response={200: PolicyIO, **READ_ERRORS},
    summary="The clinic's escalation time and on-call e-mail",
)
def get_policy(request):
    act = action(request, Capability.PROTOCOL_VIEW)
    return PolicyIO.of(services.alert_policy_for(act.clinic))


@router.put("/policy", response={200: PolicyIO, **ERRORS}, summary="Set the escalation policy")
def put_policy(request, payload: PolicyIO):
    act = action(request, Capability.PROTOCOL_EDIT)
    policy = services.alert_policy_update(
        clinic=act.clinic,
        safety_escalation_minutes=payload.safety_escalation_minutes,
        on_call_email=payload.on_call_email,
        **act.stamp,
    )
    return PolicyIO.of(policy)


@router.get("/{alert_id}", response={200: AlertOut, **READ_ERRORS}, summary="One alert")
def get_alert(request, alert_id: int):
    act = action(request, Capability.ALERT_VIEW)
    alert = selectors.alert_get(act.access, alert_id)
    audit_read(
        act,
        object_type="alert",
        record=alert,
        clinic_id=alert.clinic_id,
        summary="Viewed an alert through the API",
    )
    return AlertOut.of(alert)


@router.post(
    "/{alert_id}/acknowledge",
    response={200: AlertOut, **ERRORS},
    summary="Acknowledge an open alert with the action taken",
)
def acknowledge(request, alert_id: int, payload: AlertAcknowledgeIn):
    return _alert_step(
        request, alert_id, services.alert_acknowledge, action=payload.action, note=payload.note
    )


@router.post(
    "/{alert_id}/resolve",
    response={200: AlertOut, **ERRORS},
    summary="Resolve an alert (a safety alert must be acknowledged first)",
)
def resolve(request, alert_id: int, payload: AlertResolveIn):
    return _alert_step(request, alert_id, services.alert_resolve, note=payload.note)
