"""The fee schedule page: prices per service, packages, sliding-scale bands and billing details.
Everyone in billing sees it; the clinic's administrator changes it (clinic policy)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.billing import selectors
from ketacare.billing.models import FeeScheduleItem
from ketacare.billing.models.setup import REGION_CHOICES, SERVICE_CHOICES
from ketacare.billing.services import setup
from ketacare.billing.views.common import int_field
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import flash_back, page_errors, posted
from ketacare.core.roles import Capability
from ketacare.treatment.models import ROUTE_CHOICES

BAND_FIELDS = ("label", "above_percent", "up_to_percent", "discount_percent", "fixed_fee")
EMPTY_BAND_ROWS = 2


def _back(request: HttpRequest, *args, **kwargs) -> str:
    return reverse("billing:fees")


edit = page_errors(flash_back(_back))


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


@require_POST
@require_capability(Capability.FEE_SCHEDULE_EDIT)
@edit
def fee_save(request: HttpRequest) -> HttpResponse:
    act = action(request)
    item: FeeScheduleItem = setup.fee_set(
        clinic=act.clinic,
        **posted(request, "service", "unit_price", "code", "description"),
        active=request.POST.get("active", "yes") == "yes",
        **act.stamp,
    )
    messages.success(request, f"{item.label}: ${item.unit_price:,.2f} per unit.")
    return redirect("billing:fees")


@require_POST
@require_capability(Capability.FEE_SCHEDULE_EDIT)
@edit
def package_save(request: HttpRequest) -> HttpResponse:
    act = action(request)
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
    messages.success(request, f"Package ‘{saved.name}’ saved.")
    return redirect("billing:fees")


@require_POST
@require_capability(Capability.FEE_SCHEDULE_EDIT)
@edit
def bands_save(request: HttpRequest) -> HttpResponse:
    act = action(request)
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
    messages.success(request, f"Sliding-scale bands saved as version {policy.version}.")
    return redirect("billing:fees")


@require_POST
@require_capability(Capability.FEE_SCHEDULE_EDIT)
@edit
def profile_save(request: HttpRequest) -> HttpResponse:
    act = action(request)
    setup.billing_profile_update(
        clinic=act.clinic,
        values=request.POST.dict(),
        **act.stamp,
    )
    messages.success(request, "Billing details saved.")
    return redirect("billing:fees")
