"""Alert pages: the list, one alert with its acknowledgement form, and the clinic's policy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ketacare.alerts import selectors, services
from ketacare.alerts.models import Alert
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError, Invalid
from ketacare.core.pages import flash_back, form_post, page_errors, posted
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
    if shown not in ("open", "all"):
        shown = "unresolved"
    kind = request.GET.get("kind", "")
    if kind not in Alert.Kind.values:
        kind = ""
    alerts = selectors.alerts_filtered(request.access, status=shown, kind=kind)
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
    act = action(request)
    alert = selectors.alert_get(act.access, alert_id)
    audit_read(
        act,
        object_type="alert",
        record=alert,
        clinic_id=alert.clinic_id,
        summary=f"Viewed {alert.get_kind_display().lower()}",
    )
    return _detail(request, alert)


def _detail(request, alert, values=None, errors=None, status=200) -> HttpResponse:
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "actions": Alert.Action.choices,
            "values": values or {},
            "errors": errors or {},
            "policy": services.alert_policy_for(alert.clinic),
        },
        status=status,
    )


def _detail_url(request, alert_id: int, *args, **kwargs) -> str:
    return reverse("alerts:detail", args=[alert_id])


# a refusal goes back to the alert with its message
_back_with_message = flash_back(_detail_url)


def _acknowledge_refused(request, error: DomainError, alert_id: int) -> HttpResponse:
    """A state refusal goes back to the alert with its message; bad input re-shows the form."""
    if isinstance(error, Invalid):
        alert = selectors.alert_get(request.access, alert_id)
        values = {"action": request.POST.get("action", ""), "note": request.POST.get("note", "")}
        return _detail(request, alert, values, error.fields, status=error.status)
    return _back_with_message(request, error, alert_id)


@form_post(Capability.ALERT_ACKNOWLEDGE, _acknowledge_refused)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge with the action taken; a missing action re-shows the form with the error."""
    act = action(request)
    alert = services.alert_acknowledge(
        alert=selectors.alert_get(act.access, alert_id),
        **posted(request, "action", "note"),
        **act.stamp,
    )
    messages.success(
        request, f"Alert acknowledged for {alert.patient.display_name}: action documented."
    )
    return redirect(_next(request, reverse("alerts:detail", args=[alert.pk])))


@form_post(Capability.ALERT_ACKNOWLEDGE, _back_with_message)
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    act = action(request)
    services.alert_resolve(
        alert=selectors.alert_get(act.access, alert_id),
        note=request.POST.get("note", ""),
        **act.stamp,
    )
    messages.success(request, "Alert resolved.")
    return redirect("alerts:detail", alert_id=alert_id)


def _policy_page(request, error: DomainError | None = None) -> HttpResponse:
    policy = services.alert_policy_for(request.access.clinic)
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "").strip()
            for k in ("safety_escalation_minutes", "on_call_email")
        }
    else:
        values = {
            "safety_escalation_minutes": str(policy.safety_escalation_minutes),
            "on_call_email": policy.on_call_email,
        }
    return render(
        request,
        "alerts/policy.html",
        {
            "policy": policy,
            "values": values,
            "error": error.message if error else "",
            "default": services.SAFETY_ESCALATION_MINUTES,
        },
        status=error.status if error else 200,
    )


@require_capability(Capability.PROTOCOL_EDIT)
@page_errors(_policy_page)
def policy_edit(request: HttpRequest) -> HttpResponse:
    """The medical director sets the escalation time (the reference gives none)."""
    if request.method != "POST":
        return _policy_page(request)
    act = action(request)
    minutes_text = request.POST.get("safety_escalation_minutes", "").strip()
    on_call_email = request.POST.get("on_call_email", "").strip()
    try:
        minutes = int(minutes_text)
    except ValueError:
        raise Invalid.field(
            "safety_escalation_minutes", "Enter the escalation time in whole minutes."
        ) from None
    if on_call_email:
        try:
            validate_email(on_call_email)
        except ValidationError:
            raise Invalid.field(
                "on_call_email", "Enter a valid on-call e-mail address, or leave it empty."
            ) from None
    services.alert_policy_update(
        clinic=act.clinic,
        safety_escalation_minutes=minutes,
        on_call_email=on_call_email,
        **act.stamp,
    )
    messages.success(request, "Alert policy saved.")
    return redirect("alerts:policy")
