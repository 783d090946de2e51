"""The clinic's monitoring protocol per route (the medical director edits it)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.clinical.common import ROUTE_LABELS, ClinicalRuleError, Route
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.roles import Capability
from ketacare.sessions.forms import Parsed
from ketacare.sessions.protocol import keys_set_elsewhere, protocol_for, protocol_update


@require_http_methods(["GET", "POST"])
@require_capability(Capability.PROTOCOL_VIEW)
def protocol(request: HttpRequest) -> HttpResponse:
    act = action(request)
    route = request.GET.get("route") or request.POST.get("route") or Route.RACEMIC_IV.value
    try:
        route = Route(route)
    except ValueError:
        route = Route.RACEMIC_IV
    clinic = request.access.clinic
    errors: dict[str, str] = {}
    if request.method == "POST":
        request.access.require(Capability.PROTOCOL_EDIT)
        p = Parsed(request.POST)
        current = protocol_for(clinic, route)
        values = {s.key: p.int(s.key, s.label) for s in current.settings()}
        errors = dict(p.errors)
        if not errors:
            try:
                protocol_update(
                    clinic=clinic,
                    route=route,
                    values=values,
                    origin=act.origin,
                    at=act.at,
                )
            except ClinicalRuleError as bad:
                errors["form"] = str(bad)
            else:
                messages.success(request, f"{ROUTE_LABELS[route]} monitoring protocol saved.")
                return redirect(f"{request.path}?route={route.value}")
    current = protocol_for(clinic, route)
    return render(
        request,
        "sessions/protocol.html",
        {
            "route": route,
            "routes": [(r.value, ROUTE_LABELS[r]) for r in Route],
            "protocol": current,
            "settings": current.settings(),
            "errors": errors,
            "editable": request.access.can(Capability.PROTOCOL_EDIT),
            "elsewhere": keys_set_elsewhere(),
            "elsewhere_url": _url_or_none("treatment:protocol"),
        },
        status=422 if errors else 200,
    )


def _url_or_none(name: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return None
