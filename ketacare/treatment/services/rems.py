"""A patient's SPRAVATO REMS enrolment, recorded once (source: S15, S58): from the course's
checklist, the chart's REMS panel or the API, every reader sees the same row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.core.errors import Invalid
from ketacare.patients.models import Patient
from ketacare.treatment.models import RemsEnrolment


def _facts(row: RemsEnrolment) -> dict[str, object]:
    return {
        "status": row.status or None,
        "enrolled_on": row.enrolled_on,
        "enrolment_id": row.enrolment_id,
    }


@transaction.atomic
def rems_enrolment_set(
    *,
    patient: Patient,
    status: str,
    origin: RequestOrigin,
    at: dt.datetime,
    enrolled_on: dt.date | None = None,
    enrolment_id: str = "",
    note: str = "",
) -> RemsEnrolment:
    """Record the patient's enrolment status; "enrolled" needs its date, never in the future.
    The change is audited with what it replaced."""
    if status not in RemsEnrolment.Status.values:
        raise Invalid.field("status", "Choose enrolled or not enrolled.")
    enrolled = status == RemsEnrolment.Status.ENROLLED
    if enrolled and enrolled_on is None:
        raise Invalid.field("enrolled_on", "Give the enrolment date.")
    if enrolled_on is not None and enrolled_on > at.astimezone(patient.clinic.zone).date():
        raise Invalid.field("enrolled_on", "The enrolment date is in the future.")
    row = RemsEnrolment.objects.select_for_update().filter(patient=patient).first()
    row = row or RemsEnrolment(patient=patient)
    before = _facts(row)
    row.status = status
    row.enrolled_on = enrolled_on if enrolled else None
    row.enrolment_id = enrolment_id.strip()[:40] if enrolled else ""
    row.note = (note or "").strip()
    row.updated_at, row.updated_by = at, origin.actor
    row.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="rems_enrolment",
        object_id=row.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"REMS enrolment: {row.summary}",
        changes=diff(before, _facts(row)),
        at=at,
    )
    return row
