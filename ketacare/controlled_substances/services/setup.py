"""What the ledger is kept for: the clinic's DEA registration, its products, lots and storage
locations. Registrations and lots are never edited (a renewal is a new registration); a
product's strength and package never change, it is only retired."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.controlled_substances import (
    SCHEDULE,
    LedgerRefused,
    ProductForm,
    check_registration,
)
from ketacare.clinical.controlled_substances import Product as ProductSpec
from ketacare.controlled_substances.models import DeaRegistration, Lot, Product, StorageLocation
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic

DEA_NUMBER = re.compile(r"^[A-Z]{2}\d{7}$")
SCHEDULES = ("II", "IIN", "III", "IIIN", "IV", "V")


def dea_number_valid(number: str) -> bool:
    """Two letters and seven digits whose last is the check digit: (d1+d3+d5) + 2×(d2+d4+d6)."""
    if not DEA_NUMBER.match(number):
        return False
    d = [int(c) for c in number[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def _audit(origin, at, clinic, object_type, row, summary, changes) -> None:
    audit_record(
        origin=origin,
        action="create",
        object_type=object_type,
        object_id=row.pk,
        clinic_id=clinic.pk,
        summary=summary,
        changes=changes,
        at=at,
    )


@transaction.atomic
def registration_record(
    *,
    clinic: Clinic,
    number: str,
    schedules: list[str],
    name: str,
    address: str,
    expires_on: dt.date,
    origin: RequestOrigin,
    at: dt.datetime,
) -> DeaRegistration:
    """Record the clinic's DEA registration (or its renewal: the latest expiry is in force)."""
    number = (number or "").strip().upper()
    if not dea_number_valid(number):
        raise Invalid.field(
            "number", "A DEA number is two letters and seven digits with a valid check digit"
        )
    unknown = sorted(set(schedules) - set(SCHEDULES))
    if unknown or not schedules:
        raise Invalid.field("schedules", f"Schedules are among {', '.join(SCHEDULES)}")
    if SCHEDULE not in schedules:
        raise Invalid.field("schedules", "Ketamine and esketamine need Schedule III")
    if not (name or "").strip() or not (address or "").strip():
        raise Invalid.field("name", "Give the registrant's name and address as registered")
    if expires_on <= at.date():
        raise Invalid.field("expires_on", "This registration has already expired")
    try:
        with transaction.atomic():
            row = DeaRegistration.objects.create(
                clinic=clinic,
                number=number,
                schedules=sorted(set(schedules), key=SCHEDULES.index),
                name=name.strip(),
                address=address.strip(),
                expires_on=expires_on,
                recorded_at=at,
                recorded_by=origin.actor,
            )
    except IntegrityError:
        raise Refused("This registration is already recorded") from None
    _audit(origin, at, clinic, "dea_registration", row, f"DEA registration {number}",
           {"number": number, "expires_on": expires_on, "schedules": row.schedules})  # fmt: skip
    return row


def registration_in_force(clinic: Clinic) -> DeaRegistration | None:
    return DeaRegistration.objects.filter(clinic=clinic).order_by("-expires_on", "-pk").first()


def require_registration(clinic: Clinic, *, on: dt.date) -> DeaRegistration:
    """The registration in force on ``on``; refused when there is none, it lapsed, or it does
    not cover Schedule III."""
    row = registration_in_force(clinic)
    check_registration(
        expires_on=row.expires_on if row else None,
        schedules=row.schedules if row else (),
        today=on,
    )
    return row


@transaction.atomic
def product_create(
    *,
    clinic: Clinic,
    name: str,
    substance: str,
    ndc: str,
    form: str,
    mg_per_unit: Decimal,
    units_per_container: Decimal,
    package: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Product:
    """A product the clinic stocks (checked by the core: positive strength, whole packs)."""
    if form not in ProductForm.__members__.values():
        raise Invalid.field("form", "The form is a vial, a nasal device or a tablet")
    try:
        ProductSpec(ProductForm(form), mg_per_unit, units_per_container)
    except LedgerRefused as wrong:
        raise Invalid.field("mg_per_unit", str(wrong)) from None
    ndc = (ndc or "").strip()
    if not re.fullmatch(r"\d{4,5}-\d{3,4}(-\d{1,2})?", ndc):
        raise Invalid.field("ndc", "An NDC is digits in groups, e.g. 50458-028 or 0409-2051-05")
    if not (name or "").strip() or not (package or "").strip():
        raise Invalid.field("name", "Give the product's name and package as on the label")
    try:
        with transaction.atomic():
            row = Product.objects.create(
                clinic=clinic,
                name=name.strip(),
                substance=(substance or "ketamine").strip().lower(),
                ndc=ndc,
                form=form,
                mg_per_unit=Decimal(str(mg_per_unit)),
                units_per_container=Decimal(str(units_per_container)),
                package=package.strip(),
                schedule=SCHEDULE,
                created_at=at,
            )
    except IntegrityError:
        raise Refused(f"A product with NDC {ndc} is already stocked here") from None
    _audit(origin, at, clinic, "controlled_product", row, f"Product {row}",
           {"ndc": ndc, "form": form, "mg_per_unit": row.mg_per_unit,
            "units_per_container": row.units_per_container})  # fmt: skip
    return row


@transaction.atomic
def location_create(
    *, clinic: Clinic, name: str, kind: str, origin: RequestOrigin, at: dt.datetime
) -> StorageLocation:
    name = (name or "").strip()
    if not name:
        raise Invalid.field("name", "Name the storage location (e.g. Safe, Cart 1)")
    if kind not in StorageLocation.Kind.values:
        raise Invalid.field("kind", "A location is a safe, a cart or other locked storage")
    row, created = StorageLocation.objects.get_or_create(
        clinic=clinic, name=name, defaults={"kind": kind}
    )
    if not created:
        raise Refused(f"There is already a location named {name}")
    _audit(origin, at, clinic, "storage_location", row, f"Storage location {name}", {"kind": kind})
    return row


def lot_for(*, product: Product, number: str, expires_on: dt.date | None, at: dt.datetime) -> Lot:
    """The product's lot of that number, created on its first receipt; its expiry must agree."""
    number = (number or "").strip()
    if not number:
        raise Invalid.field("lot_number", "Give the lot number as printed on the package")
    lot = Lot.objects.filter(product=product, number=number).first()
    if lot is not None:
        if expires_on is not None and expires_on != lot.expires_on:
            raise Invalid.field(
                "lot_expires_on",
                f"Lot {number} is recorded as expiring on {lot.expires_on:%Y-%m-%d}",
            )
        return lot
    if expires_on is None:
        raise Invalid.field("lot_expires_on", "Give the lot's expiry date")
    return Lot.objects.create(product=product, number=number, expires_on=expires_on, created_at=at)
