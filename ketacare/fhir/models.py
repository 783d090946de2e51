"""Bulk export jobs: one row per ``$export`` kick-off, run in the background, files that expire."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ketacare.core.models import Clinic


class ExportJob(models.Model):
    """A FHIR Bulk Data export: what was asked (level, types, ``_since``), by whom, at which
    clinic, and what came of it. Its NDJSON files live under ``FHIR_EXPORT_DIR/<id>/`` until
    ``expires_at``; the row stays as the record of the export."""

    class Level(models.TextChoices):
        SYSTEM = "system", "Everything of the clinic ($export)"
        PATIENT = "patient", "Every patient's record (Patient/$export)"
        GROUP = "group", "A group's patients (Group/[id]/$export)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired (files deleted)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField(help_text="Resource types to export, in order.")
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    progress = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    output = models.JSONField(default=list, help_text='[{"type", "file", "count"}] when done.')

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"FHIR export {self.id} ({self.status})"
