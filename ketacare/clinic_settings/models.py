"""A clinic's own value for one registered protocol setting (``registry.py`` lists the keys).

No row means the reference default is in force, or, where the reference gives none, that the
value is still unset and whatever needs it is refused. Storing the default value itself is how a
medical director confirms an unverified default.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.core.models import Clinic


class ClinicSetting(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=160)
    value = models.JSONField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="clinic_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r} ({self.clinic_id})"
