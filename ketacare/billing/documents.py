"""Superbills and statements as PDF (WeasyPrint), from the same data the pages show, and their
download: audited as an export of patient data, whoever asks (billing or the patient).

The HTML templates carry their own CSS and load nothing from outside, so rendering needs no
network and no static files.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from django.template.loader import render_to_string

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.statements import Statement, Superbill, statement_for, superbill_for
from ketacare.patients.models import Patient

Kind = Literal["superbill", "statement"]


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=None).write_pdf()


def superbill_pdf(superbill: Superbill) -> bytes:
    return _pdf("billing/pdf/superbill.html",
                {"bill": superbill, "clinic": superbill.patient.clinic})


def statement_pdf(statement: Statement) -> bytes:
    return _pdf("billing/pdf/statement.html",
                {"statement": statement, "clinic": statement.patient.clinic})


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def document_download(
    *, kind: Kind, patient: Patient, starts_on: dt.date, ends_on: dt.date, issued_on: dt.date,
    origin: RequestOrigin, at: dt.datetime,
) -> HttpResponse:
    """The superbill or statement of ``patient`` for the period, as a PDF download."""
    if kind == "superbill":
        content = superbill_pdf(superbill_for(patient, starts_on=starts_on, ends_on=ends_on,
                                              issued_on=issued_on))
    else:
        content = statement_pdf(statement_for(patient, starts_on=starts_on, ends_on=ends_on,
                                              issued_on=issued_on))
    audit_record(origin=origin, action="export", object_type=kind, object_id=patient.pk,
                 patient=patient,
                 summary=f"{kind.capitalize()} {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}",
                 at=at)
    filename = f"{kind}-{patient.mrn}-{starts_on:%Y%m%d}-{ends_on:%Y%m%d}.pdf"
    return pdf_response(content, filename)
