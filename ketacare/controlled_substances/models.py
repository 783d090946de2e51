"""The Schedule III controlled-substance ledger: registrations, products, lots, storage locations,
append-only entries, counts and what follows a discrepancy.

Nothing here is edited or deleted once written: ``save`` refuses a change and ``delete`` always
refuses (``LedgerImmutable``); the database refuses UPDATE and DELETE on the ledger's tables as
well (triggers, migration 0002), and each clinic's entries form a SHA-256 hash chain that
``ketacare ledger_verify`` walks. Corrections and resolutions are new rows that reference what
they correct or resolve. Arithmetic and rules: ``ketacare.clinical.controlled_substances``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ketacare.clinical.controlled_substances import EntryKind, ProductForm
from ketacare.clinical.controlled_substances import Product as ProductSpec
from ketacare.core.errors import Refused
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.sessions.models import TreatmentSession

USER = settings.AUTH_USER_MODEL
MG_FIELD = {"max_digits": 14, "decimal_places": 2}
UNITS_FIELD = {"max_digits": 16, "decimal_places": 4}


class LedgerImmutable(Refused):
    """A change to a controlled-substance record; corrections are new entries."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Controlled-substance records cannot be changed or deleted; record a correction."
        )


class AppendOnly(models.Model):
    """A row written once: later saves and every delete refuse."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable()


class DeaRegistration(AppendOnly):
    """A clinic's DEA registration; a renewal is a new row (the latest expiry is in force)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    number = models.CharField("DEA number", max_length=9)
    schedules = models.JSONField(help_text='Schedules covered, e.g. ["II", "III", "IV", "V"].')
    name = models.CharField("registrant name", max_length=200)
    address = models.TextField("registered address")
    expires_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-expires_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "number", "expires_on"], name="cs_registration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"DEA {self.number} (expires {self.expires_on:%Y-%m-%d})"


class Product(models.Model):
    """A stocked product: strength and package never change once stocked (only ``active``)."""

    class Form(models.TextChoices):
        VIAL = ProductForm.VIAL.value, "Vial (injectable solution)"
        NASAL_DEVICE = ProductForm.NASAL_DEVICE.value, "Nasal spray device"
        TABLET = ProductForm.TABLET.value, "Sublingual tablet, troche or lozenge"

    FIXED_FIELDS = ("clinic_id", "substance", "ndc", "form", "mg_per_unit", "units_per_container")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200, help_text="As on the label.")
    substance = models.CharField(max_length=40, help_text="ketamine or esketamine")
    ndc = models.CharField("NDC", max_length=20)
    form = models.CharField(max_length=20, choices=Form.choices)
    mg_per_unit = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        help_text="mg per mL for a vial (its concentration); mg per device or tablet.",
    )
    units_per_container = models.DecimalField(
        max_digits=10, decimal_places=4, help_text="mL in one vial; devices or tablets in a pack."
    )
    package = models.CharField(max_length=200, help_text="e.g. 10 mL multi-dose vial")
    schedule = models.CharField(max_length=4, default="III")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["substance", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "ndc"], name="cs_product_ndc")]

    def __str__(self) -> str:
        return f"{self.name} ({self.package})"

    @property
    def spec(self) -> ProductSpec:
        return ProductSpec(ProductForm(self.form), self.mg_per_unit, self.units_per_container)

    @property
    def unit(self) -> str:
        return self.spec.unit.value

    @property
    def strength(self) -> str:
        per = "mL" if self.form == self.Form.VIAL else self.spec.unit.value
        return f"{self.mg_per_unit.normalize():f} mg/{per}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values(*self.FIXED_FIELDS).first()
            if stored and any(stored[f] != getattr(self, f) for f in self.FIXED_FIELDS):
                raise LedgerImmutable("A product's strength and package cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable()


class Lot(AppendOnly):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField("lot number", max_length=60)
    expires_on = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_on", "number"]
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="cs_lot_unique")]

    def __str__(self) -> str:
        return f"lot {self.number} (exp. {self.expires_on:%Y-%m-%d})"


class StorageLocation(models.Model):
    """Where stock is kept: the safe, a medication cart."""

    class Kind(models.TextChoices):
        SAFE = "safe", "Safe"
        CART = "cart", "Medication cart"
        OTHER = "other", "Other locked storage"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="cs_location_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args, **kwargs):
        raise LedgerImmutable()


class LedgerHead(models.Model):
    """One row per clinic, locked while appending: entries are chained and checked in order."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class LedgerEntry(AppendOnly):
    """One entry. ``quantity_*`` is the amount as recorded (positive); ``change_*`` its signed
    effect on the stock (product lot at location); ``balance_*`` that stock's balance after it.
    The hash covers every field and the previous entry's hash."""

    KIND_CHOICES = [(k.value, k.value.replace("_", " ").capitalize()) for k in EntryKind]

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=24, choices=KIND_CHOICES)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    quantity_mg = models.DecimalField(**MG_FIELD)
    quantity_units = models.DecimalField(**UNITS_FIELD)
    change_mg = models.DecimalField(**MG_FIELD)
    change_units = models.DecimalField(**UNITS_FIELD)
    balance_mg = models.DecimalField(**MG_FIELD)
    balance_units = models.DecimalField(**UNITS_FIELD)
    occurred_at = models.DateTimeField(help_text="When it actually happened (received, given).")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    of_entry = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispositions",
        help_text="The administration whose rest this wastes or returns; the transfer out that "
        "this transfer in receives.",
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_address = models.TextField(blank=True)
    counterparty_dea_number = models.CharField(max_length=9, blank=True)
    document_reference = models.CharField(
        max_length=100, blank=True, help_text="Invoice or packing slip, Form 41 or Form 106 no."
    )
    witness = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_witness = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_at = models.DateTimeField(null=True, blank=True)
    discrepancy = models.ForeignKey(
        "Discrepancy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["clinic", "sequence"]
        indexes = [
            models.Index(fields=["clinic", "product", "lot", "location", "sequence"]),
            models.Index(fields=["clinic", "occurred_at"]),
            models.Index(fields=["session"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "sequence"], name="cs_entry_sequence"),
            models.CheckConstraint(
                condition=Q(quantity_mg__gt=0, quantity_units__gt=0), name="cs_entry_positive"
            ),
            models.CheckConstraint(
                condition=Q(balance_mg__gte=0, balance_units__gte=0),
                name="cs_entry_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="waste")
                | (Q(witness__isnull=False, of_entry__isnull=False) & ~Q(witness=F("recorded_by"))),
                name="cs_waste_witnessed",
            ),
            models.CheckConstraint(
                condition=~Q(kind="destruction")
                | Q(witness__isnull=False, second_witness__isnull=False),
                name="cs_destruction_two_witnesses",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["administration", "dispense"]) | Q(patient__isnull=False),
                name="cs_given_to_a_patient",
            ),
            models.CheckConstraint(
                condition=~Q(kind="correction") | Q(corrects__isnull=False),
                name="cs_correction_names_its_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_kind_display()} {self.quantity_mg} mg"


class Count(AppendOnly):
    """A count of one location (opening or closing, per shift or day), or an inventory of every
    location (initial, biennial)."""

    class Kind(models.TextChoices):
        OPENING = "opening", "Opening count"
        CLOSING = "closing", "Closing count"
        INITIAL_INVENTORY = "initial_inventory", "Initial inventory"
        BIENNIAL_INVENTORY = "biennial_inventory", "Biennial inventory"

    class Period(models.TextChoices):
        SHIFT = "shift", "Shift"
        DAY = "day", "Day"

    INVENTORY_KINDS = ("initial_inventory", "biennial_inventory")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.DAY)
    location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    at_ledger_sequence = models.PositiveBigIntegerField(
        help_text="The last ledger entry the derived balances include."
    )

    class Meta:
        ordering = ["-counted_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "kind", "counted_at"])]

    @property
    def is_inventory(self) -> bool:
        return self.kind in self.INVENTORY_KINDS


class CountLine(AppendOnly):
    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    sealed_containers = models.PositiveIntegerField()
    opened_units = models.DecimalField(**UNITS_FIELD)
    counted_mg = models.DecimalField(**MG_FIELD)
    counted_units = models.DecimalField(**UNITS_FIELD)
    derived_mg = models.DecimalField(**MG_FIELD)
    derived_units = models.DecimalField(**UNITS_FIELD)
    estimated = models.BooleanField()
    within_tolerance = models.BooleanField()

    class Meta:
        ordering = ["count", "pk"]

    @property
    def difference_mg(self):
        return self.counted_mg - self.derived_mg

    @property
    def difference_units(self):
        return self.counted_units - self.derived_units


class Discrepancy(AppendOnly):
    """Counted ≠ derived: open until the medical director resolves it with an explanation."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    difference_mg = models.DecimalField(**MG_FIELD)
    difference_units = models.DecimalField(**UNITS_FIELD)
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-pk"]

    @property
    def is_open(self) -> bool:
        return not hasattr(self, "resolution")


class DiscrepancyResolution(AppendOnly):
    class Finding(models.TextChoices):
        RECORDING_ERROR = "recording_error", "Recording or counting error (explained)"
        LOSS = "loss", "Loss, not significant"
        THEFT_OR_SIGNIFICANT_LOSS = "significant_loss", "Theft or significant loss (Form 106)"

    discrepancy = models.OneToOneField(
        Discrepancy, on_delete=models.PROTECT, related_name="resolution"
    )
    finding = models.CharField(max_length=20, choices=Finding.choices)
    explanation = models.TextField()
    resolved_at = models.DateTimeField()
    resolved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")


class LossReport(AppendOnly):
    """A theft or significant loss: the DEA steps and deadlines run from its discovery."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    discrepancy = models.OneToOneField(
        Discrepancy, null=True, blank=True, on_delete=models.PROTECT, related_name="loss_report"
    )
    discovered_on = models.DateField()
    description = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-discovered_on", "-pk"]


class LossReportStep(AppendOnly):
    """A step of a loss report done (notice sent, Form 106 completed), with its reference."""

    report = models.ForeignKey(LossReport, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(max_length=40)
    done_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["done_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["report", "step"], name="cs_loss_step_once")]
