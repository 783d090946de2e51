"""The clinic's treatment protocol in force, read-only: every screening rule and every value with
its source, whether the clinic set it (who, when) and whether an unverified default is still
unconfirmed. Values are changed on the clinic's one protocol settings page (``clinic_settings``);
each row links to its place there."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.core.access import require_capability
from ketacare.core.roles import Capability
from ketacare.treatment import presenters, selectors

RULE_SEVERITY_SECTION = "Eligibility rule severity"  # shown with its rules, not as values


@require_capability(Capability.PROTOCOL_VIEW)
def protocol_page(request: HttpRequest) -> HttpResponse:
    clinic = request.access.clinic
    protocol = selectors.clinic_protocol(clinic)
    rows = presenters.protocol_page_rows(protocol, selectors.protocol_stored(clinic))
    sections: dict[str, list] = {}
    for row in rows:
        if row["section"] != RULE_SEVERITY_SECTION:
            sections.setdefault(row["section"], []).append(row)
    return render(
        request,
        "treatment/protocol.html",
        {
            "sections": sections,
            "unset": [row for row in rows if row["unset"]],
            "rules": presenters.rules_rows(protocol),
        },
    )
