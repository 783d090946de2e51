"""What the public directory shows of a clinic's prices: the visits and packages of its fee
schedule, each as a range from the lowest fee of its sliding scale (when it has one) to the list
price. Per-unit add-ons (drug units, an infusion's additional hour) are not a visit's price and
are left out. Read in a fixed number of queries for any number of clinics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from ketacare.billing.models import FeeScheduleItem, Package, SlidingScalePolicy
from ketacare.billing.models.setup import SERVICE_LABELS
from ketacare.billing.services.setup import bands_of
from ketacare.clinical.billing import Service, SlidingScaleTable

PUBLIC_SERVICES = (
    Service.CONSULTATION,
    Service.IV_INFUSION,
    Service.IM_INJECTION,
    Service.SC_INJECTION,
    Service.ESKETAMINE_SESSION,
    Service.SUBLINGUAL_SESSION,
    Service.SUBLINGUAL_PROGRAMME,
    Service.ORAL_SESSION,
    Service.FOLLOW_UP,
    Service.INTEGRATION_THERAPY,
)


@dataclass(frozen=True)
class PublicPrices:
    """``ranges`` as the directory lists them: ``{"service", "low", "high"}`` in whole dollars."""

    ranges: tuple[dict[str, object], ...]
    sliding_scale: bool


def _dollars(amount: Decimal, rounding: str) -> int:
    return int(amount.to_integral_value(rounding=rounding))


def _range(label: str, price: Decimal, table: SlidingScaleTable | None) -> dict[str, object]:
    low = min((band.fee_for(price) for band in table.bands), default=price) if table else price
    # Whole dollars, rounded up: the directory never shows a fee below what is charged.
    return {
        "service": label,
        "low": _dollars(low, ROUND_CEILING),
        "high": _dollars(price, ROUND_CEILING),
    }


def public_prices(clinic_ids: Iterable[int]) -> dict[int, PublicPrices]:
    """Each clinic with an active public price, by id (a clinic without one is absent)."""
    ids = list(set(clinic_ids))
    if not ids:
        return {}
    tables: dict[int, SlidingScaleTable] = {}
    for policy in SlidingScalePolicy.objects.filter(clinic_id__in=ids).order_by(
        "clinic_id", "-version"
    ):
        if policy.clinic_id not in tables and policy.bands:
            tables[policy.clinic_id] = bands_of(policy.bands)
    ranges: dict[int, list[dict[str, object]]] = {}
    order = {service.value: n for n, service in enumerate(PUBLIC_SERVICES)}
    items = FeeScheduleItem.objects.filter(
        clinic_id__in=ids, active=True, service__in=list(order)
    ).values_list("clinic_id", "service", "unit_price")
    for clinic_id, service, price in sorted(items, key=lambda row: (row[0], order[row[1]])):
        label = SERVICE_LABELS[Service(service)]
        ranges.setdefault(clinic_id, []).append(_range(label, price, tables.get(clinic_id)))
    packages = Package.objects.filter(clinic_id__in=ids, active=True).order_by("clinic_id", "name")
    for clinic_id, name, price in packages.values_list("clinic_id", "name", "price"):
        # A package's price is its own: no sliding-scale range is promised for it.
        ranges.setdefault(clinic_id, []).append(_range(name, price, None))
    return {
        clinic_id: PublicPrices(tuple(rows), sliding_scale=clinic_id in tables)
        for clinic_id, rows in ranges.items()
    }
