"""Counts: counted against derived, the opened-container rule (S121), discrepancies."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from ketacare.clinical.common import ConfigurableDefault
from ketacare.clinical.controlled_substances.quantities import Product, Quantity, decimal
from ketacare.clinical.controlled_substances.sources import (
    CLINIC_SETTING,
    OPENED_CONTAINER_EXACT_ABOVE_UNITS,
    UNITS,
    LedgerRefused,
)


class CountMethod(StrEnum):
    EXACT = "exact"
    ESTIMATE = "estimate"


def opened_container_method(product: Product) -> CountMethod:
    """An opened CIII container may be estimated, unless it holds more than 1,000 units, which
    are counted exactly (source: S121). Sealed containers are always counted exactly."""
    if product.units_per_container > OPENED_CONTAINER_EXACT_ABOVE_UNITS:
        return CountMethod.EXACT
    return CountMethod.ESTIMATE


COUNT_TOLERANCE_ML: Final = ConfigurableDefault[float](
    "estimate_tolerance_ml",
    "Difference allowed between an opened vial's estimated volume and the ledger",
    None,
    "mL",
    CLINIC_SETTING,
    0,
    10,
)


@dataclass(frozen=True)
class CountFinding:
    """One stock counted against its derived balance. ``difference`` is counted − derived
    (negative: missing). Within tolerance only when an opened container was estimated."""

    stock: Hashable
    derived: Quantity
    counted: Quantity
    estimated: bool
    within_tolerance: bool

    @property
    def difference(self) -> Quantity:
        return self.counted - self.derived

    @property
    def is_discrepancy(self) -> bool:
        return not self.difference.is_zero and not self.within_tolerance

    @property
    def is_shortage(self) -> bool:
        return self.difference.units < 0


def evaluate_count(
    product: Product,
    *,
    stock: Hashable,
    derived: Quantity,
    sealed_containers: object,
    opened_units: object = 0,
    tolerance_units: object = None,
) -> CountFinding:
    """Count one stock: whole sealed containers counted exactly plus what opened containers
    hold (estimated when the opened-container rule allows it, S121). Any difference is a
    discrepancy, except an estimate within the clinic's tolerance; with no tolerance set, none
    is allowed (the safer reading)."""
    sealed = decimal("sealed_containers", sealed_containers)
    opened = decimal("opened_units", opened_units)
    if sealed < 0 or sealed != sealed.to_integral():
        raise LedgerRefused("Count sealed containers as a whole number, zero or more")
    if opened < 0:
        raise LedgerRefused("What opened containers hold cannot be negative")
    if product.counted_whole and opened != opened.to_integral():
        raise LedgerRefused(f"Count {product.unit}s one by one")
    units = (sealed * product.units_per_container + opened).quantize(UNITS, ROUND_HALF_UP)
    counted = Quantity(product.mg_of(units), units)
    estimated = opened > 0 and opened_container_method(product) is CountMethod.ESTIMATE
    tolerance = Decimal(0) if tolerance_units is None else decimal("tolerance", tolerance_units)
    within = estimated and abs(counted.units - derived.units) <= tolerance
    return CountFinding(stock, derived, counted, estimated, within)
