"""IM racemic ketamine: a dose in mg/kg or a fixed mg, refused above the clinic's maximum (the
reference gives none: a required setting)."""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError, positive_number
from ketacare.clinical.dosing.parameters import (
    DEFAULT_IBW_OFFER_BMI_KG_M2,
    IM_MAX_MG_PER_KG,
    IM_USUAL_RANGE,
    DosingWeightBasis,
    UsualRange,
)
from ketacare.clinical.dosing.refusals import DoseRefused, check_session_cap, mg_per_kg_refusal
from ketacare.clinical.dosing.rounding import (
    DEFAULT_ROUNDING,
    Rounding,
    is_above,
    round_half_up,
    round_not_above,
)
from ketacare.clinical.dosing.weight import BodyMeasurements, dosing_weight, weight_basis


@dataclass(frozen=True, kw_only=True)
class ImProtocol:
    """A clinic's IM protocol. ``max_mg_per_kg`` has no reference default: it must be set."""

    max_mg_per_kg: float | None = None  # required clinic setting; reference silent
    weight_basis: DosingWeightBasis = DosingWeightBasis.ACTUAL  # source: S9 (§1.3)
    usual_range: UsualRange = IM_USUAL_RANGE  # source: §1.2 [memory, verify]
    max_session_dose_mg: float | None = None  # optional clinic cap; reference silent
    ibw_offer_bmi_kg_m2: float = DEFAULT_IBW_OFFER_BMI_KG_M2  # source: S9
    adjusted_weight_factor: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_basis", weight_basis(self.weight_basis))
        if self.max_mg_per_kg is not None:
            IM_MAX_MG_PER_KG.validate(positive_number("IM maximum", self.max_mg_per_kg, "mg/kg"))
        if self.max_session_dose_mg is not None:
            positive_number("IM maximum dose per session", self.max_session_dose_mg, "mg")


@dataclass(frozen=True, kw_only=True)
class ImDose:
    """One IM injection. ``dose_mg`` is the total injected; ``dose_mg_per_kg`` is on the dosing
    weight (for a fixed-mg order it is derived: mg ÷ dosing weight). Excludes any other route."""

    dose_mg: float
    dose_mg_per_kg: float
    prescribed_as: str  # "mg_per_kg" or "fixed_mg"
    basis: DosingWeightBasis
    dosing_weight_kg: float
    concentration_mg_per_ml: float
    volume_ml: float
    max_mg_per_kg: float
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def im_dose(
    *,
    body: BodyMeasurements,
    concentration_mg_per_ml: float,
    protocol: ImProtocol,
    dose_mg_per_kg: float | None = None,
    fixed_dose_mg: float | None = None,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> ImDose:
    """Compute an IM dose from mg/kg or a fixed mg (exactly one); refuse above the maximum."""
    if (dose_mg_per_kg is None) == (fixed_dose_mg is None):
        raise ClinicalRuleError("An IM order gives either a dose in mg/kg or a fixed dose in mg.")
    maximum = IM_MAX_MG_PER_KG.resolve(protocol.max_mg_per_kg)
    concentration = positive_number("Concentration", concentration_mg_per_ml, "mg/mL")
    weight = dosing_weight(
        body=body,
        basis=protocol.weight_basis,
        ibw_offer_bmi_kg_m2=protocol.ibw_offer_bmi_kg_m2,
        adjusted_factor=protocol.adjusted_weight_factor,
    )
    if dose_mg_per_kg is not None:
        mg_per_kg = positive_number("IM dose", dose_mg_per_kg, "mg/kg")
        exact_mg = mg_per_kg * weight.weight_kg
    else:
        exact_mg = positive_number("IM dose", float(fixed_dose_mg or 0.0), "mg")
        mg_per_kg = exact_mg / weight.weight_kg
    if is_above(mg_per_kg, maximum):
        raise mg_per_kg_refusal(round_half_up(mg_per_kg, 0.01), maximum, "IM", "clinic setting")
    check_session_cap(exact_mg, protocol.max_session_dose_mg, "IM")
    cap_mg = maximum * weight.weight_kg
    if protocol.max_session_dose_mg is not None:
        cap_mg = min(cap_mg, protocol.max_session_dose_mg)
    dose_mg = round_not_above(exact_mg, rounding.dose_mg, cap_mg)
    if dose_mg <= 0:
        raise DoseRefused(f"The dose rounds to 0 mg at a {rounding.dose_mg:g} mg step.")
    warnings = list(weight.warnings)
    usual = protocol.usual_range.warning(round_half_up(mg_per_kg, 0.01), what="IM dose")
    if usual is not None:
        warnings.append(usual)
    return ImDose(
        dose_mg=dose_mg,
        dose_mg_per_kg=round_half_up(mg_per_kg, 0.01) if fixed_dose_mg is not None else mg_per_kg,
        prescribed_as="mg_per_kg" if dose_mg_per_kg is not None else "fixed_mg",
        basis=weight.basis,
        dosing_weight_kg=round_half_up(weight.weight_kg, rounding.weight_kg),
        concentration_mg_per_ml=concentration,
        volume_ml=round_not_above(
            exact_mg / concentration, rounding.volume_ml, cap_mg / concentration
        ),
        max_mg_per_kg=maximum,
        warnings=tuple(warnings),
        sources=("S1", "§1.2"),
    )
