from __future__ import annotations

import csv
import datetime as dt
import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from ketacare.audit.models import AuditEntry
from ketacare.audit.selectors import audit_search
from ketacare.audit.services import RequestOrigin, audit_record, audit_trail_read
from ketacare.core.access import require_capability
from ketacare.core.roles import Capability

CSV_COLUMNS = (
    "sequence",
    "at",
    "actor_label",
    "ip_address",
    "action",
    "object_type",
    "object_id",
    "clinic_id",
    "patient_id",
    "summary",
    "changes",
    "previous_hash",
    "entry_hash",
)


def _filters(request: HttpRequest) -> tuple[dict, dict]:
    raw = {k: request.GET.get(k, "").strip() for k in ("q", "action", "patient", "since", "until")}
    errors = {}
    parsed: dict = {
        "text": raw["q"],
        "action": raw["action"] if raw["action"] in AuditEntry.Action.values else "",
    }
    if raw["patient"]:
        if raw["patient"].isdigit():
            parsed["patient_id"] = int(raw["patient"])
        else:
            errors["patient"] = "Patient id must be a number."
    for key in ("since", "until"):
        if raw[key]:
            try:
                parsed[key] = dt.date.fromisoformat(raw[key])
            except ValueError:
                errors[key] = "Use a date like 2026-01-31."
    return parsed | {"_raw": raw}, errors


@require_capability(Capability.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    parsed, errors = _filters(request)
    raw = parsed.pop("_raw")
    entries = audit_search(request.access, **parsed)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    audit_trail_read(request, filters=raw, shown=len(page.object_list), how="page")
    return render(
        request,
        "audit/log.html",
        {"page": page, "filters": raw, "errors": errors, "actions": AuditEntry.Action.choices},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_capability(Capability.AUDIT_VIEW)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    parsed, _ = _filters(request)
    parsed.pop("_raw")
    entries = audit_search(request.access, **parsed)
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="export",
        object_type="audit_log",
        clinic_id=request.access.clinic.pk,
        summary=f"Exported the audit trail as CSV ({entries.count()} entries)",
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    entry.sequence,
                    entry.at.isoformat(),
                    entry.actor_label,
                    entry.ip_address or "",
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    entry.clinic_id or "",
                    entry.patient_id or "",
                    entry.summary,
                    json.dumps(entry.changes, sort_keys=True),
                    entry.previous_hash,
                    entry.entry_hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="ketacare-audit.csv"'
    return response
