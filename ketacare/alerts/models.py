"""Clinical alerts that need a person to act: safety (suicide risk), vitals, adverse events.

An alert stays open until a clinician acknowledges it with a documented action. Alerts whose
escalation time passes while still open are escalated to the medical director(s)
(``ketacare escalate_safety_alerts``). ``ketacare.alerts.services`` holds every write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

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

    class Action(models.TextChoices):
        """What the acknowledging clinician did; ``other`` needs a note saying what."""

        SAFETY_PLAN = "safety_plan", "Safety plan made or reviewed with the patient"
        SAME_DAY_ASSESSMENT = "same_day_assessment", "Same-day clinical assessment"
        EMERGENCY_REFERRAL = "emergency_referral", "Emergency referral (988, 911, emergency dept.)"
        OTHER = "other", "Other (described in the note)"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=60, help_text="Machine-readable cause, e.g. phq9_item9.")
    message = models.CharField(max_length=400)
    recommended_action = models.CharField(max_length=400, blank=True)
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(
        default=dict, blank=True, help_text="Reasons and sources behind the alert, for the screen."
    )
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(db_index=True)
    opened_by_label = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_taken = models.CharField(max_length=60, blank=True, choices=Action.choices)
    action_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    notified_to = models.JSONField(default=list, blank=True, help_text="E-mail addresses told.")
    escalation_due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Escalate if still open at this time."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["clinic", "status", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                | Q(status="resolved", resolved_at__isnull=False),
                name="alert_closed_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"

    @property
    def is_critical(self) -> bool:
        return self.level == self.Level.CRITICAL


class ClinicAlertPolicy(models.Model):
    """How a clinic's alerts reach people: escalation time and an on-call address.

    The clinical reference gives no escalation time. ``safety_escalation_minutes`` starts at the
    project default (``ketacare.alerts.services.SAFETY_ESCALATION_MINUTES``) and stays flagged as
    unconfirmed until the medical director saves the policy (``confirmed_at``).
    """

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="alert_policy")
    safety_escalation_minutes = models.PositiveIntegerField(
        help_text="Minutes an unacknowledged safety alert waits before the medical director is "
        "told."
    )
    on_call_email = models.EmailField(
        "on-call e-mail",
        blank=True,
        help_text="A shared pager or on-call mailbox told of every safety alert (optional).",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Alert policy of {self.clinic}"
