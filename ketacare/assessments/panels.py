"""The panels this app adds to the patient chart, the portal and the clinic dashboard.

A panel must never take its host page down: any error is logged and the panel is left out
(the dashboard's own alert list still shows every open alert).
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.alerts.selectors import alerts_unresolved
from ketacare.alerts.services import alert_policy_for
from ketacare.assessments import selectors, services
from ketacare.assessments.treatments import treatment_times_for
from ketacare.core.roles import Capability

logger = logging.getLogger(__name__)


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def chart_panel(request, patient) -> str | None:
    access = request.access
    if not access.can(Capability.ASSESSMENT_VIEW):
        return None
    try:
        from ketacare.assessments.views import trajectory_context

        treatments = treatment_times_for(patient)
        plan = selectors.plan_current(patient)
        items = (
            selectors.assessments_due_for(
                patient, treatments=treatments, now=timezone.now(), plan=plan
            )
            if plan
            else []
        )
        return render_to_string(
            "assessments/chart_panel.html",
            {
                "patient": patient,
                "plan": plan,
                "open_count": len(items),
                "trajectories": trajectory_context(patient, treatments),
            },
            request=request,
        )
    except Exception:
        logger.exception("Measurement chart panel failed for patient %s", patient.pk)
        return None


def portal_panel(request, patient) -> str | None:
    try:
        from ketacare.assessments.patient_views import portal_items

        return render_to_string(
            "assessments/portal_panel.html", portal_items(patient), request=request
        )
    except Exception:
        logger.exception("Portal questionnaire panel failed for patient %s", patient.pk)
        return None


def dashboard_panel(request) -> str | None:
    access = request.access
    if access.clinic is None:
        return None
    try:
        context: dict = {"actions": Alert.Action.choices}
        if access.can(Capability.ALERT_VIEW):
            ack_ready = bool(_url("alerts:acknowledge", 0))
            can_ack = ack_ready and access.can(Capability.ALERT_ACKNOWLEDGE)
            alerts = alerts_unresolved(access, kind=Alert.Kind.SAFETY).filter(
                status=Alert.Status.OPEN
            )[:50]
            context["safety_alerts"] = [
                {"alert": a, "url": _url("alerts:detail", a.pk), "can_acknowledge": can_ack}
                for a in alerts
            ]
            policy = alert_policy_for(access.clinic)
            context["policy_unconfirmed"] = policy.confirmed_at is None
            context["policy_minutes"] = policy.safety_escalation_minutes
            if access.can(Capability.PROTOCOL_EDIT):
                context["policy_url"] = _url("alerts:policy")
        if access.can(Capability.ASSESSMENT_VIEW):
            now = timezone.now()
            services.due_catch_up(clinic=access.clinic, at=now)
            context["due_counts"] = selectors.due_counts(access.clinic, now=now)
        if "safety_alerts" not in context and "due_counts" not in context:
            return None
        return render_to_string("assessments/dashboard_panel.html", context, request=request)
    except Exception:
        logger.exception("Measurement dashboard panel failed")
        return None
