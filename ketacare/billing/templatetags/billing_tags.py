"""``{{ amount|money }}`` ($1,234.50, −$12.00) with the core's formatting, and service labels."""

from __future__ import annotations

from decimal import Decimal

from django import template

from ketacare.billing.models import SERVICE_LABELS
from ketacare.clinical.billing import money_text

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return ""
    return money_text(Decimal(value).quantize(Decimal("0.01")))


@register.filter
def service_label(value: str) -> str:
    return SERVICE_LABELS.get(value, value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def signed_amount(entry) -> Decimal:
    """A ledger entry as it moves the balance (payments negative), by the core's sign rule."""
    from ketacare.clinical.patient_account import BALANCE_SIGN, EntryKind

    return BALANCE_SIGN[EntryKind(entry.kind)] * entry.amount


@register.filter
def per_session(price, sessions) -> Decimal:
    """The first session's share of a package price (``billing_allocation.split_evenly``)."""
    from ketacare.clinical.billing_allocation import package_session_price

    return package_session_price(package_price=Decimal(price), sessions=int(sessions),
                                 session_number=1)
