"""Treatment courses, signed orders, consent and appointments.

The session app (issue 5) reads these: nurses act only on a signed Order, a session happens in an
Appointment, and no treatment starts without a current signed ConsentSignature.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.intake import Indication
from ketacare.core.models import Chair, Clinic
from ketacare.patients.models import IntakeVersion, Patient

ROUTE_CHOICES = [(route.value, ROUTE_LABELS[route]) for route in Route]
INDICATION_LABELS: dict[str, str] = {
    Indication.DEPRESSION: "Depression (treatment-resistant)",
    Indication.BIPOLAR_DEPRESSION: "Bipolar depression",
    Indication.PTSD: "PTSD",
    Indication.OCD: "OCD",
    Indication.ANXIETY: "Anxiety",
    Indication.CHRONIC_PAIN_CRPS: "Chronic pain (CRPS)",
    Indication.SUICIDAL_IDEATION: "Depression with acute suicidal ideation",
}
INDICATION_CHOICES = [(str(i), INDICATION_LABELS[i]) for i in Indication]
OUTCOME_LABELS: dict[str, str] = {
    "eligible": "Eligible",
    "eligible_with_cautions": "Eligible with cautions",
    "needs_information": "Needs information",
    "not_eligible": "Not eligible",
}


class RouteAndIndicationLabels:
    """The labels people read for a record's ``route`` and ``indication`` (a screening, a
    course)."""

    route: str
    indication: str

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS[Route(self.route)]

    @property
    def indication_label(self) -> str:
        return INDICATION_LABELS.get(self.indication, self.indication)


class OrderImmutable(ValueError):
    """A signed order was about to change: a change is a new order that supersedes it."""


class ScreeningResult(RouteAndIndicationLabels, models.Model):
    """One eligibility screening exactly as decided: who ran it, when, on which intake version,
    for which route and indication, and the full decision (every finding with its source)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    intake_version = models.ForeignKey(IntakeVersion, on_delete=models.PROTECT, related_name="+")
    intake_number = models.PositiveIntegerField()
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    indication = models.CharField(max_length=32, choices=INDICATION_CHOICES)
    outcome = models.CharField(max_length=24)
    summary = models.TextField()
    decision = models.JSONField(help_text="EligibilityDecision.to_dict() as returned.")
    facts = models.JSONField(help_text="The IntakeFacts the rules read.")
    protocol = models.JSONField(default=dict, help_text="Clinic settings in force.")
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-screened_at", "-pk"]
        indexes = [models.Index(fields=["patient", "route", "indication", "screened_at"])]

    @property
    def allows_treatment(self) -> bool:
        return self.outcome in ("eligible", "eligible_with_cautions")

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


class TreatmentCourse(RouteAndIndicationLabels, models.Model):
    """One course for one patient: induction → evaluation → maintenance → booster → completed."""

    class Phase(models.TextChoices):
        PLANNED = "planned", "Planned"
        INDUCTION = "induction", "Induction"
        EVALUATION = "evaluation", "Evaluation"
        MAINTENANCE = "maintenance", "Maintenance"
        BOOSTER = "booster", "Booster"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    indication = models.CharField(max_length=32)
    regimen_key = models.CharField(max_length=60, help_text="Key of the regimen template used.")
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.PLANNED)
    started_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    paused_from = models.CharField(
        max_length=12, blank=True, help_text="The phase a paused course resumes into."
    )
    ended_on = models.DateField(null=True, blank=True)
    screening = models.ForeignKey(
        ScreeningResult,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        help_text="The eligibility screening the course rests on.",
    )
    risk_benefit_note = models.TextField(
        blank=True, help_text="The documented decision on the screening's cautions."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.route_label} course for {self.patient}"

    @property
    def is_active(self) -> bool:
        return self.phase not in (self.Phase.COMPLETED,)


class Order(models.Model):
    """A treatment order. A draft becomes actionable only once a prescriber signs it; a signed
    order never changes (a change is a new order that supersedes it)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"
        CANCELLED = "cancelled", "Cancelled"

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="orders")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2)
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    dosing_weight_kg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    dosing_weight_basis = models.CharField(max_length=12, blank=True)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True
    )
    drug_volume_ml = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    bag_volume_ml = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    infusion_minutes = models.PositiveIntegerField(null=True, blank=True)
    rate_ml_per_h = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    sessions_authorised = models.PositiveIntegerField(default=1)
    calculation = models.JSONField(
        default=dict, blank=True, help_text="The dosing result as computed."
    )
    instructions = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    titration_reason = models.TextField(
        blank=True, help_text="Why the dose differs from the order it supersedes."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="order_signed_has_signer",
            ),
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="order_dose_positive"),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(status="signed"),
                name="order_one_signed_per_course",
            ),
        ]

    @property
    def is_actionable(self) -> bool:
        return self.status == self.Status.SIGNED

    def save(self, *args, **kwargs):
        """A signed order never changes, except to be superseded or cancelled as a whole."""
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status").first()
            if stored and stored["status"] != self.Status.DRAFT:
                update_fields = set(kwargs.get("update_fields") or ())
                allowed_move = self.status in (self.Status.SUPERSEDED, self.Status.CANCELLED)
                if (
                    stored["status"] != self.Status.SIGNED
                    or not allowed_move
                    or update_fields != {"status"}
                ):
                    raise OrderImmutable(
                        f"Order {self.pk} is {stored['status']} and cannot be changed; write a "
                        "new order that supersedes it."
                    )
        super().save(*args, **kwargs)


class ConsentDocument(models.Model):
    """A versioned consent text per route (risks, off-label status, alternatives)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_documents")
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    effective_from = models.DateField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "route", "version"], name="consent_unique_version"
            )
        ]


class ConsentSignature(models.Model):
    """A patient's electronic signature of one consent version, countersigned by a clinician."""

    document = models.ForeignKey(
        ConsentDocument, on_delete=models.PROTECT, related_name="signatures"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    patient_typed_name = models.CharField(max_length=200)
    patient_signed_at = models.DateTimeField()
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clinician_signed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_complete(self) -> bool:
        return self.clinician_signed_at is not None and self.revoked_at is None


# No appointment lasts longer: booking refuses more than 24 h (services/booking.py, the booking
# schemas) and a scheduled visit fits in a clinic's day.
LONGEST_APPOINTMENT = dt.timedelta(hours=24)


def overlapping(start: dt.datetime, end: dt.datetime) -> Q:
    """Appointments overlapping [start, end). The lower bound on ``starts_at`` (implied by
    ``LONGEST_APPOINTMENT``) lets the (clinic, starts_at) index read only that span instead of
    every earlier appointment of the clinic."""
    return Q(starts_at__lt=end, ends_at__gt=start, starts_at__gt=start - LONGEST_APPOINTMENT)


class Appointment(models.Model):
    """A booked visit: a treatment in a chair with a nurse, or a consult. Conflicts are refused
    by the booking service (same chair, nurse or patient at overlapping times)."""

    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        CONSULT = "consult", "Consultation"
        FOLLOW_UP = "follow_up", "Follow-up"
        INTEGRATION = "integration", "Integration session"

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    course = models.ForeignKey(
        TreatmentCourse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TREATMENT)
    chair = models.ForeignKey(
        Chair, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="Treatment number in the course."
    )
    preparation_instructions = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["clinic", "starts_at"])]


class ChecklistItem(models.Model):
    """A pre-treatment checklist item a clinician confirmed for a course (see checklist.py)."""

    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="checklist_items"
    )
    key = models.CharField(max_length=40)
    done_at = models.DateTimeField()
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="checklist_item_unique")
        ]


class AftercarePlan(models.Model):
    """What happens around and after the treatments, as the patient sees it in the portal."""

    course = models.OneToOneField(
        TreatmentCourse, on_delete=models.PROTECT, related_name="aftercare"
    )
    psychotherapy = models.TextField("Psychotherapy or integration sessions", blank=True)
    medication_management = models.TextField("Medication management", blank=True)
    exercise = models.TextField(blank=True)
    sleep = models.TextField(blank=True)
    nutrition = models.TextField(blank=True)
    stress = models.TextField("Stress", blank=True)
    follow_up_treatments = models.TextField("Follow-up treatments", blank=True)
    monitoring_schedule = models.TextField("Monitoring schedule", blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    FIELDS = (
        "psychotherapy",
        "medication_management",
        "exercise",
        "sleep",
        "nutrition",
        "stress",
        "follow_up_treatments",
        "monitoring_schedule",
    )


class RemsEnrolment(models.Model):
    """A patient's SPRAVATO REMS enrolment, recorded once per patient (source: S15, S58): the
    course checklist, the session's REMS steps and billing's coverage all read this one row."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        NOT_ENROLLED = "not_enrolled", "Not enrolled"

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=14, choices=Status.choices)
    enrolled_on = models.DateField(null=True, blank=True)
    enrolment_id = models.CharField(
        max_length=40, blank=True, help_text="The patient's REMS enrolment number, if given."
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "treatment_sessions_remsenrolment"  # first kept by the sessions app

    @property
    def enrolled(self) -> bool:
        return self.status == self.Status.ENROLLED

    @property
    def summary(self) -> str:
        if not self.enrolled:
            return "Not enrolled"
        when = f" {self.enrolled_on:%Y-%m-%d}" if self.enrolled_on else ""
        ident = f" ({self.enrolment_id})" if self.enrolment_id else ""
        return f"Enrolled{when}{ident}"
