"""The dose a course's next order would carry, computed by the core without saving anything."""

from __future__ import annotations

import datetime as dt

from ketacare.patients.selectors import age_on
from ketacare.treatment import selectors
from ketacare.treatment.dose import DoseInput, DoseOutcome, PreviousDose, compute_dose
from ketacare.treatment.models import TreatmentCourse


def _previous(course: TreatmentCourse) -> PreviousDose | None:
    order = selectors.last_dosed_order(course)
    if order is None:
        return None
    return PreviousDose(
        dose_mg=float(order.dose_mg),
        dose_mg_per_kg=None if order.dose_mg_per_kg is None else float(order.dose_mg_per_kg),
    )


def dose_preview(
    *, course: TreatmentCourse, inputs: DoseInput, titration_reason: str, at: dt.datetime
) -> DoseOutcome:
    """Compute the dose for the course without saving (raises the core's refusals)."""
    body = selectors.body_for_dosing(course.patient)
    protocol = selectors.clinic_protocol(course.clinic)
    return compute_dose(
        route=course.route,
        regimen_key=course.regimen_key,
        indication=course.indication,
        body=body.measurements,
        age_years=age_on(course.patient.date_of_birth, at.astimezone(course.clinic.zone).date()),
        protocol=protocol,
        inputs=inputs,
        previous=_previous(course),
        titration_reason=titration_reason,
    )
