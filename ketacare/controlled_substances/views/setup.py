"""The medical director's set-up: the DEA registration (a renewal is a new one), products and
storage locations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.models import DeaRegistration, Product, StorageLocation
from ketacare.controlled_substances.services.setup import SCHEDULES
from ketacare.controlled_substances.views.common import text
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError, Invalid
from ketacare.core.pages import page_errors
from ketacare.core.roles import Capability


def _context(act) -> dict:
    return {
        "registrations": DeaRegistration.objects.filter(clinic=act.clinic),
        "products": selectors.products(act.clinic),
        "locations": StorageLocation.objects.filter(clinic=act.clinic),
        "forms": Product.Form.choices,
        "location_kinds": StorageLocation.Kind.choices,
        "schedules": SCHEDULES,
    }


def _refused(request, error: DomainError):
    act = action(request, Capability.CONTROLLED_OVERSEE)
    context = _context(act) | {
        "errors": error.fields or {"form": error.message},
        "refusal": error.message,
        "values": request.POST,
        "section": text(request.POST, "section"),
    }
    return render(request, "controlled_substances/setup.html", context, status=error.status)


def _decimal(post, name: str) -> Decimal:
    try:
        return Decimal(text(post, name))
    except InvalidOperation:
        raise Invalid.field(name, "Give a number") from None


@require_http_methods(["GET", "POST"])
@require_capability(Capability.CONTROLLED_OVERSEE)
@page_errors(_refused)
def setup(request):
    act = action(request, Capability.CONTROLLED_OVERSEE)
    if request.method == "GET":
        return render(
            request,
            "controlled_substances/setup.html",
            _context(act) | {"values": {}, "errors": {}},
        )
    post, common = request.POST, {"clinic": act.clinic, "origin": act.origin, "at": act.at}
    section = text(post, "section")
    if section == "registration":
        try:
            expires_on = dt.date.fromisoformat(text(post, "expires_on"))
        except ValueError:
            raise Invalid.field("expires_on", "Give the expiry date") from None
        services.registration_record(
            number=text(post, "number"),
            schedules=post.getlist("schedules"),
            name=text(post, "name"),
            address=text(post, "address"),
            expires_on=expires_on,
            **common,
        )
        messages.success(request, "DEA registration recorded.")
    elif section == "product":
        services.product_create(
            name=text(post, "name"),
            substance=text(post, "substance"),
            ndc=text(post, "ndc"),
            form=text(post, "form"),
            mg_per_unit=_decimal(post, "mg_per_unit"),
            units_per_container=_decimal(post, "units_per_container"),
            package=text(post, "package"),
            **common,
        )
        messages.success(request, "Product added.")
    elif section == "location":
        services.location_create(name=text(post, "name"), kind=text(post, "kind"), **common)
        messages.success(request, "Storage location added.")
    else:
        raise Invalid.field("section", "Nothing to set up")
    return redirect("controlled_substances:setup")
