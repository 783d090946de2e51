"""Rounding of reported numbers: once, at the end, half-up to a step, never above a cap.

Arithmetic is done unrounded. Before rounding, a value is read to 12 significant digits so binary
noise (0.35 × 70 = 24.499999999999996) cannot flip a half-up decision. A dose or drug volume is
never rounded above the protocol maximum: if rounding to the nearest step would cross it, the
value is rounded down instead.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final

from ketacare.clinical.common import ClinicalRuleError


@dataclass(frozen=True)
class Rounding:
    """Steps each reported number is rounded to, half-up, once at the end of the calculation.

    ``dose_mg`` 0.1 mg (use 1.0 to round to whole mg), ``volume_ml`` 0.01 mL (drug and bag
    volumes), ``rate_ml_per_h`` 0.1 mL/h (pump rate), ``weight_kg`` 0.1 kg (displayed weights and
    BMI only: the dose is computed from the unrounded weight, so a hand check from the displayed
    weight can differ by one dose step).
    """

    dose_mg: float = 0.1
    volume_ml: float = 0.01
    rate_ml_per_h: float = 0.1
    weight_kg: float = 0.1

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            step = getattr(self, item.name)
            if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
                raise ClinicalRuleError(f"Rounding step {item.name} must be positive, got {step}")


DEFAULT_ROUNDING: Final = Rounding()


def to_decimal(value: float) -> Decimal:
    """The value read to 12 significant digits, which drops binary floating-point noise."""
    return Decimal(f"{value:.12g}")


def round_half_up(value: float, step: float) -> float:
    """Round ``value`` to the nearest multiple of ``step``; exact halves go up (36.65 → 36.7)."""
    step_d = to_decimal(step)
    return float((to_decimal(value) / step_d).to_integral_value(rounding=ROUND_HALF_UP) * step_d)


def round_not_above(value: float, step: float, cap: float | None) -> float:
    """Round half-up, except never above ``cap`` (then round down to the step below the cap)."""
    rounded = round_half_up(value, step)
    if cap is not None and to_decimal(rounded) > to_decimal(cap):
        step_d = to_decimal(step)
        return float((to_decimal(cap) / step_d).to_integral_value(rounding=ROUND_FLOOR) * step_d)
    return rounded


def maybe_round(value: float | None, step: float) -> float | None:
    return None if value is None else round_half_up(value, step)


def is_above(value: float, limit: float) -> bool:
    """``value`` > ``limit`` once both are read to 12 significant digits (no binary noise)."""
    return to_decimal(value) > to_decimal(limit)
