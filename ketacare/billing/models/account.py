"""A patient's account: its append-only ledger, the payments and refunds behind it, prepaid
packages, and the household assessments the sliding scale reads.

The ledger is the truth of what the patient owes: ``LedgerEntry`` rows are written once and
never changed or deleted (a mistake is corrected by another entry). Their running balance is
computed by ``ketacare.clinical.patient_account``. ``reference`` is unique per account, so a
retried post finds its entry instead of writing a second one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.billing.models.setup import REGION_CHOICES, Package, SlidingScalePolicy
from ketacare.clinical.patient_account import EntryKind
from ketacare.core.errors import Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.models import ROUTE_CHOICES

_USER = settings.AUTH_USER_MODEL


class Account(models.Model):
    """One per patient: the row every ledger write locks, and account-level billing facts."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="+")
    medicare_primary = models.BooleanField(
        default=False, help_text="Medicare is the primary payer (changes the esketamine drug code)."
    )
    created_at = models.DateTimeField()


class Payment(models.Model):
    """Money received for the patient. Only a succeeded payment is on the ledger. Cards are never
    typed here: a card payment names the terminal receipt, an online one the provider's ids."""

    class Method(models.TextChoices):
        CARD = "card", "Card (terminal)"
        CASH = "cash", "Cash"
        CHECK = "check", "Check"
        HSA_FSA = "hsa_fsa", "HSA/FSA card"
        INSURANCE = "insurance", "Insurance"
        ONLINE_CARD = "online_card", "Card online"

    class Purpose(models.TextChoices):
        PAYMENT = "payment", "Payment"
        DEPOSIT = "deposit", "Deposit"
        PACKAGE = "package", "Package prepayment"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the card provider"
        SUCCEEDED = "succeeded", "Received"
        FAILED = "failed", "Failed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=12, choices=Method.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.PAYMENT)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices)
    received_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(
        max_length=80, blank=True, help_text="Check number, terminal receipt, remittance number."
    )
    payer = models.CharField(max_length=120, blank=True, help_text="Who paid, if not the patient.")
    note = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=80)
    provider = models.CharField(max_length=20, blank=True)
    provider_checkout_id = models.CharField(max_length=120, blank=True)
    provider_checkout_url = models.URLField(max_length=500, blank=True)
    provider_payment_id = models.CharField(max_length=120, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "idempotency_key"], name="payment_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(received_at__isnull=False),
                name="payment_received_has_time",
            ),
        ]

    @property
    def ledger_reference(self) -> str:
        return f"P{self.pk}"


class Refund(models.Model):
    """Money returned on one payment, never more than is left of it (the ledger refuses)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=300)
    refunded_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=80)
    provider_refund_id = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-refunded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "idempotency_key"], name="refund_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    @property
    def ledger_reference(self) -> str:
        return f"R{self.pk}"


class PackagePurchase(models.Model):
    """A package sold to a patient, with the terms as sold, paid by its prepayment."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    name = models.CharField(max_length=120)
    route = models.CharField(max_length=24, choices=ROUTE_CHOICES)
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="package_purchase"
    )
    purchased_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-purchased_at", "-pk"]


class LedgerEntry(models.Model):
    """One posted entry of a patient account: written once, never changed or deleted."""

    KIND_CHOICES = [(k.value, k.value.capitalize()) for k in EntryKind]

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    refunds_payment = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=300)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    charge = models.OneToOneField(
        "billing.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )

    class Meta:
        ordering = ["posted_at", "pk"]
        indexes = [models.Index(fields=["clinic", "posted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "reference"], name="ledger_reference"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise Refused("A posted ledger entry cannot change; post a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Refused("A posted ledger entry cannot be deleted; post a correcting entry instead.")


class SlidingScaleAssessment(models.Model):
    """A household's income as seen, the guideline year used, and the band it gave. Never
    changed: a re-evaluation (at least yearly) is a new assessment."""

    class Proof(models.TextChoices):
        TAX_RETURN = "tax_return", "Tax return"
        PAY_STUBS = "pay_stubs", "Recent pay stubs"
        BENEFITS_LETTER = "benefits_letter", "Benefits award letter"
        EMPLOYER_LETTER = "employer_letter", "Employer letter"
        SELF_ATTESTATION = "self_attestation", "Signed self-attestation"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    household_size = models.PositiveSmallIntegerField()
    annual_income = models.DecimalField(max_digits=12, decimal_places=2)
    proof = models.CharField(max_length=20, choices=Proof.choices)
    proof_note = models.CharField(max_length=300, blank=True)
    guideline_year = models.PositiveSmallIntegerField()
    region = models.CharField(max_length=20, choices=REGION_CHOICES)
    fpl_percent = models.DecimalField(max_digits=8, decimal_places=2)
    policy = models.ForeignKey(SlidingScalePolicy, on_delete=models.PROTECT, related_name="+")
    band_label = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    assessed_on = models.DateField()
    valid_until = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("assessed_on")),
                name="sliding_assessment_valid_after_assessed",
            )
        ]
