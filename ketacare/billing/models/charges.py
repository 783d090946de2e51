"""Charges: what a visit costs, made from what happened, reviewed by billing, then posted.

needs attention (the lines could not be made; the problem says why) → to review → posted, or
voided before posting. A posted charge never changes: it is on the ledger, and a correction is an
adjustment. Each line keeps its codes, units, list price and the discount that applied, with the
explanation the statement prints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.billing.models.account import PackagePurchase, SlidingScaleAssessment
from ketacare.billing.models.setup import SERVICE_CHOICES
from ketacare.core.errors import Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.sessions.models import TreatmentSession

_USER = settings.AUTH_USER_MODEL


class Charge(models.Model):
    class Status(models.TextChoices):
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        TO_REVIEW = "to_review", "To review"
        POSTED = "posted", "Posted"
        VOIDED = "voided", "Voided"

    class Source(models.TextChoices):
        SESSION = "session", "Signed treatment session"
        MANUAL = "manual", "Entered by billing"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    problem = models.TextField(blank=True, help_text="Why the lines could not be made.")
    date_of_service = models.DateField()
    diagnosis_codes = models.JSONField(default=list, blank=True)
    rendering_provider = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sliding_scale = models.ForeignKey(
        SlidingScaleAssessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    package_purchase = models.ForeignKey(
        PackagePurchase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drawdowns",
    )
    package_session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    explanation = models.CharField(
        max_length=400, blank=True, help_text="The discount as the statement explains it."
    )
    list_total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    discount_total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    review_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-date_of_service", "-pk"]
        indexes = [models.Index(fields=["clinic", "status", "date_of_service"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="posted") | Q(posted_at__isnull=False),
                name="charge_posted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | ~Q(void_reason=""),
                name="charge_voided_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("list_total") - models.F("discount_total")),
                name="charge_total_is_list_less_discount",
            ),
        ]

    @property
    def ledger_reference(self) -> str:
        return f"C{self.pk}"

    @property
    def is_open(self) -> bool:
        """Still billing's to change: not yet posted or voided."""
        return self.status in (self.Status.NEEDS_ATTENTION, self.Status.TO_REVIEW)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in (self.Status.POSTED, self.Status.VOIDED):
                raise Refused(
                    f"Charge {self.pk} is {stored} and cannot change; post an adjustment instead."
                )
        super().save(*args, **kwargs)


class ChargeLine(models.Model):
    """One billed service: codes and units, the list amount, the discount, and the fee."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    service = models.CharField(max_length=32, choices=SERVICE_CHOICES)
    code = models.CharField("CPT/HCPCS code", max_length=10, blank=True)
    units = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    code_verified = models.BooleanField(
        default=True, help_text="False where the reference marks the code [memory, verify]."
    )
    code_source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["charge", "position"], name="charge_line_position"),
            models.CheckConstraint(
                condition=Q(fee=models.F("amount") - models.F("discount")),
                name="charge_line_fee_is_amount_less_discount",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="charge_line_discount"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="charge_line_fee_not_negative"),
        ]
