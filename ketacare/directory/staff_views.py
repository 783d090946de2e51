"""Staff pages: a clinic's own listing, the network's verification desk, consultation requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.clinical.common import ROUTE_LABELS
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.pages import form_post, page_errors
from ketacare.core.roles import Capability
from ketacare.directory import services
from ketacare.directory.access import network_organisations
from ketacare.directory.forms import PRICE_ROWS, check_from_post, listing_from_post
from ketacare.directory.models import ConsultationRequest
from ketacare.directory.presenters import INDICATION_LABELS
from ketacare.directory.rules import CHECK_LABELS, CheckFact, CheckKind, verification_status
from ketacare.directory.selectors import (
    lead_get,
    leads_of_clinic,
    listing_administered,
    listing_of_clinic,
    listings_administered,
)


def _chosen(values, listing, name: str) -> list[str]:
    """Ticked boxes: as posted when the form comes back with an error, else as stored."""
    if values is not None and hasattr(values, "getlist"):
        return values.getlist(name)
    return list(getattr(listing, name)) if listing else []


def _manage_page(request, *, status=200, errors=None, values=None):
    listing = listing_of_clinic(request.access)
    current = values
    if current is None and listing is not None:
        current = {
            **{f.name: getattr(listing, f.name) for f in listing._meta.concrete_fields},
            "insurance_accepted": ", ".join(listing.insurance_accepted),
            "languages": ", ".join(listing.languages),
        }
    prices = list(listing.price_ranges) if listing else []
    price_rows = [
        prices[n] if n < len(prices) else {"service": "", "low": "", "high": ""}
        for n in range(PRICE_ROWS)
    ]
    return render(
        request,
        "directory/manage.html",
        {
            "listing": listing,
            "v": current or {},
            "selected_routes": (
                values.getlist("routes")
                if values is not None and hasattr(values, "getlist")
                else (listing.routes if listing else [])
            ),
            "selected_indications": (
                values.getlist("indications")
                if values is not None and hasattr(values, "getlist")
                else (listing.indications if listing else [])
            ),
            "price_rows": price_rows,
            "route_choices": [(r.value, label) for r, label in ROUTE_LABELS.items()],
            "indication_choices": [(i.value, label) for i, label in INDICATION_LABELS.items()],
            "errors": errors or {},
            "today": timezone.localdate(),
        },
        status=status,
    )


def _manage_refused(request, error: DomainError) -> HttpResponse:
    return _manage_page(
        request,
        status=error.status,
        errors=error.fields or {"form": error.message},
        values=request.POST,
    )


@require_http_methods(["GET", "POST"])
@require_capability(Capability.CLINIC_MANAGE)
@page_errors(_manage_refused)
def manage(request: HttpRequest) -> HttpResponse:
    """The clinic admin edits the clinic's public listing and publishes or withdraws it."""
    if request.method == "GET":
        return _manage_page(request)
    act = action(request, Capability.CLINIC_MANAGE)
    listing = listing_of_clinic(act.access)
    if "publish" in request.POST or "withdraw" in request.POST:
        if listing is None:
            raise DomainError("Save the listing first.")
        services.listing_publish(listing=listing, publish="publish" in request.POST, **act.stamp)
        messages.success(
            request, "Listing published." if "publish" in request.POST else "Listing withdrawn."
        )
        return redirect("directory:manage")
    services.listing_save(
        data=listing_from_post(request.POST), clinic=act.clinic, listing=listing, **act.stamp
    )
    messages.success(request, "Listing saved.")
    return redirect("directory:manage")


def _administered(request) -> frozenset[int]:
    organisations = network_organisations(request.access)
    if not organisations:
        raise PermissionDenied("Only a network's medical director verifies its listings.")
    return organisations


def _verify_page(request, *, status=200, errors=None, values=None, focus=None):
    organisations = _administered(request)
    today = timezone.localdate()
    rows = []
    for listing in listings_administered(organisations):
        checks = list(listing.checks.all())
        state = verification_status(
            [CheckFact(CheckKind(c.kind), c.expires_on) for c in checks],
            offers_esketamine=listing.offers_esketamine,
            today=today,
        )
        rows.append({"listing": listing, "checks": checks, "status": state})
    return render(
        request,
        "directory/verify.html",
        {
            "rows": rows,
            "kinds": [(k.value, label) for k, label in CHECK_LABELS.items()],
            "errors": errors or {},
            "values": values or {},
            "focus": focus,
            "today": today,
        },
        status=status,
    )


def _verify_refused(request, error: DomainError, listing_id: int | None = None):
    return _verify_page(
        request,
        status=error.status,
        errors=error.fields or {"form": error.message},
        values=request.POST,
        focus=listing_id,
    )


@require_http_methods(["GET"])
def verify(request: HttpRequest) -> HttpResponse:
    if request.access.user is None:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    return _verify_page(request)


@require_POST
@page_errors(_verify_refused)
def verify_record(request: HttpRequest, listing_id: int) -> HttpResponse:
    """A network's medical director records a document seen for one listing."""
    organisations = _administered(request)
    listing = listing_administered(organisations, listing_id)
    act = action(request)
    services.check_record(listing=listing, data=check_from_post(request.POST), **act.stamp)
    messages.success(request, f"Check recorded for {listing.name}.")
    return redirect("directory:verify")


@require_http_methods(["GET"])
@require_capability(Capability.PATIENT_REGISTER)
def leads(request: HttpRequest) -> HttpResponse:
    rows = leads_of_clinic(request.access)[:200]
    return render(
        request,
        "directory/leads.html",
        {"leads": rows, "statuses": ConsultationRequest.Status.choices},
    )


@form_post(Capability.PATIENT_REGISTER)
def lead_mark(request: HttpRequest, lead_id: int) -> HttpResponse:
    act = action(request, Capability.PATIENT_REGISTER)
    lead = lead_get(act.access, lead_id)
    services.consultation_request_mark(
        lead=lead, status=request.POST.get("status", ""), **act.stamp
    )
    return redirect("directory:leads")
