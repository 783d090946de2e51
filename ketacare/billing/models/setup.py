"""A clinic's billing set-up: its billing details, fee schedule, packages and sliding-scale bands.

Prices and bands are clinic policy. A change never rewrites a charge already made: every charge
line keeps the price and explanation it was made with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.clinical.billing import POVERTY_GUIDELINES, Service
from ketacare.core.models import Clinic
from ketacare.treatment.models import ROUTE_CHOICES

_USER = settings.AUTH_USER_MODEL

SERVICE_LABELS: dict[str, str] = {
    Service.CONSULTATION: "Consultation",
    Service.FOLLOW_UP: "Follow-up visit",
    Service.INTEGRATION_THERAPY: "Integration therapy",
    Service.SUBLINGUAL_PROGRAMME: "Sublingual programme",
    Service.IV_INFUSION: "IV infusion, first hour (or IV push)",
    Service.IV_INFUSION_ADDITIONAL_HOUR: "IV infusion, each additional hour",
    Service.IM_INJECTION: "IM injection",
    Service.SC_INJECTION: "Subcutaneous injection",
    Service.ORAL_SESSION: "Oral ketamine session",
    Service.SUBLINGUAL_SESSION: "Sublingual ketamine session",
    Service.ESKETAMINE_SESSION: "Esketamine session (supervised, 2 h observation)",
    Service.KETAMINE_DRUG: "Ketamine (drug, per unit)",
    Service.ESKETAMINE_DRUG: "Esketamine (drug, per mg)",
}
SERVICE_CHOICES = [(s.value, SERVICE_LABELS[s]) for s in Service]
REGION_CHOICES = sorted(
    {(key, g.region_label) for year in POVERTY_GUIDELINES.values() for key, g in year.items()}
)


class BillingProfile(models.Model):
    """What a superbill and a statement print about the clinic as a biller."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="billing_profile")
    billing_name = models.CharField(
        max_length=200, blank=True, help_text="The legal name claims are billed under."
    )
    npi = models.CharField("Group NPI", max_length=10, blank=True)
    tax_id = models.CharField("Tax ID (EIN)", max_length=10, blank=True)
    poverty_guideline_region = models.CharField(
        max_length=20, choices=REGION_CHOICES, default="contiguous"
    )
    authorisation_warning_days = models.PositiveSmallIntegerField(
        default=14, help_text="Warn this many days before a prior authorisation ends."
    )
    statement_message = models.TextField(
        blank=True, help_text="Printed on every patient statement (how to pay, whom to call)."
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class FeeScheduleItem(models.Model):
    """The clinic's price for one service, per unit. ``code`` is the clinic's code for services
    the clinical core does not code (consultation, follow-up, ...); a session's lines take their
    CPT/HCPCS codes from what happened in it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="fee_schedule")
    service = models.CharField(max_length=32, choices=SERVICE_CHOICES)
    code = models.CharField("CPT/HCPCS code", max_length=10, blank=True)
    description = models.CharField(max_length=200, blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["service"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "service"], name="fee_unique_service"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="fee_price_not_negative"),
        ]

    @property
    def label(self) -> str:
        return self.description or SERVICE_LABELS.get(self.service, self.service)


class Package(models.Model):
    """A prepaid bundle: ``sessions`` treatments of one route at ``price`` (e.g. six-infusion
    induction). A sold package is a ``PackagePurchase`` and keeps its own copy of these terms."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="packages")
    name = models.CharField(max_length=120)
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gte=1), name="package_has_sessions"),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
        ]


class SlidingScalePolicy(models.Model):
    """One version of the clinic's sliding-scale band table (clinic policy, §9.1). A change is a
    new version; assessments and charges name the version they used."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    bands = models.JSONField(help_text="SlidingScaleBand fields, lowest band first.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="sliding_policy_version")
        ]
