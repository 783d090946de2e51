"""What the treatment pages share: the audited read of a patient's treatment record."""

from __future__ import annotations

from django.http import HttpRequest

from ketacare.core.actions import action, audit_read


def _audit_view(request: HttpRequest, *, patient_id: int, clinic_id: int, what: str) -> None:
    audit_read(
        action(request),
        object_type=what,
        object_id=patient_id,
        patient_id=patient_id,
        clinic_id=clinic_id,
        summary=f"Viewed {what.replace('_', ' ')}",
    )
