"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditError(Exception):
    """An attempt to change or remove an audit entry."""


class AuditEntry(models.Model):
    """One recorded event. Each entry's hash covers its content and the previous entry's hash,
    so any edit, deletion or reordering breaks the chain (``ketacare audit_verify``)."""

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

    sequence = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditError("Audit entries are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditError("Audit entries are append-only and cannot be deleted.")


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain in order."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
