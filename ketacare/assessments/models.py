"""Measurement-based care: schedule rules, plans, item-by-item responses, links, reminders.

Scores, bands and flags come only from ``ketacare.clinical.instruments.score``; a response row
stores what it returned, with the scorer version. Responses are never changed: a correction is a
new version that points at the one it supersedes.

Patient-linked rows cascade with the patient: Ketacare offers no way to delete a patient, and the
audit trail keeps the history of every write either way.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.errors import Refused
from ketacare.core.links import link_digest
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient

# A plan's due list stored through this long-past time is stale: the next read stores it again.
DUE_STALE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
INSTRUMENT_CHOICES = [(code, instrument.name) for code, instrument in INSTRUMENTS.items()]
MAX_REMINDERS = 3  # per due questionnaire (measurement issue: "email reminders (up to three)")


class ImmutableError(Refused):
    """An attempt to change a stored questionnaire response."""


class AssessmentSettings(models.Model):
    """How a clinic delivers questionnaires, and two outcome options the reference does not set.

    The clinical thresholds (response, remission, relapse, instrument flags) are protocol values:
    they live in the clinic-settings registry (``ketacare/assessments/protocol.py``)."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, related_name="assessment_settings"
    )
    language = models.CharField(
        max_length=20, default="en", help_text="Language of the official wording shown."
    )
    reminder_interval_hours = models.PositiveIntegerField(
        default=24, help_text="Hours between reminders for the same questionnaire (at most 3)."
    )
    link_ttl_hours = models.PositiveIntegerField(
        default=72, help_text="Hours a questionnaire link stays valid."
    )
    baseline_max_age_days = models.PositiveSmallIntegerField(null=True, blank=True)
    rapid_response_window_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The reference gives none: rapid response is off until set.",
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Measurement settings of {self.clinic}"


class ScheduleRule(models.Model):
    """When an instrument is due, as data. Windows (hours) are explained in docs/measurement.md.

    - ``baseline``: once, from ``window_hours`` before the plan starts until the first treatment;
      overdue ``grace_hours`` after the plan starts.
    - ``before_treatment`` / ``every_visit``: from ``window_hours`` before each treatment (each
      visit: today every visit is a treatment) until ``grace_hours`` after it.
    - ``after_treatment``: due ``offset_hours`` after each treatment, from ``window_hours``
      before that until ``grace_hours`` after it.
    - ``every_n_days``: every ``interval_days`` from the start of the phase.
    """

    class Trigger(models.TextChoices):
        BASELINE = "baseline", "At baseline"
        BEFORE_TREATMENT = "before_treatment", "Before each treatment"
        AFTER_TREATMENT = "after_treatment", "After each treatment"
        EVERY_N_DAYS = "every_n_days", "Every N days"
        EVERY_VISIT = "every_visit", "At every visit"

    class Phase(models.TextChoices):
        ANY = "any", "Any phase"
        INDUCTION = "induction", "Induction"
        MAINTENANCE = "maintenance", "Maintenance"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="schedule_rules")
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.ANY)
    offset_hours = models.PositiveIntegerField(default=0)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    window_hours = models.PositiveIntegerField(default=24)
    grace_hours = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["clinic", "instrument", "trigger", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="every_n_days") | Q(interval_days__gte=1),
                name="schedule_rule_interval_needed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.get_trigger_display().lower()}"


class AssessmentPlan(models.Model):
    """A patient's enrolment in measurement-based care for one course of treatment.

    ``maintenance_started_at`` divides induction from maintenance for the rules' phase filter.
    The treatment app may later link a course here; today the plan is its own record.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assessment_plans")
    started_at = models.DateTimeField()
    maintenance_started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The patient's prescriber: told of every safety alert.",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The plan's stored due list (``DueQuestionnaire``) holds every unanswered questionnaire
    # opening by ``due_through`` and not closed before ``due_as_of``. ``DUE_STALE``: to be
    # stored again (never stored, or its treatment times changed).
    due_as_of = models.DateTimeField(null=True, blank=True, editable=False)
    due_through = models.DateTimeField(default=DUE_STALE, editable=False)

    class Meta:
        ordering = ["patient", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_at__isnull=True), name="one_open_plan"
            ),
        ]
        indexes = [
            # The open plans whose stored due list must be carried further ahead.
            models.Index(
                fields=["due_through"],
                condition=Q(ended_at__isnull=True),
                name="assessment_plan_due_through",
            ),
        ]

    def __str__(self) -> str:
        return f"Measurement plan for {self.patient} from {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class DueQuestionnaire(models.Model):
    """One scheduled questionnaire of an open plan that holds no response yet, with its window.

    Derived data, kept by ``services.due`` whenever what the schedule reads changes (the plan,
    the clinic's rules, the patient's responses and treatment times), so the clinic's due list
    and the dashboard's counts are a query: due while ``opens_at <= now <= due_at``, overdue
    while ``due_at < now`` and ``closes_at`` (none: open-ended) has not passed. A plan keeps
    rows for what opens up to its ``due_through``.
    """

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE, related_name="due_items")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    rule = models.ForeignKey(ScheduleRule, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    trigger = models.CharField(max_length=20, choices=ScheduleRule.Trigger.choices)
    anchor_at = models.DateTimeField(null=True, blank=True)
    opens_at = models.DateTimeField()
    due_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clinic", "due_at", "pk"]
        indexes = [
            # The due list in order (overdue first is earliest due first) and its counts.
            models.Index(fields=["clinic", "due_at"], name="due_questionnaire_clinic_due"),
            models.Index(fields=["clinic", "opens_at"], name="due_questionnaire_clinic_opens"),
            models.Index(fields=["plan", "due_at"], name="due_questionnaire_plan_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} due {self.due_at:%Y-%m-%d %H:%M}"


class InstrumentWording(models.Model):
    """A clinic's licensed official wording of one instrument in one language (validated JSON)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="wordings")
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    language = models.CharField(max_length=20)
    document = models.JSONField()
    source = models.CharField(max_length=500)
    active = models.BooleanField(default=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["clinic", "instrument", "language", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument", "language"],
                condition=Q(active=True),
                name="one_active_wording",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} wording ({self.language})"


class QuestionnaireLink(models.Model):
    """A one-time, expiring link to answer one questionnaire without logging in.

    Only the token's SHA-256 is stored (the intake link pattern).
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="questionnaire_links"
    )
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField()
    due_key = models.CharField(max_length=120, blank=True)

    @staticmethod
    def digest(token: str) -> str:
        return link_digest(token)

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} link for {self.patient}"


class AssessmentResponse(models.Model):
    """One completed instrument, stored item by item with what the scorer returned.

    Never updated: ``save`` refuses an existing row. A correction is a new row with
    ``version = previous + 1`` and ``supersedes`` pointing at the previous one.
    """

    class Source(models.TextChoices):
        PORTAL = "portal", "Patient, in the portal"
        LINK = "link", "Patient, through a questionnaire link"
        STAFF_PAPER = "staff_paper", "Entered by staff from paper"
        CLINICIAN_RATED = "clinician_rated", "Clinician-rated"
        DEMO = "demo", "Demo data"

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="assessment_responses"
    )
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    answers = models.JSONField(help_text="Ints in item order, as given to the scorer.")
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    flag_reasons = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Domains, triage reason, …")
    scorer_version = models.CharField(max_length=30)
    source = models.CharField(max_length=20, choices=Source.choices)
    completed_at = models.DateTimeField(db_index=True)
    entered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by_label = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True)
    wording = models.ForeignKey(
        InstrumentWording, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.OneToOneField(
        QuestionnaireLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )

    class Meta:
        ordering = ["patient", "instrument", "completed_at", "version"]
        indexes = [models.Index(fields=["patient", "instrument", "completed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(version=1, supersedes__isnull=True)
                | Q(version__gt=1, supersedes__isnull=False),
                name="response_version_chain",
            ),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("A stored response never changes: enter a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A stored response is never deleted.")

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} v{self.version} for {self.patient}"

    @property
    def root_id(self) -> int:
        return self.original_id or self.pk

    @property
    def flag_labels(self) -> list[str]:
        return [flag.replace("_", " ") for flag in self.flags]


class Reminder(models.Model):
    """One reminder e-mail for one due questionnaire (``due_key``); at most three each."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    due_key = models.CharField(max_length=120)
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    number = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()
    sent_to = models.EmailField()
    link = models.ForeignKey(
        QuestionnaireLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["patient", "due_key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "due_key", "number"], name="one_reminder_per_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=MAX_REMINDERS), name="at_most_3_reminders"
            ),
        ]
