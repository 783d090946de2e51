"""What the billing pages share: the acting context, dates from forms, a fresh form key, and
the forms posted from the patient's account page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ketacare.billing import selectors
from ketacare.core.actions import Action, action
from ketacare.core.errors import Invalid
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability


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


# records one thing on a patient's account and says what it recorded: (request, act, patient) -> str
AccountRecorder = Callable[[HttpRequest, Action, object], str]


def account_form(capability: Capability) -> Callable[[AccountRecorder], Callable]:
    """A form posted from the patient's account page (POST only, needs ``capability``).

    The decorated function records with ``(request, act, patient)`` and returns the message to
    show; the account page then shows it, or shows the refusal instead."""

    def decorator(record: AccountRecorder) -> Callable[..., HttpResponse]:
        @form_post(capability, flash_back(back_to_account))
        @wraps(record)
        def view(request: HttpRequest, patient_id: int) -> HttpResponse:
            act = action(request)
            patient = selectors.patient_for_billing(act.access, patient_id)
            messages.success(request, record(request, act, patient))
            return redirect("billing:account", patient_id=patient_id)

        return view

    return decorator


def period(request: HttpRequest, act: Action) -> tuple[dt.date, dt.date]:
    """``from``/``to`` of a document link; the current month to today by default."""
    ends_on = date_field(request, "to", default=today(act), source=request.GET)
    starts_on = date_field(request, "from", default=ends_on.replace(day=1), source=request.GET)
    if starts_on > ends_on:
        raise Invalid.field("from", "The period starts after it ends.")
    return starts_on, ends_on


ZERO = Decimal("0.00")
