"""Clinic set-up pages: schedule rules, measurement settings, official wording."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from ketacare.assessments import selectors, services
from ketacare.assessments.models import InstrumentWording, ScheduleRule
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.roles import Capability


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


RULE_NUMBERS = ("offset_hours", "interval_days", "window_hours", "grace_hours")


@require_capability(Capability.ASSESSMENT_VIEW)
def rules_list(request: HttpRequest) -> HttpResponse:
    clinic = request.access.clinic
    return render(
        request,
        "assessments/rules.html",
        {"rules": selectors.rules_for(clinic, active_only=False), "clinic": clinic},
    )


def _rule_values(post) -> tuple[dict, dict]:
    values: dict = {
        "instrument": post.get("instrument", ""),
        "trigger": post.get("trigger", ""),
        "phase": post.get("phase", "any"),
        "active": post.get("active") == "on",
    }
    errors = {}
    for name in RULE_NUMBERS:
        raw = (post.get(name) or "").strip()
        if raw == "":
            values[name] = None if name == "interval_days" else 0
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            errors[name] = "Enter a whole number."
            values[name] = raw
    return values, errors


def _rule_form(request, rule, values, errors) -> HttpResponse:
    return render(
        request,
        "assessments/rule_form.html",
        {
            "rule": rule,
            "values": values,
            "errors": errors,
            "instruments": [(c, i.name) for c, i in INSTRUMENTS.items()],
            "triggers": ScheduleRule.Trigger.choices,
            "phases": ScheduleRule.Phase.choices,
        },
        status=422 if errors else 200,
    )


@require_capability(Capability.ASSESSMENT_SCHEDULE)
def rule_new(request: HttpRequest) -> HttpResponse:
    act = action(request)
    values: dict = {
        "phase": "any",
        "window_hours": 24,
        "grace_hours": 0,
        "offset_hours": 0,
        "active": True,
    }
    errors: dict = {}
    if request.method == "POST":
        values, errors = _rule_values(request.POST)
        if not errors:
            try:
                services.rule_create(clinic=request.access.clinic, values=values, **act.stamp)
            except services.AssessmentError as refused:
                errors["form"] = str(refused)
            else:
                messages.success(request, "Schedule rule added.")
                return redirect("assessments:rules")
    return _rule_form(request, None, values, errors)


@require_capability(Capability.ASSESSMENT_SCHEDULE)
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    act = action(request)
    rule = get_object_or_404(ScheduleRule, pk=rule_id, clinic=request.access.clinic)
    values = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    errors: dict = {}
    if request.method == "POST":
        values, errors = _rule_values(request.POST)
        if not errors:
            try:
                services.rule_update(rule=rule, values=values, **act.stamp)
            except services.AssessmentError as refused:
                errors["form"] = str(refused)
            else:
                messages.success(request, "Schedule rule saved.")
                return redirect("assessments:rules")
    return _rule_form(request, rule, values, errors)


SETTING_LABELS = (
    ("language", "Language of official wording (e.g. en, es)", "text", "en"),
    (
        "reminder_interval_hours",
        "Hours between reminders (at most 3 per questionnaire)",
        "number",
        "24",
    ),
    ("link_ttl_hours", "Hours a questionnaire link stays valid", "number", "72"),
    (
        "baseline_max_age_days",
        "Oldest baseline accepted (days before the first treatment)",
        "number",
        "no limit",
    ),
    (
        "rapid_response_window_hours",
        "Rapid response: window around 24 h and 1 week (hours)",
        "number",
        "off: the reference gives none",
    ),
)


@require_capability(Capability.PROTOCOL_EDIT)
def settings_edit(request: HttpRequest) -> HttpResponse:
    act = action(request)
    clinic = request.access.clinic
    current = selectors.settings_for(clinic)
    values = {name: getattr(current, name) for name, *_ in SETTING_LABELS}
    errors: dict = {}
    if request.method == "POST":
        posted = {name: request.POST.get(name, "").strip() for name, *_ in SETTING_LABELS}
        parsed: dict = {}
        for name, value in posted.items():
            if name == "language" or value == "":
                parsed[name] = value
                continue
            try:
                parsed[name] = int(value)
            except ValueError:
                errors[name] = "Enter a whole number."
        values = posted
        if not errors:
            try:
                services.settings_update(clinic=clinic, values=parsed, **act.stamp)
            except services.SettingsInvalid as refused:
                errors = refused.errors
            else:
                messages.success(request, "Measurement settings saved.")
                return redirect("assessments:settings")
    fields = [
        {
            "name": name,
            "label": label,
            "type": kind,
            "placeholder": placeholder,
            "value": values.get(name),
            "error": errors.get(name),
        }
        for name, label, kind, placeholder in SETTING_LABELS
    ]
    return render(
        request,
        "assessments/settings.html",
        {
            "fields": fields,
            "thresholds_url": reverse("clinic_settings:page") + "#sec-measurement",
            "errors": errors,
            "settings": current,
            "alerts_policy_url": _url("alerts:policy"),
        },
        status=422 if errors else 200,
    )


@require_capability(Capability.PROTOCOL_EDIT)
def wording_page(request: HttpRequest) -> HttpResponse:
    """Paste or upload a clinic's official wording (JSON), validated before it is shown."""
    act = action(request)
    clinic = request.access.clinic
    error = ""
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = upload.read().decode("utf-8", errors="replace") if upload else ""
        text = text or request.POST.get("document", "")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as bad:
            error = f"This is not valid JSON: {bad}"
        else:
            try:
                row = services.wording_upload(clinic=clinic, document=document, **act.stamp)
            except services.AssessmentError as refused:
                error = str(refused)
            else:
                messages.success(
                    request,
                    f"{INSTRUMENTS[row.instrument].name} wording ({row.language}) is now shown "
                    "instead of the project labels.",
                )
                return redirect("assessments:wording")
    return render(
        request,
        "assessments/wording.html",
        {
            "wordings": InstrumentWording.objects.filter(clinic=clinic).select_related(
                "uploaded_by"
            ),
            "error": error,
            "text": text,
            "language": selectors.settings_for(clinic).language,
        },
        status=422 if error else 200,
    )


@require_POST
@require_capability(Capability.PROTOCOL_EDIT)
def wording_retire(request: HttpRequest, wording_id: int) -> HttpResponse:
    act = action(request)
    wording = get_object_or_404(
        InstrumentWording, pk=wording_id, clinic=request.access.clinic, active=True
    )
    services.wording_retire(wording=wording, **act.stamp)
    messages.success(request, "Wording retired; the project labels are shown again.")
    return redirect("assessments:wording")
