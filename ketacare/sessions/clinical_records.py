"""The clinical core's REMS Patient Monitoring Form as the flat record this app exports.

The core's ``PatientMonitoringForm`` holds the form's fields (``ketacare.clinical.rems``); the
export flattens each blood pressure into systolic and diastolic columns, writes dates as ISO
strings and answers as their values, and adds the submission due date. The same record is the
CSV row, the JSON answer and the page's context.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from enum import StrEnum

from ketacare.clinical.rems import PatientMonitoringForm, submission_due

Record = dict[str, str | int | None]


def rems_form_record(form: PatientMonitoringForm) -> Record:
    """Flat, CSV- and JSON-friendly; keys are ``REMS_FORM_KEYS`` in order."""
    out: Record = {}
    for item in fields(form):
        value = getattr(form, item.name)
        if item.name.startswith("bp_"):  # one column per number
            out[f"{item.name}_systolic_mmhg"] = value.systolic_mmhg if value else None
            out[f"{item.name}_diastolic_mmhg"] = value.diastolic_mmhg if value else None
        elif isinstance(value, date):
            out[item.name] = value.isoformat()
        elif isinstance(value, StrEnum):
            out[item.name] = value.value
        else:
            out[item.name] = value
    due = submission_due(form) if form.treatment_date else None
    out["submission_due_on"] = due.isoformat() if due else None
    return out


REMS_FORM_KEYS: tuple[str, ...] = tuple(rems_form_record(PatientMonitoringForm()))
