"""Long-term safety records: the checks asked across the course (urinary symptoms, cognitive
screens, liver results), the signals raised for the prescriber and their reviews, continuation
reviews and take-home dispensing limits.

Every row is written once (``Written``): a clinical record is never overwritten; a correction or
afterthought is an ``Addendum`` to the review it belongs to, and a new dispensing limit replaces
the old one by being newer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.longterm.settings import LIVER_ANALYTES
from ketacare.core.errors import Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.sessions.models import TreatmentSession

USER = settings.AUTH_USER_MODEL


class RecordImmutable(Refused):
    """A long-term safety record cannot change once written (409)."""


class Written(models.Model):
    """Saved once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RecordImmutable(
                "This record cannot be changed once written; add an addendum instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RecordImmutable("This record cannot be deleted.")


class Signal(Written):
    """Something for the prescriber to review, with its evidence, open until reviewed."""

    class Category(models.TextChoices):
        EXPOSURE = "exposure", "Cumulative exposure"
        URINARY = "urinary", "Urinary symptoms"
        COGNITION = "cognition", "Cognition"
        LIVER = "liver", "Liver"
        MISUSE = "misuse", "Misuse or dependence"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=12, choices=Category.choices)
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120, help_text="Identifies the finding within its kind.")
    raised_at = models.DateTimeField(help_text="When the fact behind it happened.")
    recorded_at = models.DateTimeField()
    summary = models.CharField(max_length=400)
    evidence = models.JSONField(default=dict)
    sources = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "recorded_at"])]
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "key"], name="lt_signal_once")
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return not hasattr(self, "review")


class SignalReview(Written):
    class Decision(models.TextChoices):
        NO_CHANGE = "no_change", "Reviewed: no change to treatment"
        MONITOR = "monitor", "Monitor more closely"
        ASSESS = "assess", "Assess further (tests, referral)"
        CHANGE_DOSE = "change_dose", "Change dose or frequency"
        PAUSE = "pause", "Pause treatment"
        STOP = "stop", "Stop treatment"

    signal = models.OneToOneField(Signal, on_delete=models.PROTECT, related_name="review")
    decision = models.CharField(max_length=12, choices=Decision.choices)
    note = models.TextField()
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")


class ContinuationReview(Written):
    """The periodic decision to go on, with the benefit and risks as they stood when signed."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue"
        TAPER = "taper", "Taper"
        PAUSE = "pause", "Pause"
        STOP = "stop", "Stop"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    rationale = models.TextField()
    benefit = models.JSONField(default=list, help_text="Outcome trajectory when signed.")
    risks = models.JSONField(default=dict, help_text="Exposure, checks and signals when signed.")
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-signed_at", "-pk"]


class Addendum(Written):
    """A correction or later note to a signal review or a continuation review."""

    signal_review = models.ForeignKey(
        SignalReview, null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )
    continuation_review = models.ForeignKey(
        ContinuationReview, null=True, blank=True, on_delete=models.PROTECT, related_name="addenda"
    )
    text = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signal_review__isnull=False, continuation_review__isnull=True)
                | Q(signal_review__isnull=True, continuation_review__isnull=False),
                name="lt_addendum_one_target",
            )
        ]


class UrinaryCheck(Written):
    """The clinic's urinary symptom checklist as asked: its questions and the answers."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    answers = models.JSONField(help_text="{question: true/false} in the checklist's order.")
    positive = models.JSONField(default=list, help_text="The questions answered yes.")
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-asked_at", "-pk"]


class CognitiveScreen(Written):
    """A score on the clinic's own cognitive screen; Ketacare does not interpret it beyond the
    clinic's direction and change settings."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=120)
    score = models.DecimalField(max_digits=8, decimal_places=2)
    administered_at = models.DateTimeField()
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-administered_at", "-pk"]


class LiverResult(Written):
    class Flag(models.TextChoices):
        NONE = "", "No flag given"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"
        HIGH = "high", "High"
        ABNORMAL = "abnormal", "Abnormal"
        CRITICAL = "critical", "Critical"

    ANALYTE_CHOICES = list(LIVER_ANALYTES.items())

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    analyte = models.CharField(max_length=12, choices=ANALYTE_CHOICES)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=20)
    lab_flag = models.CharField(max_length=10, choices=Flag.choices, blank=True)
    lab_lower = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    lab_upper = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    collected_on = models.DateField()
    abnormal_reasons = models.JSONField(default=list)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-collected_on", "-pk"]


class DispensingLimit(Written):
    """The prescriber's take-home limit for a patient: the newest one is in force."""

    class OnExceed(models.TextChoices):
        REFUSE = "refuse", "Refuse the dispensing"
        WARN = "warn", "Record it with a warning for review"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    max_mg = models.DecimalField(max_digits=10, decimal_places=2)
    period_days = models.PositiveIntegerField()
    on_exceed = models.CharField(max_length=8, choices=OnExceed.choices)
    note = models.TextField(blank=True)
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-set_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_mg__gt=0, period_days__gt=0), name="lt_limit_positive"
            )
        ]
