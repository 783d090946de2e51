"""Organisations (networks), clinics, chairs, staff and their roles, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketacare.core import tokens
from ketacare.core.roles import PRESCRIBER_CREDENTIALS, Credential, Role


def validate_time_zone(value: str) -> None:
    from ketacare.core.time_zones import is_time_zone, unknown_time_zone_message

    if not is_time_zone(value):
        raise ValidationError(unknown_time_zone_message(value))


class User(AbstractUser):
    """A person who logs in: staff (through memberships) or a patient (through the portal)."""

    email = models.EmailField("e-mail", blank=True)

    @property
    def is_patient_account(self) -> bool:
        return hasattr(self, "patient_profile")


class Organisation(models.Model):
    """A network of clinics; a network-level medical director may see across its clinics."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    mrn_prefix = models.CharField(
        "MRN prefix", max_length=8, help_text="Letters that start this clinic's MRNs."
    )
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    require_two_factor = models.BooleanField(
        default=False, help_text="Staff must confirm a TOTP code at every login."
    )
    next_mrn = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Chair(models.Model):
    """A treatment chair or room: the unit a session occupies."""

    class Kind(models.TextChoices):
        CHAIR = "chair", "Treatment chair"
        ROOM = "room", "Treatment room"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="chairs")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHAIR)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="chair_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic})"


class StaffMembership(models.Model):
    """A staff role at one clinic, or network-wide when ``clinic`` is empty.

    Only medical directors hold network-wide memberships: they see every clinic of the network.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    credential = models.CharField(max_length=8, choices=Credential.choices, blank=True)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    active = models.BooleanField(default=True)
    npi = models.CharField("NPI", max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "clinic"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(clinic__isnull=False) | Q(role="medical_director"),
                name="network_membership_is_medical_director",
            ),
        ]

    def clean(self) -> None:
        if self.role == Role.PRESCRIBER and self.credential not in PRESCRIBER_CREDENTIALS:
            raise ValidationError(
                {"credential": "A prescriber needs an MD, DO, NP, PA or CRNA credential."}
            )
        if self.clinic_id and self.clinic.organisation_id != self.organisation_id:
            raise ValidationError({"clinic": "The clinic belongs to another organisation."})

    @property
    def is_network_wide(self) -> bool:
        return self.clinic_id is None

    def __str__(self) -> str:
        where = self.clinic.name if self.clinic_id else f"all of {self.organisation}"
        return f"{self.user} — {self.get_role_display()} at {where}"


class StaffInvitation(models.Model):
    """An invitation e-mailed to a new staff member: the roles (and credential) they will hold at
    one clinic — or network-wide, for an organisation's medical director — once they set their
    password from the one-time link. Only the token's SHA-256 is stored; re-sending replaces it
    (the earlier link stops working)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    email = models.EmailField("e-mail")
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    roles = models.JSONField(help_text='Role values, e.g. ["nurse"].')
    credential = models.CharField(max_length=8, choices=Credential.choices, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "email"])]

    @property
    def is_pending(self) -> bool:
        return self.used_at is None and self.cancelled_at is None

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.clinic or self.organisation}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once. It acts
    with its user's roles, narrowed to its scopes (``ketacare.core.tokens``), until it expires."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    # "read,write,admin", and the FHIR server's "patient/*.read,user/*.read,system/*.read"
    scopes = models.CharField(max_length=120, default="read")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def scope_list(self) -> tuple[str, ...]:
        return tuple(self.scopes.split(","))

    @classmethod
    def issue(
        cls,
        *,
        user: User,
        name: str,
        scopes: tuple[str, ...] = tokens.DEFAULT_SCOPES,
        expires_in_days: int = tokens.DEFAULT_LIFETIME_DAYS,
        at: dt.datetime | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token with ``scopes`` (read only unless asked), valid ``expires_in_days``."""
        scopes = tokens.parse_scopes(",".join(scopes))
        expires_at = tokens.expiry(issued_at=at or timezone.now(), days=expires_in_days)
        token = "kc_" + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            name=name,
            token_sha256=cls.digest(token),
            scopes=",".join(scopes),
            expires_at=expires_at,
        )
        return row, token


class DemoMarker(models.Model):
    """Present only in a database loaded by ``ketacare demo``; production refuses to serve it."""

    created_at = models.DateTimeField(auto_now_add=True)
    seed = models.IntegerField()
    patients = models.PositiveIntegerField()


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (or a form's one-time token),
    replayed when the same caller sends the same request again (``ketacare.core.idempotency``).
    Kept for a day; it may hold patient data, so only the caller that made it can replay it."""

    principal = models.CharField(max_length=80)  # "token:<sha256>" or "session:<sha256>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # method, path and body, normalised
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")
        ]


class SignInThrottle(models.Model):
    """Failed sign-ins of one account from one client (``ketacare.core.lockout``): a browser that
    signed in before (its device cookie), an address, or every unknown client of the account."""

    key = models.CharField(max_length=64, unique=True)  # SHA-256 of username and client
    username = models.CharField(max_length=150, db_index=True)  # as typed, lower-cased
    client = models.CharField(max_length=80)  # "device", "ip:10.0.0.7", "unknown devices"
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)
