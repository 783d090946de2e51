"""Auditing a read of many patients' bookings (calendar, day sheet, outbox, waitlist): one entry
naming every patient shown."""

from __future__ import annotations

from collections.abc import Iterable

from ketacare.audit.services import audit_record
from ketacare.core.actions import Action


def audit_list_read(act: Action, *, object_type: str, summary: str, rows: Iterable[object]) -> None:
    """Record that ``act`` showed ``rows`` (anything with a ``patient_id``)."""
    audit_record(
        action="view",
        object_type=object_type,
        clinic_id=act.clinic.pk,
        summary=summary,
        changes={"patient_ids": sorted({row.patient_id for row in rows})},
        **act.stamp,
    )
