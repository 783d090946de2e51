"""Writes of a clinic's billing policy: billing details, prices, packages, sliding-scale bands.

Policy changes apply to charges made after them; charges already made keep what they were made
with. Each write is audited with its before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from ketacare.audit.services import RequestOrigin, audit_record, diff, snapshot
from ketacare.billing.identifiers import ein_clean, npi_clean
from ketacare.billing.models import (
    BillingProfile,
    FeeScheduleItem,
    Package,
    SlidingScalePolicy,
)
from ketacare.billing.models.setup import REGION_CHOICES
from ketacare.clinical.billing import Service, SlidingScaleBand, SlidingScaleTable, money
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.models import Clinic

PROFILE_FIELDS = (
    "billing_name",
    "npi",
    "tax_id",
    "poverty_guideline_region",
    "authorisation_warning_days",
    "statement_message",
)


def decimal_of(value: Any, field: str, what: str) -> Decimal:
    """A form or JSON value as a Decimal amount of dollars, or Invalid naming ``field``."""
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip().replace(",", "").removeprefix("$"))
        except (InvalidOperation, ValueError):
            raise Invalid.field(field, f"Enter {what} in dollars, e.g. 550.00.") from None
    try:
        return money(number, what.capitalize())
    except ClinicalRuleError as refused:
        raise Invalid.field(field, str(refused)) from None


def _audit(origin, at, clinic, object_type, object_id, summary, changes) -> None:
    audit_record(origin=origin, action="update", object_type=object_type, object_id=object_id,
                 clinic_id=clinic.pk, summary=summary, changes=changes, at=at)


def billing_profile_of(clinic: Clinic) -> BillingProfile:
    """The clinic's billing details; an unsaved blank profile until someone sets them."""
    profile = BillingProfile.objects.filter(clinic=clinic).first()
    return profile or BillingProfile(clinic=clinic)


@transaction.atomic
def billing_profile_update(
    *, clinic: Clinic, values: Mapping[str, Any], origin: RequestOrigin, at: dt.datetime
) -> BillingProfile:
    """Set the clinic's billing name, NPI, tax ID, guideline region and statement wording."""
    profile = BillingProfile.objects.select_for_update().filter(clinic=clinic).first()
    profile = profile or BillingProfile(clinic=clinic, updated_at=at)
    before = snapshot(profile, PROFILE_FIELDS) if profile.pk else {}
    clean = {
        "billing_name": str(values.get("billing_name", "")).strip()[:200],
        "npi": npi_clean(str(values.get("npi", ""))),
        "tax_id": ein_clean(str(values.get("tax_id", ""))),
        "poverty_guideline_region": str(values.get("poverty_guideline_region") or "contiguous"),
        "statement_message": str(values.get("statement_message", "")).strip()[:2000],
    }
    if clean["poverty_guideline_region"] not in dict(REGION_CHOICES):
        raise Invalid.field("poverty_guideline_region", "Choose the region of the guideline.")
    try:
        days = int(values.get("authorisation_warning_days", 14))
    except (TypeError, ValueError):
        days = -1
    if not 0 <= days <= 365:
        raise Invalid.field("authorisation_warning_days", "Enter 0 to 365 days.")
    clean["authorisation_warning_days"] = days
    for key, value in clean.items():
        setattr(profile, key, value)
    profile.updated_at, profile.updated_by = at, origin.actor
    profile.save()
    _audit(origin, at, clinic, "billing_profile", profile.pk, "Billing details updated",
           diff(before, snapshot(profile, PROFILE_FIELDS)))
    return profile


@transaction.atomic
def fee_set(
    *,
    clinic: Clinic,
    service: str,
    unit_price: Decimal,
    code: str = "",
    description: str = "",
    active: bool = True,
    origin: RequestOrigin,
    at: dt.datetime,
) -> FeeScheduleItem:
    """Price one service per unit (and its code where the core gives none)."""
    try:
        service = Service(service).value
    except ValueError:
        raise Invalid.field("service",
                            f"{service!r} is not a service of the fee schedule.") from None
    price = decimal_of(unit_price, "unit_price", "the price")
    code = (code or "").strip().upper()
    if code and not (code.isalnum() and 4 <= len(code) <= 7):
        raise Invalid.field("code", "A CPT/HCPCS code is 5 letters or digits, e.g. 99214.")
    item = FeeScheduleItem.objects.select_for_update().filter(clinic=clinic, service=service)
    item = item.first() or FeeScheduleItem(clinic=clinic, service=service)
    before = snapshot(item, ("unit_price", "code", "description", "active")) if item.pk else {}
    item.unit_price, item.code = price, code
    item.description, item.active = (description or "").strip()[:200], bool(active)
    item.updated_at, item.updated_by = at, origin.actor
    item.save()
    _audit(origin, at, clinic, "fee_schedule_item", item.pk, f"Fee for {service} set",
           diff(before, snapshot(item, ("unit_price", "code", "description", "active"))))
    return item


def fee_schedule_prices(clinic: Clinic) -> dict[Service, Decimal]:
    """The active prices a charge is made with."""
    return {
        Service(item.service): item.unit_price
        for item in FeeScheduleItem.objects.filter(clinic=clinic, active=True)
    }


@transaction.atomic
def package_save(
    *,
    clinic: Clinic,
    name: str,
    route: str,
    sessions: int,
    price: Decimal,
    active: bool = True,
    package: Package | None = None,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Package:
    """Create or change a package. Packages already sold keep the terms they were sold with."""
    name = (name or "").strip()
    if not name:
        raise Invalid.field("name", "Name the package, e.g. Six-infusion induction.")
    try:
        route = Route(route).value
    except ValueError:
        raise Invalid.field("route",
                            "Choose the route whose sessions the package covers.") from None
    if isinstance(sessions, bool) or not isinstance(sessions, int) or not 1 <= sessions <= 100:
        raise Invalid.field("sessions", "A package covers 1 to 100 sessions.")
    amount = decimal_of(price, "price", "the package price")
    if package is not None and package.clinic_id != clinic.pk:
        raise NotFound("No such package at this clinic.")
    row = package or Package(clinic=clinic, created_at=at, created_by=origin.actor)
    before = snapshot(row, ("name", "route", "sessions", "price", "active")) if row.pk else {}
    row.name, row.route, row.sessions, row.price, row.active = name, route, sessions, amount, active
    row.save()
    _audit(origin, at, clinic, "package", row.pk, f"Package ‘{name}’ saved",
           diff(before, snapshot(row, ("name", "route", "sessions", "price", "active"))))
    return row


def bands_of(rows: Sequence[Mapping[str, Any]]) -> SlidingScaleTable:
    """A band table from stored or submitted rows, validated by the core (one message listing
    every problem)."""
    bands = []
    for number, row in enumerate(rows, 1):
        def number_or_none(key: str, *, row=row, number=number) -> Decimal | None:
            raw = row.get(key)
            if raw in (None, ""):
                return None
            try:
                return Decimal(str(raw))
            except InvalidOperation:
                what = key.replace("_", " ")
                raise Invalid.field(f"bands.{number}.{key}",
                                    f"Band {number}: {what} must be a number.") from None

        fixed = number_or_none("fixed_fee")
        bands.append(SlidingScaleBand(
            label=str(row.get("label", "")).strip(),
            above_percent=number_or_none("above_percent") or Decimal(0),
            up_to_percent=number_or_none("up_to_percent"),
            discount_percent=number_or_none("discount_percent"),
            fixed_fee=fixed,
        ))
    return SlidingScaleTable(tuple(bands))


def band_rows(table: SlidingScaleTable) -> list[dict[str, str | None]]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return [
        {"label": b.label, "above_percent": text(b.above_percent),
         "up_to_percent": text(b.up_to_percent), "discount_percent": text(b.discount_percent),
         "fixed_fee": text(b.fixed_fee)}
        for b in table.bands
    ]


@transaction.atomic
def sliding_scale_policy_set(
    *, clinic: Clinic, bands: Sequence[Mapping[str, Any]], origin: RequestOrigin, at: dt.datetime
) -> SlidingScalePolicy:
    """A new version of the clinic's band table (earlier versions stay, as charges name them)."""
    table = bands_of(bands)
    latest = SlidingScalePolicy.objects.select_for_update().filter(clinic=clinic)
    version = (latest.aggregate(v=Max("version"))["v"] or 0) + 1
    policy = SlidingScalePolicy.objects.create(
        clinic=clinic, version=version, bands=band_rows(table), created_at=at,
        created_by=origin.actor,
    )
    audit_record(origin=origin, action="create", object_type="sliding_scale_policy",
                 object_id=policy.pk, clinic_id=clinic.pk,
                 summary=f"Sliding-scale bands version {version}",
                 changes={"bands": policy.bands}, at=at)
    return policy


def sliding_scale_policy_current(clinic: Clinic) -> SlidingScalePolicy | None:
    return SlidingScalePolicy.objects.filter(clinic=clinic).order_by("-version").first()
