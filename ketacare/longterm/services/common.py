"""Helpers every long-term safety write shares."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ketacare.audit.services import audit_record
from ketacare.core.actions import Actor
from ketacare.core.errors import Forbidden, Invalid


def audited(origin, action, kind, obj, patient, summary, at, changes=None) -> None:
    audit_record(
        origin=origin,
        action=action,
        object_type=kind,
        object_id=obj.pk,
        patient=patient,
        summary=summary,
        changes=changes,
        at=at,
    )


def required_text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid.field(field, f"Write {what}")
    return value


def decimal_of(value, field: str, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, f"Give {what} as a number") from None
    if not number.is_finite():
        raise Invalid.field(field, f"Give {what} as a number")
    return number


def require_prescriber(actor: Actor, what: str) -> None:
    if not actor.is_prescriber:
        raise Forbidden(f"Only a prescriber may {what}.")
