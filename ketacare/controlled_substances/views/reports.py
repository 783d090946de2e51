"""DEA reports for a period, as PDF or CSV: the controlled-substance records on their own."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.audit.services import audit_record
from ketacare.controlled_substances import reports, selectors
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import Invalid
from ketacare.core.roles import Capability

FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


def _period(request, today: dt.date) -> tuple[dt.date, dt.date]:
    try:
        end = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
        start = dt.date.fromisoformat(
            request.GET.get("from") or (end - dt.timedelta(days=30)).isoformat()
        )
    except ValueError:
        raise Invalid.field("from", "Give the period's dates as YYYY-MM-DD") from None
    if start > end:
        raise Invalid.field("from", "The period starts after it ends")
    return start, end


@require_GET
@require_capability(Capability.CONTROLLED_VIEW)
def index(request):
    act = action(request, Capability.CONTROLLED_VIEW)
    today = act.at.astimezone(act.clinic.zone).date()
    start, end = _period(request, today)
    return render(
        request,
        "controlled_substances/reports.html",
        {
            "start": start,
            "end": end,
            "period_reports": [
                ("administration", "Dispensing and administration log"),
                ("receipts", "Receipts log"),
                ("discrepancies", "Count discrepancies"),
                ("form-106", "DEA Form 106 draft data"),
            ],
            "inventories": list(selectors.inventories(act.clinic).order_by("-counted_at")),
            "counts": selectors.counts(act.clinic, limit=20),
        },
    )


@require_GET
@require_capability(Capability.CONTROLLED_VIEW)
def download(request, name: str, fmt: str):
    act = action(request, Capability.CONTROLLED_VIEW)
    if fmt not in FORMATS:
        raise Invalid.field("format", "Reports come as pdf or csv")
    today = act.at.astimezone(act.clinic.zone).date()
    if name == "inventory":
        count = selectors.count_get(act.access, int(request.GET.get("count", "0") or 0))
        report = reports.inventory_report(act.clinic, count)
    elif name in reports.PERIOD_REPORTS:
        start, end = _period(request, today)
        report = reports.PERIOD_REPORTS[name](act.clinic, start, end, today=today)
    else:
        raise Invalid.field("report", "No such report")
    audit_record(
        action="export",
        object_type="controlled_report",
        object_id=report.key,
        clinic_id=act.clinic.pk,
        summary=f"Exported {report.title} ({report.period}) as {fmt.upper()}",
        changes={"rows": len(report.rows)},
        **act.stamp,
    )
    body = report.csv().encode() if fmt == "csv" else reports.report_pdf(report, act.clinic, act.at)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    filename = f"controlled-substances-{report.key}-{today:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
