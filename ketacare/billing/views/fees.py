"""The fee schedule page: prices per service, packages, sliding-scale bands and billing details.
Everyone in billing sees it; the clinic's administrator changes it (clinic policy)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketacare.billing import selectors
from ketacare.billing.models import FeeScheduleItem
from ketacare.billing.models.setup import REGION_CHOICES, SERVICE_CHOICES
from ketacare.billing.services import setup
from ketacare.billing.views.common import int_field
from ketacare.core.access import require_capability
from ketacare.core.actions import Action, action
from ketacare.core.pages import flash_back, form_post, posted
from ketacare.core.roles import Capability
from ketacare.treatment.models import ROUTE_CHOICES

BAND_FIELDS = ("label", "above_percent", "up_to_percent", "discount_percent", "fixed_fee")
EMPTY_BAND_ROWS = 2


def _back(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("billing:fees")


def _fees_form(record: Callable[[HttpRequest, Action], str]) -> Callable:
    """A form posted from the fee schedule page by the clinic's administrator: the page shows the
    message ``record(request, act)`` returns, or the refusal instead."""

    @form_post(Capability.FEE_SCHEDULE_EDIT, flash_back(_back))
    @wraps(record)
    def view(request: HttpRequest) -> HttpResponse:
        messages.success(request, record(request, action(request)))
        return redirect("billing:fees")

    return view


@require_capability(Capability.BILLING_VIEW)
def fees(request: HttpRequest) -> HttpResponse:
    act = action(request)
    items = {i.service: i for i in selectors.fee_schedule(act.clinic)}
    policy = setup.sliding_scale_policy_current(act.clinic)
    warnings = ()
    if policy is not None:
        prices = [i.unit_price for i in items.values() if i.active and i.unit_price > 0]
        warnings = setup.bands_of(policy.bands).monotonicity_warnings(prices=prices)
    bands = list(policy.bands) if policy else []
    return render(request, "billing/fees.html", {
        "rows": [(service, label, items.get(service)) for service, label in SERVICE_CHOICES],
        "packages": selectors.packages(act.clinic),
        "policy": policy,
        "bands": bands + [dict.fromkeys(BAND_FIELDS, "")] * EMPTY_BAND_ROWS,
        "band_warnings": warnings,
        "profile": setup.billing_profile_of(act.clinic),
        "regions": REGION_CHOICES,
        "routes": ROUTE_CHOICES,
    })


@_fees_form
def fee_save(request: HttpRequest, act: Action) -> str:
    item: FeeScheduleItem = setup.fee_set(
        clinic=act.clinic,
        **posted(request, "service", "unit_price", "code", "description"),
        active=request.POST.get("active", "yes") == "yes",
        **act.stamp,
    )
    return f"{item.label}: ${item.unit_price:,.2f} per unit."


@_fees_form
def package_save(request: HttpRequest, act: Action) -> str:
    package_id = int_field(request, "package_id", required=False)
    package = selectors.package_get(act.access, package_id) if package_id else None
    saved = setup.package_save(
        clinic=act.clinic,
        package=package,
        **posted(request, "name", "route", "price"),
        sessions=int_field(request, "sessions"),
        active=request.POST.get("active", "yes") == "yes",
        **act.stamp,
    )
    return f"Package ‘{saved.name}’ saved."


@_fees_form
def bands_save(request: HttpRequest, act: Action) -> str:
    columns = {name: request.POST.getlist(name) for name in BAND_FIELDS}
    rows = [
        {name: columns[name][n] if n < len(columns[name]) else "" for name in BAND_FIELDS}
        for n in range(len(columns["label"]))
    ]
    rows = [row for row in rows if any(str(v).strip() for v in row.values())]
    policy = setup.sliding_scale_policy_set(
        clinic=act.clinic,
        bands=rows,
        **act.stamp,
    )
    return f"Sliding-scale bands saved as version {policy.version}."


@_fees_form
def profile_save(request: HttpRequest, act: Action) -> str:
    setup.billing_profile_update(
        clinic=act.clinic,
        values=request.POST.dict(),
        **act.stamp,
    )
    return "Billing details saved."
