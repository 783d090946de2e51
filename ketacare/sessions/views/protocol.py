"""The monitoring protocol is set on the clinic's one protocol settings page; the old address
leads there."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ketacare.clinical.common import Route
from ketacare.core.access import require_capability
from ketacare.core.roles import Capability
from ketacare.sessions.protocol import section


@require_capability(Capability.PROTOCOL_VIEW)
def protocol(request: HttpRequest) -> HttpResponse:
    route = request.GET.get("route", "")
    url = reverse("clinic_settings:page")
    if route in {r.value for r in Route}:
        url += f"#sec-{section(route)}"
    return redirect(url, permanent=True)
