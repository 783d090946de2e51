"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditError(Exception):
    """An attempt to change or remove an audit entry."""


class AuditEntry(models.Model):
    """One recorded event, sealed with a keyed hash (HMAC-SHA256, the key is not in the database)
    over its content and the previous entry's seal in the same chain, so any edit, deletion or
    reordering breaks the chain; anchors written outside the database after each commit make
    deleting the newest entries, or restoring an older copy, detectable too
    (``ketacare audit_verify``).

    ``sequence`` orders entries across the whole trail (unique, may have gaps); ``chain`` and
    ``position`` place the entry in one chain (no gaps): each clinic appends to a few chains
    ("lanes") of its own so that audited requests do not wait for each other.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        VIEW = "view", "View"
        SIGN = "sign", "Sign"
        LOGIN = "login", "Log in"
        LOGIN_FAILED = "login_failed", "Failed log in"
        LOGOUT = "logout", "Log out"
        EXPORT = "export", "Export"
        SEND = "send", "Send"
        DENIED = "denied", "Refused"

    sequence = models.PositiveBigIntegerField(unique=True)
    chain = models.CharField(max_length=40)
    position = models.PositiveBigIntegerField()
    key_id = models.CharField(max_length=16, blank=True)  # "" = unkeyed SHA-256 (before keys)
    at = models.DateTimeField(db_index=True)
    # The id stays as recorded (it is sealed): never nulled, never a constraint that blocks
    # removing a user; actor_label keeps the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["patient_id", "sequence"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="audit_entry_chain_position")
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditError("Audit entries are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditError("Audit entries are append-only and cannot be deleted.")


class AuditChainHead(models.Model):
    """The newest entry of one chain, locked while appending to it. A scope (one clinic, or
    ``system`` for entries without a clinic) has several lanes; an append takes a lane no other
    transaction holds, so appends of concurrent requests never queue behind each other."""

    chain = models.CharField(max_length=40, unique=True)  # "<scope>/<lane>"
    scope = models.CharField(max_length=32)
    lane = models.PositiveSmallIntegerField(default=0)
    last_position = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "lane"], name="audit_head_scope_lane")
        ]
