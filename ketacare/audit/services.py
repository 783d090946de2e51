"""Writing to and verifying the audit trail. Every patient-data write calls ``audit_record``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from ketacare.audit.models import AuditChainHead, AuditEntry

# Never written to the trail, whatever a caller passes.
SECRET_FIELD_MARKERS = ("password", "token", "secret", "card", "cvv", "iban", "account_number")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def redact(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ("[redacted]" if any(m in key.lower() for m in SECRET_FIELD_MARKERS) else _jsonable(v))
        for key, v in values.items()
    }


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` (foreign keys as ids), secrets redacted."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return redact({name: getattr(instance, name) for name in names})


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Only the fields that changed, as ``{field: {"before": x, "after": y}}``."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@dataclass(frozen=True)
class RequestOrigin:
    """Who acted and from where; built from a request or given for commands."""

    actor: Any = None
    actor_label: str = "system"
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> RequestOrigin:
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        from django.conf import settings

        forwarded = (
            request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.TRUST_X_FORWARDED_FOR else ""
        )
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        return cls(
            actor=user if authenticated else None,
            actor_label=user.get_username() if authenticated else "anonymous",
            ip_address=ip or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )

    @classmethod
    def system(cls, label: str = "system") -> RequestOrigin:
        return cls(actor_label=label)


def _entry_hash(previous_hash: str, content: dict[str, Any]) -> str:
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((previous_hash + payload).encode()).hexdigest()


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "ip_address": entry.ip_address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "clinic_id": entry.clinic_id,
        "patient_id": entry.patient_id,
        "summary": entry.summary,
        "changes": entry.changes,
    }


def audit_record(
    *,
    origin: RequestOrigin,
    action: str,
    object_type: str,
    object_id: object = "",
    clinic_id: int | None = None,
    patient_id: int | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction when there is one."""
    # Hash exactly what the database will give back: UTC time, JSON-normalised changes.
    moment = (at or timezone.now()).astimezone(dt.UTC)
    stored_changes = json.loads(json.dumps(redact(changes or {}), default=str))
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            sequence=head.last_sequence + 1,
            at=moment,
            actor=origin.actor,
            actor_label=origin.actor_label[:200],
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            clinic_id=clinic_id,
            patient_id=patient_id,
            summary=summary[:300],
            changes=stored_changes,
            previous_hash=head.last_hash,
        )
        entry.entry_hash = _entry_hash(entry.previous_hash, _content(entry))
        entry.save()
        head.last_sequence = entry.sequence
        head.last_hash = entry.entry_hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    problem: str


def audit_verify_chain(batch_size: int = 5000) -> Iterator[ChainBreak]:
    """Walk the whole chain in order and yield every place where it does not hold."""
    previous_hash = "0" * 64
    expected_sequence = 1
    queryset = AuditEntry.objects.order_by("sequence")
    for entry in queryset.iterator(chunk_size=batch_size):
        if entry.sequence != expected_sequence:
            yield ChainBreak(expected_sequence, f"entry {expected_sequence} is missing")
            expected_sequence = entry.sequence
        if entry.previous_hash != previous_hash:
            yield ChainBreak(entry.sequence, "does not follow the previous entry's hash")
        if _entry_hash(entry.previous_hash, _content(entry)) != entry.entry_hash:
            yield ChainBreak(entry.sequence, "content does not match its hash (altered)")
        previous_hash = entry.entry_hash
        expected_sequence += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.last_sequence != expected_sequence - 1:
        yield ChainBreak(head.last_sequence, "the newest entries are missing")
