"""Writing to and verifying the audit trail. Every patient-data write calls ``audit_record``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from ketacare.audit.anchors import anchor_rollback
from ketacare.audit.batch import hold
from ketacare.audit.chain import append
from ketacare.audit.models import AuditChainHead, AuditEntry
from ketacare.audit.verify import ChainBreak, verify_trail

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

    def by_patient(self, patient: Any, link: str) -> RequestOrigin:
        """The patient acting through an e-mailed ``link`` (no one signed in), from this
        request's address: ``patient MRN (link)`` in the trail."""
        return RequestOrigin(
            actor=None,
            actor_label=f"patient {patient.mrn} ({link})",
            ip_address=self.ip_address,
            user_agent=self.user_agent,
        )


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
    record: Any = None,
    patient: Any = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction when there is one; a read
    (``action="view"``) during a request is appended with the request's other reads, before the
    answer leaves (``ketacare.audit.batch``).

    ``record=`` is what the entry is about when it belongs to one patient at one clinic: its id,
    clinic and patient (``object_id=record.pk``, ``record.clinic_id``, ``record.patient_id``).
    ``patient=`` is the patient it is about (``patient.clinic_id``, ``patient.pk``)."""
    if record is not None:
        object_id, clinic_id, patient_id = record.pk, record.clinic_id, record.patient_id
    if patient is not None:
        clinic_id, patient_id = patient.clinic_id, patient.pk
    # Hash exactly what the database will give back: UTC time, JSON-normalised changes.
    moment = (at or timezone.now()).astimezone(dt.UTC)
    stored_changes = json.loads(json.dumps(redact(changes or {}), default=str))
    entry = AuditEntry(
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
    )
    if action == "view" and hold(entry):
        return entry  # appended with the request's other reads before the answer leaves
    return append(entry)


def audit_trail_read(request, *, filters: dict[str, Any], shown: int, how: str) -> None:
    """Reading the trail is itself recorded: who searched it, for what, how much they saw."""
    access = request.access
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="audit_log",
        clinic_id=access.clinic.pk if access.clinic else None,
        summary=f"Searched the audit trail ({how}, {shown} entries shown)",
        changes={key: value for key, value in filters.items() if value not in ("", None)},
    )


def audit_verify_chain() -> Iterator[ChainBreak]:
    """Every break in the trail: seals, links, heads and the external anchors."""
    return iter(verify_trail().breaks)


def acknowledge_rollback(*, reason: str, origin_label: str) -> None:
    """After an older backup was restored on purpose: sign the current head of every chain into
    the anchors as the point the trail continues from, and record that in the trail itself."""
    heads = {
        chain: (position, seal)
        for chain, position, seal in AuditChainHead.objects.values_list(
            "chain", "last_position", "last_hash"
        )
        if position
    }
    anchor_rollback(heads, reason=reason)
    audit_record(
        origin=RequestOrigin.system(origin_label),
        action="update",
        object_type="audit_trail",
        summary=f"Rollback to an older copy acknowledged: {reason}"[:300],
        changes={"heads": {chain: position for chain, (position, _) in heads.items()}},
    )
