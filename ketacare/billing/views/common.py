"""What the billing pages share: the acting context, dates from forms, a fresh form key."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.http import HttpRequest
from django.urls import reverse

from ketacare.core.actions import Action
from ketacare.core.errors import Invalid


def today(act: Action) -> dt.date:
    return act.at.astimezone(act.clinic.zone).date()


def form_key() -> str:
    """A new idempotency key per rendered form: a double submit posts it twice, and the second
    finds what the first made."""
    return uuid.uuid4().hex


def date_field(request: HttpRequest, name: str, *, default: dt.date | None = None,
               source=None) -> dt.date | None:
    raw = ((source if source is not None else request.POST).get(name) or "").strip()
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid.field(name, "Enter the date as YYYY-MM-DD.") from None


def int_field(request: HttpRequest, name: str, *, required: bool = True) -> int | None:
    raw = (request.POST.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid.field(name, "Enter a whole number.") from None


def back_to_account(request: HttpRequest, patient_id: int, *args, **kwargs) -> str:
    return reverse("billing:account", args=[patient_id])


def period(request: HttpRequest, act: Action) -> tuple[dt.date, dt.date]:
    """``from``/``to`` of a document link; the current month to today by default."""
    ends_on = date_field(request, "to", default=today(act), source=request.GET)
    starts_on = date_field(request, "from", default=ends_on.replace(day=1), source=request.GET)
    if starts_on > ends_on:
        raise Invalid.field("from", "The period starts after it ends.")
    return starts_on, ends_on


ZERO = Decimal("0.00")
