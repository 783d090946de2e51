"""Public pages (no account): search, a clinic's profile, a consultation request."""

from __future__ import annotations

import json

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.assessments.crisis import CRISIS_RESOURCES
from ketacare.audit.services import RequestOrigin
from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.core.errors import DomainError, Invalid
from ketacare.core.pages import page_errors
from ketacare.directory import services
from ketacare.directory.access import network_organisations
from ketacare.directory.presenters import INDICATION_LABELS, indication_labels, json_ld
from ketacare.directory.selectors import (
    DEFAULT_RADIUS_MILES,
    SearchFilters,
    listing_public,
    route_labels,
    search,
)

FORM_SALT = "directory.consultation"
RADIUS_CHOICES = (5, 10, 25, 50, 100, 250)


def _public(request: HttpRequest, template: str, context: dict, status: int = 200):
    return render(
        request,
        template,
        {
            **context,
            "resources": CRISIS_RESOURCES,
            "route_choices": [
                (r.value, label) for r, label in ROUTE_LABELS.items() if r is not Route.RACEMIC_SC
            ],
            "indication_choices": [(i.value, label) for i, label in INDICATION_LABELS.items()],
        },
        status=status,
    )


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


@require_GET
def find(request: HttpRequest) -> HttpResponse:
    """The search form, and its results when a ZIP is given. Works without JavaScript."""
    query = request.GET
    near = query.get("near", "").strip()
    context = {"q": query, "radius_choices": RADIUS_CHOICES, "searched": bool(near)}
    if not near:
        return _public(request, "directory/find.html", context)
    try:
        radius = float(query.get("radius_miles") or DEFAULT_RADIUS_MILES)
    except ValueError:
        radius = -1.0
    include_unverified = query.get("include_unverified") == "on"
    access = request.access
    try:
        results = search(
            near=near,
            radius_miles=radius,
            filters=SearchFilters(
                route=query.get("route", ""),
                indication=query.get("indication", ""),
                max_price=_int_or_none(query.get("max_price")),
                insurance=query.get("insurance", ""),
                sliding_scale=query.get("sliding_scale") == "on",
                language=query.get("language", ""),
            ),
            today=timezone.localdate(),
            include_unverified=include_unverified,
            administered=network_organisations(access) if include_unverified else (),
        )
    except DomainError as refused:
        return _public(
            request, "directory/find.html", {**context, "error": refused.message}, refused.status
        )
    rows = [
        {
            "result": r,
            "routes": route_labels(r.listing.routes),
            "indications": indication_labels(r.listing.indications),
        }
        for r in results
    ]
    return _public(request, "directory/find.html", {**context, "rows": rows})


def _form_token() -> str:
    return signing.TimestampSigner(salt=FORM_SALT).sign("consultation")


def _check_form(post) -> None:
    """Spam protection without a puzzle: a hidden field people leave empty, and a signed token
    that must be at least a few seconds old (bots post at once) and at most a day."""
    if post.get("website_url"):
        raise Invalid("The request could not be sent.")
    try:
        signer = signing.TimestampSigner(salt=FORM_SALT)
        signer.unsign(post.get("form_token", ""), max_age=24 * 3600)
        age = timezone.now().timestamp() - signing.b62_decode(
            post.get("form_token", "").split(":")[1]
        )
    except (signing.BadSignature, IndexError, ValueError):
        raise Invalid("This form has expired: please reload the page and send it again.") from None
    if age < settings.DIRECTORY_FORM_MIN_SECONDS:
        raise Invalid("Please take a moment to check your details, then send the request again.")


def _profile_page(request, slug, *, status=200, errors=None, values=None, sent=False):
    listing = listing_public(slug, at=timezone.now())
    today = timezone.localdate()
    return _public(
        request,
        "directory/profile.html",
        {
            "listing": listing,
            "verified": listing.is_verified(today),
            "routes": route_labels(listing.routes),
            "indications": indication_labels(listing.indications),
            # "<" escaped so no text of a listing can close the script element.
            "json_ld": json.dumps(json_ld(listing, base_url=settings.PUBLIC_BASE_URL)).replace(
                "<", "\\u003c"
            ),
            "form_token": _form_token(),
            "errors": errors or {},
            "values": values or {},
            "sent": sent,
        },
        status,
    )


def _refused_request(request, error: DomainError, slug: str) -> HttpResponse:
    errors = error.fields or {"form": error.message}
    return _profile_page(request, slug, status=error.status, errors=errors, values=request.POST)


@require_http_methods(["GET", "POST"])
@page_errors(_refused_request)
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "GET":
        return _profile_page(request, slug, sent=request.GET.get("sent") == "1")
    listing = listing_public(slug)
    _check_form(request.POST)
    post = request.POST
    if not post.get("name", "").strip():
        raise Invalid.field("name", "Give your name.")
    services.consultation_request(
        listing=listing,
        name=post.get("name", "")[:200],
        email=post.get("email", "")[:254],
        phone=post.get("phone", "")[:40],
        message=post.get("message", "")[:2000],
        preferred_contact=post.get("preferred_contact", "email"),
        source_address=RequestOrigin.from_request(request).ip_address,
        at=timezone.now(),
    )
    return redirect(f"{request.path}?sent=1#request")
