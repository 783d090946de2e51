"""The clinic's treatment protocol page: every value with its source, one form per value."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.roles import Capability
from ketacare.treatment import presenters, selectors, services


@require_capability(Capability.PROTOCOL_VIEW)
def protocol_page(request: HttpRequest) -> HttpResponse:
    protocol = selectors.clinic_protocol(request.access.clinic)
    rows = presenters.protocol_rows(protocol)
    sections: dict[str, list] = {}
    for row in rows:
        if row["section"] != "Eligibility rule severity":
            sections.setdefault(row["section"], []).append(row)
    return render(
        request,
        "treatment/protocol.html",
        {
            "sections": sections,
            "unset": [row for row in rows if row["unset"]],
            "rules": presenters.rules_rows(protocol),
            "overrides": protocol.overrides,
        },
    )


@require_POST
@require_capability(Capability.PROTOCOL_EDIT)
def protocol_set(request: HttpRequest) -> HttpResponse:
    act = action(request)
    key = request.POST.get("key", "")
    try:
        if request.POST.get("action") == "reset":
            services.protocol_setting_reset(
                clinic=request.access.clinic, key=key, origin=act.origin, at=act.at
            )
            messages.success(request, f"{key} returned to its default.")
        else:
            services.protocol_setting_set(
                clinic=request.access.clinic,
                key=key,
                value=request.POST.get("value", ""),
                origin=act.origin,
                at=act.at,
            )
            messages.success(request, f"{key} saved.")
    except DomainError as refused:
        messages.error(request, f"Not saved: {refused}")
    return redirect(f"{reverse('treatment:protocol')}#{key}")
