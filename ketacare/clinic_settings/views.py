"""The protocol settings page: every registered setting, its source, and the clinic's value."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.clinic_settings import registry
from ketacare.clinic_settings.presenters import protocol_rows
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.pages import page_errors
from ketacare.core.roles import Capability


def _page(request: HttpRequest, *, status: int = 200, errors=None, values=None) -> HttpResponse:
    act = action(request, Capability.PROTOCOL_VIEW)
    protocol = clinic_protocol(act.clinic)
    rows = protocol_rows(protocol)
    by_section: dict[str, list[dict]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    sections = [(section, by_section.get(section.key, [])) for section in registry.sections()]
    return render(
        request,
        "clinic_settings/page.html",
        {
            "sections": [(s, r) for s, r in sections if r],
            "unconfigured": protocol.unconfigured(),
            "unconfirmed": protocol.unconfirmed(),
            "can_edit": act.access.can(Capability.PROTOCOL_EDIT),
            "errors": errors or {},
            "values": values or {},
        },
        status=status,
    )


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    return _page(request, status=error.status, errors=error.fields, values=request.POST)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.PROTOCOL_VIEW)
@page_errors(_refused)
def protocol_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    act = action(request, Capability.PROTOCOL_EDIT)
    keys = request.POST.getlist("key")
    values = {key: request.POST.get(f"value:{key}", "") for key in keys}
    if "confirm" in request.POST:  # store the reference default: the director confirms it
        key = request.POST["confirm"]
        values = {key: registry.setting(key).default.value}
    clinic_settings_update(clinic=act.clinic, values=values, origin=act.origin, at=act.at)
    messages.success(request, "Protocol settings saved.")
    return redirect("clinic_settings:page")
