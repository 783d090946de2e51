"""Treatment times feed the measurement schedule ("before each treatment", "24 h after"): every
save of an appointment, whoever writes it (booking, moves, cancellations, no-shows, the demo),
tells the assessments app its patient's stored due list must be worked out again."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from ketacare.assessments.services import due_mark_stale
from ketacare.treatment.models import Appointment


def _appointment_changed(sender, instance: Appointment, raw: bool = False, **kwargs) -> None:
    if not raw:
        due_mark_stale(patient_ids=[instance.patient_id])


def connect() -> None:
    post_save.connect(_appointment_changed, sender=Appointment, dispatch_uid="treatment_due_saved")
    post_delete.connect(
        _appointment_changed, sender=Appointment, dispatch_uid="treatment_due_deleted"
    )
