"""Billing on shared pages: the dashboard (what billing must act on), the portal (balance,
documents, paying online) and the course and booking pages (REMS and prior authorisation side
by side, with the warnings to read before booking)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.billing import coverage, selectors, statements
from ketacare.billing.card_gateway import card_gateway
from ketacare.billing.views.common import form_key
from ketacare.clinical.common import Route
from ketacare.core.roles import Capability


def dashboard_panel(request) -> str | None:
    access = request.access
    if access.clinic is None or not access.can(Capability.BILLING_VIEW):
        return None
    today = timezone.now().astimezone(access.clinic.zone).date()
    unpaid = selectors.unpaid_balances(access.clinic)
    return render_to_string("billing/_dashboard_panel.html", {
        "to_review": selectors.charges_to_review(access).count(),
        "unpaid_count": unpaid.count(),
        "unpaid": list(unpaid[:5]),
        "coverage": coverage.coverage_needing_action(access.clinic, today=today, limit=5),
        "reassess": selectors.reassessments_due(access.clinic, today=today)[:5],
    }, request=request)


def portal_panel(request, patient) -> str | None:
    today = timezone.now().astimezone(patient.clinic.zone).date()
    view = statements.account_view(patient, today=today)
    if not (view.lines or view.open_charges or view.packages):
        return None
    return render_to_string("billing/_portal_panel.html", {
        "view": view,
        "year_start": today.replace(month=1, day=1),
        "today": today,
        "can_pay_online": card_gateway() is not None and view.balance > 0,
        "key": form_key(),
    }, request=request)


def course_panel(request, course) -> str | None:
    access = request.access
    if not Route(course.route).is_esketamine:
        return None
    if not (access.can(Capability.CHART_VIEW) or access.can(Capability.BILLING_VIEW)
            or access.can(Capability.APPOINTMENT_BOOK)):
        return None
    today = timezone.now().astimezone(course.clinic.zone).date()
    return render_to_string("billing/_course_panel.html", {
        "course": course,
        "rems": coverage.rems_status(course.patient_id),
        "cover": coverage.coverage_for_course(course, today=today),
    }, request=request)
