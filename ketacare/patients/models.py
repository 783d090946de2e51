"""The patient registry and the versioned clinical intake."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketacare.core.links import link_digest
from ketacare.core.models import Clinic


class Patient(models.Model):
    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=20)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    preferred_pharmacy = models.CharField(max_length=200, blank=True)
    insurance_payer = models.CharField(max_length=120, blank=True)
    insurance_member_id = models.CharField(max_length=60, blank=True)
    insurance_group_number = models.CharField(max_length=60, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_profile",
    )
    # Set when a medical director merged this record into another (the same person): it
    # leaves the registry's lists but keeps everything; undoing the merge clears it.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Lower-cased copies for fast, index-backed, case-insensitive search on every database.
    search_last_name = models.CharField(max_length=100, editable=False, db_index=True)
    search_first_name = models.CharField(max_length=100, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_unique_mrn")]
        indexes = [
            models.Index(fields=["clinic", "search_last_name", "search_first_name"]),
            models.Index(fields=["clinic", "date_of_birth"]),
            # Matches Meta.ordering so a registry page reads 25 rows instead of sorting the clinic.
            models.Index(fields=["clinic", "last_name", "first_name", "id"]),
        ]

    def save(self, *args, **kwargs):
        self.search_last_name = self.last_name.lower()
        self.search_first_name = self.first_name.lower()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.last_name}, {self.first_name} ({self.preferred_name})"
        return f"{self.last_name}, {self.first_name}"

    def __str__(self) -> str:
        return f"{self.display_name} — {self.mrn}"


class IntakeVersion(models.Model):
    """One version of a patient's clinical intake. Versions are never overwritten: a change is a
    new version; signing stamps a submitted version once and then it is frozen."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Awaiting review"
        SIGNED = "signed", "Signed"

    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        PATIENT = "patient", "Completed by the patient"
        DEMO = "demo", "Demo data"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intake_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    source = models.CharField(max_length=10, choices=Source.choices)
    data = models.JSONField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["patient", "-number"]
        indexes = [models.Index(fields=["status", "created_at"])]  # "awaiting signature" lists
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="intake_unique_version"),
            models.CheckConstraint(
                condition=Q(status="submitted")
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="intake_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake v{self.number} for {self.patient}"


class IntakeLink(models.Model):
    """A one-time, expiring link e-mailed to a patient to complete the intake questionnaire.

    Only a hash of the token is stored, so a database dump cannot be used to open links.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="intake_links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField()

    @staticmethod
    def digest(token: str) -> str:
        return link_digest(token)


class PortalInvitation(models.Model):
    """A one-time, expiring link e-mailed to a patient to activate their portal account.

    Re-sending makes a new link and retires the earlier ones (``superseded_at``). Only a hash of
    the token is stored.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="portal_invitations"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_to = models.EmailField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def digest(token: str) -> str:
        return link_digest(token)


class KioskSession(models.Model):
    """A tablet handed to the patient in the clinic: started by a staff member, it shows only
    the patient's own portal (consent, questionnaires, intake) and ends at a locked screen."""

    class EndReason(models.TextChoices):
        FINISHED = "finished", "The patient finished"
        IDLE = "idle", "Left idle"
        REPLACED = "replaced", "Another kiosk session started on the device"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="kiosk_sessions")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    def __str__(self) -> str:
        return f"Kiosk for {self.patient} from {self.started_at:%Y-%m-%d %H:%M}"


class PatientMerge(models.Model):
    """A medical director's merge of a duplicate record into the one that stays. Append-only:
    undoing it is an addendum on the same row (who, when, why), never a deletion."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_in")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_out")
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    filled = models.JSONField(
        default=dict, help_text="Contact fields the survivor lacked, copied from the duplicate."
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at"]
