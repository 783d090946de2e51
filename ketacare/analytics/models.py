"""The protected mapping from records to the random surrogates an export carries.

Safe Harbor allows a re-identification code only if it is not derived from information about the
person (reference §12, 164.514(c) [S133]): surrogates are random numbers drawn once and kept
here, never a hash of an MRN or a name. A patient's reference point for the exported minutes is
a random shift, also kept only here. Nothing in Ketacare shows this table; only the identified
export (medical director, audited) joins through it.
"""

from __future__ import annotations

from django.db import models


class Pseudonym(models.Model):
    class Kind(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINIC = "clinic", "Clinic"
        COURSE = "course", "Treatment course"
        SESSION = "session", "Treatment session"
        EVENT = "event", "Adverse event"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    surrogate = models.BigIntegerField()
    # Patients only: minutes the exported reference point lies before registration (random).
    reference_shift_minutes = models.IntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="pseudonym_once"),
            models.UniqueConstraint(fields=["kind", "surrogate"], name="pseudonym_unique"),
        ]
