"""Sublingual and oral racemic ketamine: a fixed mg per session (tablets or troches, or a
solution), refused above the clinic's maximum (the reference gives none: a required setting)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ketacare.clinical.common import ClinicalRuleError, positive_number
from ketacare.clinical.dosing.parameters import (
    ORAL_USUAL_RANGE_MG,
    ORAL_USUAL_RANGE_MG_PER_KG,
    SUBLINGUAL_HOME_USUAL_RANGE_MG,
    TRANSMUCOSAL_MAX_SESSION_DOSE_MG,
    UsualRange,
)
from ketacare.clinical.dosing.refusals import DoseRefused
from ketacare.clinical.dosing.rounding import (
    DEFAULT_ROUNDING,
    Rounding,
    is_above,
    round_half_up,
    round_not_above,
)


class TransmucosalRoute(enum.StrEnum):
    SUBLINGUAL = "sublingual"
    ORAL = "oral"


@dataclass(frozen=True, kw_only=True)
class TransmucosalProtocol:
    """A sublingual or oral protocol. ``max_session_dose_mg`` has no reference default."""

    key: str
    route: TransmucosalRoute
    max_session_dose_mg: float | None = None  # required clinic setting; reference silent
    usual_range_mg: UsualRange | None = None
    usual_range_mg_per_kg: UsualRange | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", TransmucosalRoute(self.route))
        if self.max_session_dose_mg is not None:
            TRANSMUCOSAL_MAX_SESSION_DOSE_MG.validate(
                positive_number("Maximum dose per session", self.max_session_dose_mg, "mg")
            )


SUBLINGUAL_CLINIC_PROTOCOL: Final = TransmucosalProtocol(
    key="sublingual-clinic",
    route=TransmucosalRoute.SUBLINGUAL,
    note=(
        "Lara 2013: very-low-dose 10 mg from a 100 mg/mL solution, held 5 min then swallowed; "
        "SL bioavailability ≈ 30 % (S33). No usual range in the reference."
    ),
)
SUBLINGUAL_HOME_PROTOCOL: Final = TransmucosalProtocol(
    key="sublingual-home",
    route=TransmucosalRoute.SUBLINGUAL,
    usual_range_mg=SUBLINGUAL_HOME_USUAL_RANGE_MG,
    note="At-home telehealth tablets/troches (S34); dose levels unverified.",
)
ORAL_PROTOCOL: Final = TransmucosalProtocol(
    key="oral",
    route=TransmucosalRoute.ORAL,
    usual_range_mg=ORAL_USUAL_RANGE_MG,
    usual_range_mg_per_kg=ORAL_USUAL_RANGE_MG_PER_KG,
    note="Oral bioavailability ≈ 17–25 % (S32, S115); ~2.0–2.5 mg/kg oral ≈ IV (S32).",
)


@dataclass(frozen=True, kw_only=True)
class TransmucosalDose:
    """One sublingual or oral session. ``dose_mg`` is the total for the session (tablets or troches:
    strength × count; solution: as ordered) as administered, not the absorbed amount."""

    route: TransmucosalRoute
    dose_mg: float
    unit_strength_mg: float | None
    unit_count: int | None
    concentration_mg_per_ml: float | None
    volume_ml: float | None
    dose_mg_per_kg: float | None
    max_session_dose_mg: float
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def transmucosal_dose(
    *,
    protocol: TransmucosalProtocol,
    unit_strength_mg: float | None = None,
    unit_count: int | None = None,
    dose_mg: float | None = None,
    concentration_mg_per_ml: float | None = None,
    weight_kg: float | None = None,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> TransmucosalDose:
    """A sublingual/oral session dose: tablets (strength × count) or a solution dose in mg."""
    by_units = unit_strength_mg is not None or unit_count is not None
    if by_units == (dose_mg is not None):
        raise ClinicalRuleError(
            "Give either a tablet/troche strength and count, or a dose in mg (solution)."
        )
    maximum = TRANSMUCOSAL_MAX_SESSION_DOSE_MG.resolve(protocol.max_session_dose_mg)
    if by_units:
        strength = positive_number("Tablet/troche strength", float(unit_strength_mg or 0.0), "mg")
        if isinstance(unit_count, bool) or not isinstance(unit_count, int) or unit_count < 1:
            raise ClinicalRuleError(f"Tablet/troche count must be a whole number ≥ 1: {unit_count}")
        exact_mg = strength * unit_count
    else:
        exact_mg = positive_number("Dose", float(dose_mg or 0.0), "mg")
    if is_above(exact_mg, maximum):
        raise DoseRefused(
            f"{protocol.route.value.capitalize()} dose {exact_mg:g} mg is above the clinic's "
            f"maximum of {maximum:g} mg per session. Lower the dose, or ask the medical director "
            "to review the protocol."
        )
    warnings: list[str] = []
    what = f"{protocol.route.value.capitalize()} dose"
    if protocol.usual_range_mg is not None:
        warning = protocol.usual_range_mg.warning(exact_mg, what=what)
        warnings += [warning] if warning else []
    mg_per_kg = None
    if weight_kg is not None:
        mg_per_kg = exact_mg / positive_number("Weight", weight_kg, "kg")
        if protocol.usual_range_mg_per_kg is not None:
            rounded_mg_per_kg = round_half_up(mg_per_kg, 0.01)
            warning = protocol.usual_range_mg_per_kg.warning(rounded_mg_per_kg, what=what)
            warnings += [warning] if warning else []
    volume = None
    if concentration_mg_per_ml is not None:
        concentration = positive_number("Concentration", concentration_mg_per_ml, "mg/mL")
        volume = round_not_above(
            exact_mg / concentration, rounding.volume_ml, maximum / concentration
        )
    sources = {TransmucosalRoute.SUBLINGUAL: ("S33", "S34"), TransmucosalRoute.ORAL: ("S32",)}
    return TransmucosalDose(
        route=protocol.route,
        dose_mg=round_not_above(exact_mg, rounding.dose_mg, maximum),
        unit_strength_mg=float(unit_strength_mg) if unit_strength_mg is not None else None,
        unit_count=unit_count,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=volume,
        dose_mg_per_kg=None if mg_per_kg is None else round_half_up(mg_per_kg, 0.01),
        max_session_dose_mg=maximum,
        warnings=tuple(warnings),
        notes=(protocol.note,) if protocol.note else (),
        sources=sources[protocol.route],
    )
