"""Products and quantities: an amount in mg and in the product's own unit (mL, device, tablet)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from ketacare.clinical.common import Route
from ketacare.clinical.controlled_substances.sources import (
    ESKETAMINE_MG_PER_DEVICE,
    MG,
    UNITS,
    LedgerRefused,
)


class ProductForm(StrEnum):
    VIAL = "vial"  # injectable solution, measured in mL
    NASAL_DEVICE = "nasal_device"  # single-use device, counted per device
    TABLET = "tablet"  # sublingual tablet, troche or lozenge, counted per unit


class Unit(StrEnum):
    ML = "mL"
    DEVICE = "device"
    TABLET = "tablet"


UNIT_OF_FORM: Final = {
    ProductForm.VIAL: Unit.ML,
    ProductForm.NASAL_DEVICE: Unit.DEVICE,
    ProductForm.TABLET: Unit.TABLET,
}
# Which products serve a route: injections and infusions from vials, esketamine from devices.
FORMS_FOR_ROUTE: Final = {
    Route.RACEMIC_IV: ProductForm.VIAL,
    Route.RACEMIC_IM: ProductForm.VIAL,
    Route.RACEMIC_SC: ProductForm.VIAL,
    Route.ESKETAMINE_NASAL: ProductForm.NASAL_DEVICE,
    Route.RACEMIC_SUBLINGUAL: ProductForm.TABLET,
    Route.RACEMIC_ORAL: ProductForm.TABLET,
}


def decimal(name: str, value: object) -> Decimal:
    """``value`` as a finite Decimal (floats through their shortest text), or LedgerRefused."""
    if isinstance(value, bool):
        raise LedgerRefused(f"{name} must be a number, got {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise LedgerRefused(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise LedgerRefused(f"{name} must be a finite number, got {value!r}")
    return number


@dataclass(frozen=True)
class Quantity:
    """An amount in mg and in the product's unit; signed when it is a change to a balance."""

    mg: Decimal
    units: Decimal

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.mg + other.mg, self.units + other.units)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.mg - other.mg, self.units - other.units)

    def __neg__(self) -> Quantity:
        return Quantity(-self.mg, -self.units)

    def scaled(self, sign: int) -> Quantity:
        return Quantity(self.mg * sign, self.units * sign)

    @property
    def is_negative(self) -> bool:
        return self.mg < 0 or self.units < 0

    @property
    def is_zero(self) -> bool:
        return self.mg == 0 and self.units == 0


ZERO: Final = Quantity(Decimal(0), Decimal(0))


@dataclass(frozen=True)
class Product:
    """A stocked product. ``mg_per_unit`` is a vial's concentration (mg/mL) or the mg in one
    device or tablet; ``units_per_container`` the mL in one vial, or devices/tablets in a pack."""

    form: ProductForm
    mg_per_unit: Decimal
    units_per_container: Decimal

    def __post_init__(self) -> None:
        for name in ("mg_per_unit", "units_per_container"):
            value = decimal(name, getattr(self, name))
            if value <= 0:
                raise LedgerRefused(f"The product's {name.replace('_', ' ')} must be positive")
            object.__setattr__(self, name, value)
        if (
            self.counted_whole
            and self.units_per_container != self.units_per_container.to_integral()
        ):
            raise LedgerRefused("A pack holds a whole number of devices or tablets")

    @property
    def unit(self) -> Unit:
        return UNIT_OF_FORM[self.form]

    @property
    def counted_whole(self) -> bool:
        """Devices and tablets are counted one by one; a vial's solution is measured in mL."""
        return self.form is not ProductForm.VIAL

    def mg_of(self, units: Decimal) -> Decimal:
        return (units * self.mg_per_unit).quantize(MG, ROUND_HALF_UP)

    def units_of(self, mg: Decimal) -> Decimal:
        return (mg / self.mg_per_unit).quantize(UNITS, ROUND_HALF_UP)

    def containers(self, units: Decimal) -> Decimal:
        return units / self.units_per_container


ESKETAMINE_DEVICE: Final = Product(ProductForm.NASAL_DEVICE, ESKETAMINE_MG_PER_DEVICE, Decimal(1))


def quantity(
    product: Product,
    *,
    mg: object = None,
    units: object = None,
    containers: object = None,
    part_units: bool = False,
) -> Quantity:
    """A positive amount from exactly one of mg, units or whole containers. Devices and tablets
    come in whole units (``part_units`` allows the rest of a partly used one, for waste only);
    mg given for a vial must be measurable at 0.0001 mL."""
    given = [
        (n, v)
        for n, v in (("mg", mg), ("units", units), ("containers", containers))
        if v is not None
    ]
    if len(given) != 1:
        raise LedgerRefused("Give the amount once: in mg, in the product's units or in containers")
    name, raw = given[0]
    value = decimal(name, raw)
    if value <= 0:
        raise LedgerRefused(f"The amount must be more than zero, got {value} {name}")
    if name == "containers":
        if value != value.to_integral():
            raise LedgerRefused("Receive, transfer or return whole containers (vials, packs)")
        units_value = value * product.units_per_container
    elif name == "units":
        units_value = value.quantize(UNITS, ROUND_HALF_UP)
        if units_value != value:
            raise LedgerRefused(f"{value} {product.unit} is finer than the ledger records (0.0001)")
    else:
        units_value = product.units_of(value)
        if product.mg_of(units_value) != value.quantize(
            MG, ROUND_HALF_UP
        ) or value != value.quantize(MG):
            raise LedgerRefused(
                f"{value} mg is not a measurable amount of this product "
                f"({product.mg_per_unit:g} mg per {product.unit}); give it in {product.unit}"
            )
    if product.counted_whole and not part_units and units_value != units_value.to_integral():
        raise LedgerRefused(
            f"{product.form.replace('_', ' ').capitalize()}s are recorded one by one: "
            f"{units_value.normalize()} {product.unit}s is not a whole number "
            f"({product.mg_per_unit:g} mg each)"
        )
    return Quantity(product.mg_of(units_value), units_value)
