"""Treatment courses, signed orders, consent and appointments.

The session app (issue 5) reads these: nurses act only on a signed Order, a session happens in an
Appointment, and no treatment starts without a current signed ConsentSignature.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.core.models import Chair, Clinic
from ketacare.patients.models import Patient

ROUTE_CHOICES = [(route.value, ROUTE_LABELS[route]) for route in Route]


class TreatmentCourse(models.Model):
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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{ROUTE_LABELS[Route(self.route)]} course for {self.patient}"


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

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="order_signed_has_signer",
            ),
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="order_dose_positive"),
        ]

    @property
    def is_actionable(self) -> bool:
        return self.status == self.Status.SIGNED


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
