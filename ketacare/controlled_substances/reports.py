"""DEA reports from the ledger, each as plain rows that render to CSV and to PDF (WeasyPrint):
the dispensing and administration log (the fields §8 lists, S118; field list unverified), the
receipts log (S117, S118), an inventory, the discrepancies, and Form 106 draft data (S22, S23).
They hold controlled-substance records only, so they are readily separable from every other
record (§8, unverified)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string

from ketacare.clinical.common import Provenance
from ketacare.clinical.controlled_substances import (
    DISPENSING_RECORD,
    LOSS_REPORTING,
    OPENED_CONTAINERS,
    RECEIPT_RECORD,
    retained_until,
)
from ketacare.controlled_substances import selectors
from ketacare.controlled_substances.models import Count, LedgerEntry
from ketacare.core.labels import person_name
from ketacare.core.models import Clinic


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    provenance: Provenance
    period: str
    notes: list[str] = field(default_factory=list)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def _name(user) -> str:
    return person_name(user) or ""


def _local(clinic: Clinic, moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(clinic.zone):%Y-%m-%d %H:%M}"


def _q(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _address(patient) -> str:
    parts = [
        patient.address_line1,
        patient.address_line2,
        patient.city,
        patient.state,
        patient.postal_code,
    ]
    return ", ".join(p for p in parts if p)


def _period(clinic: Clinic, start: dt.date, end: dt.date):
    zone = clinic.zone
    return (
        dt.datetime.combine(start, dt.time(), zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone),
    )


def _entries(clinic: Clinic, start: dt.date, end: dt.date, kinds: tuple[str, ...]):
    lo, hi = _period(clinic, start, end)
    return (
        LedgerEntry.objects.filter(
            clinic=clinic, kind__in=kinds, occurred_at__gte=lo, occurred_at__lt=hi
        )
        .select_related("product", "lot", "location", "recorded_by", "patient", "session")
        .order_by("occurred_at", "sequence")
    )


def administration_log(clinic: Clinic, start: dt.date, end: dt.date, *, today: dt.date) -> Report:
    """Each dose drawn up for a patient (and each take-home supply): substance, form and
    strength, quantity, date, patient name and address, who gave it; with what was given per
    the session record, wasted (and the witness) or returned."""
    rows = []
    for e in _entries(clinic, start, end, ("administration", "dispense")):
        if hasattr(e, "correction"):
            continue
        done = list(
            e.dispositions.filter(correction__isnull=True).select_related(
                "witness", "second_witness"
            )
        )
        wasted = sum((d.quantity_mg for d in done if d.kind == "waste"), Decimal(0))
        returned = sum((d.quantity_mg for d in done if d.kind == "return_to_stock"), Decimal(0))
        witnesses = "; ".join(
            " and ".join(n for n in (_name(d.witness), _name(d.second_witness)) if n)
            for d in done
            if d.kind == "waste"
        )
        given = "" if e.kind == "dispense" else _q(e.quantity_mg - wasted - returned)
        rows.append(
            (
                _local(clinic, e.occurred_at),
                e.get_kind_display(),
                e.patient.full_name,
                _address(e.patient),
                e.product.substance,
                e.product.get_form_display(),
                e.product.strength,
                e.product.ndc,
                e.lot.number,
                e.location.name,
                _q(e.quantity_mg),
                f"{_q(e.quantity_units)} {e.product.unit}",
                given,
                _q(wasted),
                witnesses,
                _q(returned),
                _name(e.recorded_by),
                str(e.sequence),
                str(e.session_id or ""),
            )
        )
    return Report(
        "administration",
        "Dispensing and administration log",
        (
            "Date",
            "Kind",
            "Patient",
            "Patient address",
            "Substance",
            "Dosage form",
            "Strength",
            "NDC",
            "Lot",
            "Location",
            "Drawn or dispensed (mg)",
            "Quantity (units)",
            "Administered (mg)",
            "Wasted (mg)",
            "Waste witness",
            "Returned (mg)",
            "Administered or dispensed by",
            "Entry",
            "Session",
        ),
        rows,
        DISPENSING_RECORD,
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
        [
            "Administered = drawn − wasted − returned; it equals the session record's dose given "
            "(checked as each dose is recorded)."
        ],
    )


def receipts_log(clinic: Clinic, start: dt.date, end: dt.date, *, today: dt.date) -> Report:
    rows = [
        (
            _local(clinic, e.occurred_at),
            e.product.name,
            e.product.ndc,
            e.product.get_form_display(),
            e.product.strength,
            e.lot.number,
            f"{e.lot.expires_on:%Y-%m-%d}",
            _q(e.product.spec.containers(e.quantity_units)),
            f"{_q(e.quantity_units)} {e.product.unit}",
            _q(e.quantity_mg),
            e.counterparty_name,
            e.counterparty_address,
            e.counterparty_dea_number,
            e.document_reference,
            e.location.name,
            _name(e.recorded_by),
            str(e.sequence),
            "corrected" if hasattr(e, "correction") else "",
        )
        for e in _entries(clinic, start, end, ("receipt",))
    ]
    return Report(
        "receipts",
        "Receipts log",
        (
            "Date received",
            "Product",
            "NDC",
            "Form",
            "Strength",
            "Lot",
            "Lot expiry",
            "Containers",
            "Quantity",
            "mg",
            "Supplier",
            "Supplier address",
            "Supplier DEA no.",
            "Invoice or packing slip",
            "Location",
            "Received by",
            "Entry",
            "Note",
        ),
        rows,
        RECEIPT_RECORD,
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
    )


def inventory_report(clinic: Clinic, count: Count) -> Report:
    lines = count.lines.select_related("product", "lot", "location").order_by(
        "location__name", "product__name", "lot__number"
    )
    rows = [
        (
            line.location.name,
            line.product.name,
            line.product.ndc,
            line.product.get_form_display(),
            line.product.strength,
            line.lot.number,
            str(line.sealed_containers),
            _q(line.opened_units),
            "estimated" if line.estimated else "exact",
            f"{_q(line.counted_units)} {line.product.unit}",
            _q(line.counted_mg),
            _q(line.derived_mg),
            _q(line.difference_mg),
        )
        for line in lines
    ]
    return Report(
        "inventory",
        f"{count.get_kind_display()} — {_local(clinic, count.counted_at)}",
        (
            "Location",
            "Product",
            "NDC",
            "Form",
            "Strength",
            "Lot",
            "Sealed containers",
            "Opened (units)",
            "Count",
            "Counted",
            "Counted (mg)",
            "Ledger (mg)",
            "Difference (mg)",
        ),
        rows,
        OPENED_CONTAINERS,
        _local(clinic, count.counted_at),
        [
            f"Taken by {_name(count.counted_by)} ({count.get_kind_display().lower()}).",
            f"Kept until at least {retained_until(count.counted_at.date()):%Y-%m-%d} (S21).",
        ],
    )


def discrepancy_report(clinic: Clinic, start: dt.date, end: dt.date, *, today: dt.date) -> Report:
    lo, hi = _period(clinic, start, end)
    rows = []
    for d in selectors.discrepancies(clinic).filter(opened_at__gte=lo, opened_at__lt=hi):
        resolution = None if d.is_open else d.resolution
        line = d.line
        rows.append(
            (
                _local(clinic, d.opened_at),
                line.count.get_kind_display(),
                line.location.name,
                line.product.name,
                line.lot.number,
                _q(line.counted_mg),
                _q(line.derived_mg),
                _q(d.difference_mg),
                "open" if resolution is None else "resolved",
                resolution.get_finding_display() if resolution else "",
                resolution.explanation if resolution else "",
                _name(resolution.resolved_by) if resolution else "",
                _local(clinic, resolution.resolved_at) if resolution else "",
            )
        )
    return Report(
        "discrepancies",
        "Count discrepancies",
        (
            "Found",
            "Count",
            "Location",
            "Product",
            "Lot",
            "Counted (mg)",
            "Ledger (mg)",
            "Difference (mg)",
            "Status",
            "Finding",
            "Explanation",
            "Resolved by",
            "Resolved",
        ),
        rows,
        LOSS_REPORTING,
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
    )


def form_106_draft(clinic: Clinic, start: dt.date, end: dt.date, *, today: dt.date) -> Report:
    """What DEA Form 106 asks for, from each loss report in the period: registrant, dates,
    the type of loss and each product lost. The form itself is completed online (S22, S23)."""
    registration = selectors.registration(clinic)
    rows = []
    for row in selectors.loss_report_rows(clinic, today=today):
        report = row.report
        if not start <= report.discovered_on <= end:
            continue
        lost = (
            LedgerEntry.objects.filter(
                clinic=clinic, kind="loss", discrepancy_id=report.discrepancy_id
            ).select_related("product", "lot")
            if report.discrepancy_id
            else []
        )
        steps = "; ".join(
            f"{step.label}: due {step.due_on:%Y-%m-%d}, {status}"
            + (f" ({done.done_on:%Y-%m-%d} {done.reference})" if done else "")
            for step, status, done in row.steps
        )
        for e in lost or [None]:
            rows.append(
                (
                    registration.name if registration else "",
                    registration.number if registration else "",
                    registration.address if registration else "",
                    f"{report.discovered_on:%Y-%m-%d}",
                    "Theft or significant loss",
                    e.product.name if e else "",
                    e.product.ndc if e else "",
                    e.product.strength if e else "",
                    e.product.get_form_display() if e else "",
                    e.lot.number if e else "",
                    _q(e.quantity_units) if e else "",
                    _q(e.quantity_mg) if e else "",
                    report.description,
                    steps,
                )
            )
    return Report(
        "form-106",
        "DEA Form 106 draft data",
        (
            "Registrant",
            "DEA no.",
            "Registered address",
            "Discovered",
            "Type of loss",
            "Product",
            "NDC",
            "Strength",
            "Form",
            "Lot",
            "Quantity lost (units)",
            "Quantity lost (mg)",
            "What happened",
            "Steps and deadlines",
        ),
        rows,
        LOSS_REPORTING,
        f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
        [
            "Draft data only: complete DEA Form 106 online (paper is no longer accepted); written "
            "notice to the DEA Field Division is due within 1 business day of discovery."
        ],
    )


PERIOD_REPORTS: dict[str, Callable[..., Report]] = {
    "administration": administration_log,
    "receipts": receipts_log,
    "discrepancies": discrepancy_report,
    "form-106": form_106_draft,
}


def report_pdf(report: Report, clinic: Clinic, generated_at: dt.datetime) -> bytes:
    """The report as a PDF; its HTML carries its own CSS and loads nothing from outside."""
    from weasyprint import HTML

    html = render_to_string(
        "controlled_substances/pdf/report.html",
        {
            "report": report,
            "clinic": clinic,
            "registration": selectors.registration(clinic),
            "generated_at": _local(clinic, generated_at),
        },
    )
    return HTML(string=html, base_url=None).write_pdf()
