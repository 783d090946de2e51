"""One charge: review it (diagnoses, codes, note), then post, recompute or void it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketacare.billing import selectors
from ketacare.billing.services import charges as charge_services
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability


def _back(request: HttpRequest, charge_id: int, *args, **kwargs) -> str:
    return reverse("billing:charge", args=[charge_id])


def _page(request: HttpRequest, charge, *, error=None) -> HttpResponse:
    return render(request, "billing/charge.html", {
        "charge": charge,
        "lines": list(charge.lines.all()),
        "diagnoses": "\n".join(charge.diagnosis_codes),
        "error": error,
        "fields": error.fields if error else {},
    }, status=error.status if error else 200)


@require_capability(Capability.BILLING_VIEW)
def charge_detail(request: HttpRequest, charge_id: int) -> HttpResponse:
    act = action(request)
    charge = selectors.charge_get(act.access, charge_id)
    audit_read(
        act,
        object_type="charge",
        record=charge,
        summary="Viewed a charge",
    )
    return _page(request, charge)


def _review_refused(request, error, charge_id: int) -> HttpResponse:
    return _page(request, selectors.charge_get(request.access, charge_id), error=error)


@form_post(Capability.CHARGE_POST, _review_refused)
def charge_review(request: HttpRequest, charge_id: int) -> HttpResponse:
    """Save billing's corrections; with ``post`` set, post the charge in the same step."""
    act = action(request)
    charge = selectors.charge_get(act.access, charge_id)
    codes = [c for c in request.POST.get("diagnosis_codes", "").replace(",", "\n").split()]
    line_codes = {
        int(key.removeprefix("code_")): value
        for key, value in request.POST.items()
        if key.startswith("code_") and key.removeprefix("code_").isdigit()
    }
    charge = charge_services.charge_update(
        charge=charge,
        diagnosis_codes=codes,
        line_codes=line_codes,
        review_note=request.POST.get("review_note", ""),
        **act.stamp,
    )
    if request.POST.get("post"):
        charge = charge_services.charge_post(charge=charge, **act.stamp)
        messages.success(request, f"Charge posted: {charge.patient.display_name} now owes "
                                  "it on their account.")
        return redirect("billing:account", patient_id=charge.patient_id)
    messages.success(request, "Charge saved.")
    return redirect("billing:charge", charge_id=charge.pk)


def _charge_step(request: HttpRequest, charge_id: int, step, **details):
    """One step of billing's review (recompute, void) on a charge of the clinic."""
    act = action(request)
    return step(charge=selectors.charge_get(act.access, charge_id), **details, **act.stamp)


@form_post(Capability.CHARGE_POST, flash_back(_back))
def charge_recompute(request: HttpRequest, charge_id: int) -> HttpResponse:
    charge = _charge_step(request, charge_id, charge_services.charge_recompute)
    if charge.problem:
        messages.error(request, charge.problem)
    else:
        messages.success(request, "Charge made again from the session and the fee schedule.")
    return redirect("billing:charge", charge_id=charge.pk)


@form_post(Capability.CHARGE_POST, flash_back(_back))
def charge_void(request: HttpRequest, charge_id: int) -> HttpResponse:
    charge = _charge_step(
        request, charge_id, charge_services.charge_void, reason=request.POST.get("reason", "")
    )
    messages.success(request, "Charge voided.")
    return redirect("billing:account", patient_id=charge.patient_id)
