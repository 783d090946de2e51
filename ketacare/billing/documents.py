"""Superbills and statements as PDF (WeasyPrint), from the same data the pages show.

The HTML templates carry their own CSS and load nothing from outside, so rendering needs no
network and no static files.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from ketacare.billing.statements import Statement, Superbill


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


def document_name(kind: str, patient, starts_on, ends_on) -> str:
    return f"{kind}-{patient.mrn}-{starts_on:%Y%m%d}-{ends_on:%Y%m%d}.pdf"
