"""Public listings of clinics, the checks that verify them, and consultation requests."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from ketacare.core.models import Clinic, Organisation
from ketacare.directory.rules import CHECK_LABELS, CheckKind

NEVER_EXPIRES = dt.date(9999, 12, 31)


class Listing(models.Model):
    """A clinic's public profile. Nothing is public until published; a network may add a listing
    by hand for a clinic that is not on Ketacare (``clinic`` empty)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    clinic = models.OneToOneField(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="listing"
    )
    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    address_line1 = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True, help_text="Where consultation requests are sent.")
    website = models.URLField(blank=True)
    opening_hours = models.TextField(blank=True, help_text="One line per day or range.")
    routes = models.JSONField(default=list, blank=True)
    indications = models.JSONField(default=list, blank=True)
    price_ranges = models.JSONField(
        default=list, blank=True, help_text='[{"service": ..., "low": 400, "high": 800}] in USD'
    )
    sliding_scale = models.BooleanField(default=False)
    insurance_accepted = models.JSONField(default=list, blank=True)
    bills_esketamine_to_insurance = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True)
    accessibility = models.CharField(max_length=300, blank=True)
    telehealth_consultations = models.BooleanField(default=False)
    show_next_available = models.BooleanField(
        default=False, help_text="Show the next free new-patient consultation from the schedule."
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # The last day every required check is valid (NEVER_EXPIRES when none expires); None when a
    # check is missing or expired. Recomputed whenever a check is recorded.
    verified_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["published", "state"])]

    def __str__(self) -> str:
        return self.name

    def is_verified(self, today: dt.date) -> bool:
        return self.verified_until is not None and self.verified_until >= today

    # What the clinic's own records say (its fee schedule, its calendar), attached by
    # ``selectors.with_clinic_facts`` for one read and never stored; the listing's own fields
    # are what a clinic without those records (or a listing added by hand) shows.
    @property
    def _facts(self) -> dict:
        return getattr(self, "clinic_facts", None) or {}

    @property
    def prices_from_fee_schedule(self) -> bool:
        return bool(self._facts.get("price_ranges"))

    @property
    def shown_price_ranges(self) -> list[dict]:
        return list(self._facts.get("price_ranges") or self.price_ranges)

    @property
    def shown_sliding_scale(self) -> bool:
        return self.sliding_scale or bool(self._facts.get("sliding_scale"))

    @property
    def next_available(self) -> dt.datetime | None:
        """The next free new-patient consultation, for a clinic that opted in."""
        return self._facts.get("next_available") if self.show_next_available else None

    @property
    def offers_esketamine(self) -> bool:
        return "esketamine_nasal" in (self.routes or [])


class VerificationCheck(models.Model):
    """One document seen by a network administrator. Checks are never edited: a renewal or a
    correction is a new check (the latest of each kind counts)."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="checks")
    kind = models.CharField(max_length=30, choices=[(k.value, v) for k, v in CHECK_LABELS.items()])
    identifier = models.CharField(max_length=60, help_text="Licence, DEA or NPI number.")
    issuing_state = models.CharField(max_length=2, blank=True)
    holder = models.CharField(max_length=200, help_text="Whose document it is.")
    evidence = models.CharField(max_length=300, help_text="What was seen, and where.")
    covers_schedule_iii = models.BooleanField(
        default=False, help_text="DEA registration: the schedules seen include III."
    )
    expires_on = models.DateField(null=True, blank=True)
    verified_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-verified_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identifier}"

    @property
    def check_kind(self) -> CheckKind:
        return CheckKind(self.kind)

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            raise ValueError("A verification check is never edited: record a new one.")
        super().save(*args, **kwargs)


class ConsultationRequest(models.Model):
    """A request for a consultation sent from a public profile: a lead for the clinic."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        REGISTERED = "registered", "Registered as a patient"
        CLOSED = "closed", "Closed"

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="requests")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_contact = models.CharField(max_length=10, default="email")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()
    source_digest = models.CharField(max_length=64, db_index=True)  # keyed hash of the address
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["listing", "created_at"])]
