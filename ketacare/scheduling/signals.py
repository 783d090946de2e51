"""Every save of an ``Appointment`` keeps its ``Occupancy`` row in step, in the same transaction.

Whoever writes the appointment (the scheduling services, the treatment API, the demo), the
database then refuses a second booking of the same chair or patient at an overlapping time: the
refusal arrives here as an ``IntegrityError`` and leaves as ``Refused`` (409) with a sentence.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.signals import post_save

from ketacare.core.errors import Refused
from ketacare.scheduling.models import Occupancy
from ketacare.treatment.models import Appointment

HOLDS_TIME = (Appointment.Status.BOOKED, Appointment.Status.COMPLETED)
DOUBLE_BOOKED = (
    "That time was just booked by someone else: the chair or the patient is no longer free. "
    "Find the slots again."
)


def occupancy_sync(appointment: Appointment) -> None:
    """Write (or remove) the appointment's occupancy; Refused when the database finds a clash."""
    if appointment.status not in HOLDS_TIME:
        Occupancy.objects.filter(appointment_id=appointment.pk).delete()
        return
    try:
        with transaction.atomic():
            Occupancy.objects.update_or_create(
                appointment_id=appointment.pk,
                defaults={
                    "clinic_id": appointment.clinic_id,
                    "chair_id": appointment.chair_id,
                    "patient_id": appointment.patient_id,
                    "starts_at": appointment.starts_at,
                    "ends_at": appointment.ends_at,
                },
            )
    except IntegrityError as clash:
        raise Refused(DOUBLE_BOOKED, details={"appointment": appointment.pk}) from clash


def _appointment_saved(sender, instance: Appointment, raw: bool = False, **kwargs) -> None:
    if not raw:  # fixtures load occupancies themselves
        occupancy_sync(instance)


def connect() -> None:
    post_save.connect(
        _appointment_saved, sender=Appointment, dispatch_uid="scheduling_occupancy_sync"
    )
