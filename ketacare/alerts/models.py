"""Clinical alerts that need a person to act: safety (suicide risk), vitals, adverse events.

An alert stays open until a clinician acknowledges it with a documented action.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketacare.core.models import Clinic
from ketacare.patients.models import Patient


class Alert(models.Model):
    class Kind(models.TextChoices):
        SAFETY = "safety", "Suicide-risk safety alert"
        VITALS = "vitals", "Vital signs"
        ADVERSE_EVENT = "adverse_event", "Adverse event"
        AT_HOME = "at_home", "At-home session"
        OTHER = "other", "Other"

    class Level(models.TextChoices):
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=60, help_text="Machine-readable cause, e.g. phq9_item9.")
    message = models.CharField(max_length=400)
    recommended_action = models.CharField(max_length=400, blank=True)
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.CharField(max_length=60, blank=True)
    action_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["clinic", "status", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
