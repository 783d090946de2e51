"""The billing home (what billing must act on), the daily close and the authorisations list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.billing import coverage, reports, selectors
from ketacare.billing.views.common import date_field, today
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import page_errors
from ketacare.core.roles import Capability


def home_context(act) -> dict:
    clinic, day = act.clinic, today(act)
    return {
        "to_review": list(selectors.charges_to_review(act.access)[:50]),
        "unpaid": list(selectors.unpaid_balances(clinic)[:50]),
        "credits": list(selectors.credit_balances(clinic)[:20]),
        "coverage": coverage.coverage_needing_action(clinic, today=day),
        "reassess": selectors.reassessments_due(clinic, today=day),
        "today": day,
    }


@require_capability(Capability.BILLING_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Charges to review, unpaid balances, authorisations to act on, households to reassess."""
    act = action(request)
    return render(request, "billing/home.html", home_context(act))


@require_capability(Capability.PAYMENT_RECORD)
@page_errors()
def close(request: HttpRequest) -> HttpResponse:
    act = action(request)
    day = date_field(request, "day", default=today(act), source=request.GET)
    return render(request, "billing/close.html",
                  {"report": reports.daily_close(act.clinic, day), "today": today(act)})


@require_capability(Capability.BILLING_VIEW)
def authorisation_list(request: HttpRequest) -> HttpResponse:
    act = action(request)
    current = coverage.coverages(coverage.current_authorisations(act.clinic)[:200],
                                 clinic=act.clinic, today=today(act))
    return render(request, "billing/authorisations.html", {"current": current})
