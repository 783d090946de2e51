"""Esketamine prior authorisation per patient and payer, with every status change kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.prior_authorisation import AuthorisationStatus
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentCourse

_USER = settings.AUTH_USER_MODEL
STATUS_CHOICES = [(s.value, s.value.capitalize()) for s in AuthorisationStatus]


class PriorAuthorisation(models.Model):
    """One request to one payer. Approved is final; a renewal is a new authorisation."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        TreatmentCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer = models.CharField(max_length=120)
    payer_reference = models.CharField(
        max_length=80, blank=True, help_text="The payer's authorisation or case number."
    )
    status = models.CharField(max_length=10, choices=STATUS_CHOICES)
    submitted_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    approved_units = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Sessions approved (one G2082/G2083 visit each)."
    )
    denial_reason = models.CharField(max_length=300, blank=True)
    appealed_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(starts_on__isnull=False, ends_on__isnull=False, approved_units__gte=1),
                name="authorisation_approved_has_period_and_units",
            ),
        ]


class AuthorisationEvent(models.Model):
    """One status change of an authorisation: who, when, from what to what, and why."""

    authorisation = models.ForeignKey(
        PriorAuthorisation, on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]
