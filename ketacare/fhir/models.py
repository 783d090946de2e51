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
    # Each run of the job (a stalled run is queued again) writes under a directory of its own,
    # and proves it is alive every CHUNK_ROWS resources; a run that stops beating is stale.
    attempt = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    output = models.JSONField(default=list, help_text='[{"type", "file", "count"}] when done.')

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"FHIR export {self.id} ({self.status})"


class PrefillDraft(models.Model):
    """A registration and intake pre-filled from a FHIR Bundle, waiting for staff to confirm.
    Nothing of it is in the patient record until then; confirming registers the patient through
    the patients app and enters the intake lists as a version for review."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        CONFIRMED = "confirmed", "Confirmed: patient registered"
        DISCARDED = "discarded", "Discarded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    registration = models.JSONField(help_text="The registration form's values.")
    intake = models.JSONField(help_text='{"diagnoses": [...], "medications": [...], '
                              '"allergies": [...]}')
    notes = models.JSONField(default=list, help_text="What the Bundle held that was left out.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["clinic", "status"])]

    def __str__(self) -> str:
        return f"FHIR pre-fill {self.id} ({self.status})"

    @property
    def name(self) -> str:
        values = self.registration
        return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip() or "—"
