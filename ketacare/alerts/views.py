"""Alert pages: the list, one alert with its acknowledgement form, and the clinic's policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ketacare.alerts import services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.access import require_capability
from ketacare.core.roles import Capability

FILTERS = (("unresolved", "Open and acknowledged"), ("open", "Open"), ("all", "All"))


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_capability(Capability.ALERT_VIEW)
def alert_list(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("show", "unresolved")
    kind = request.GET.get("kind", "")
    alerts = services.alerts_in_scope(request.access)
    if shown == "open":
        alerts = alerts.filter(status=Alert.Status.OPEN)
    elif shown != "all":
        shown = "unresolved"
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    if kind in Alert.Kind.values:
        alerts = alerts.filter(kind=kind)
    return render(
        request,
        "alerts/list.html",
        {
            "alerts": alerts[:200],
            "shown": shown,
            "kind": kind,
            "filters": FILTERS,
            "kinds": Alert.Kind.choices,
            "actions": Alert.Action.choices,
        },
    )


@require_capability(Capability.ALERT_VIEW)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = services.alert_get(request.access, alert_id)
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="alert",
        object_id=alert.pk,
        clinic_id=alert.clinic_id,
        patient_id=alert.patient_id,
        summary=f"Viewed {alert.get_kind_display().lower()}",
    )
    return _detail(request, alert, {}, {})


def _detail(request, alert, values, errors, status=200) -> HttpResponse:
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "actions": Alert.Action.choices,
            "values": values,
            "errors": errors,
            "policy": services.alert_policy_for(alert.clinic),
        },
        status=status,
    )


@require_POST
@require_capability(Capability.ALERT_ACKNOWLEDGE)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge with the action taken; a missing action re-shows the form with the error."""
    alert = services.alert_get(request.access, alert_id)
    values = {"action": request.POST.get("action", ""), "note": request.POST.get("note", "")}
    try:
        services.alert_acknowledge(
            alert=alert,
            action=values["action"],
            note=values["note"],
            origin=RequestOrigin.from_request(request),
        )
    except services.AlertStateError as refused:
        messages.error(request, str(refused))
        return redirect("alerts:detail", alert_id=alert.pk)
    except services.AlertError as refused:
        field = "note" if values["action"] in Alert.Action.values else "action"
        return _detail(request, alert, values, {field: str(refused)}, status=422)
    messages.success(
        request, f"Alert acknowledged for {alert.patient.display_name}: action documented."
    )
    return redirect(_next(request, reverse("alerts:detail", args=[alert.pk])))


@require_POST
@require_capability(Capability.ALERT_ACKNOWLEDGE)
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = services.alert_get(request.access, alert_id)
    try:
        services.alert_resolve(
            alert=alert,
            note=request.POST.get("note", ""),
            origin=RequestOrigin.from_request(request),
        )
    except services.AlertError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Alert resolved.")
    return redirect("alerts:detail", alert_id=alert.pk)


@require_capability(Capability.PROTOCOL_EDIT)
def policy_edit(request: HttpRequest) -> HttpResponse:
    """The medical director sets the escalation time (the reference gives none)."""
    clinic = request.access.clinic
    policy = services.alert_policy_for(clinic)
    values = {
        "safety_escalation_minutes": str(policy.safety_escalation_minutes),
        "on_call_email": policy.on_call_email,
    }
    error = ""
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            minutes = int(values["safety_escalation_minutes"])
        except ValueError:
            error = "Enter the escalation time in whole minutes."
        else:
            from django.core.exceptions import ValidationError
            from django.core.validators import validate_email

            try:
                if values["on_call_email"]:
                    validate_email(values["on_call_email"])
                services.alert_policy_update(
                    clinic=clinic,
                    safety_escalation_minutes=minutes,
                    on_call_email=values["on_call_email"],
                    origin=RequestOrigin.from_request(request),
                )
            except ValidationError:
                error = "Enter a valid on-call e-mail address, or leave it empty."
            except services.AlertError as refused:
                error = str(refused)
            else:
                messages.success(request, "Alert policy saved.")
                return redirect("alerts:policy")
    return render(
        request,
        "alerts/policy.html",
        {
            "policy": policy,
            "values": values,
            "error": error,
            "default": services.SAFETY_ESCALATION_MINUTES,
        },
        status=422 if error else 200,
    )
