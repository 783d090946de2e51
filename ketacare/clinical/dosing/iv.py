"""IV racemic ketamine (depression): the mg total, what to draw up, and the pump rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ketacare.clinical.anthropometrics import ADJUSTED_BODY_WEIGHT_FACTOR
from ketacare.clinical.common import ClinicalRuleError, positive_number
from ketacare.clinical.dosing.parameters import (
    DEFAULT_IBW_OFFER_BMI_KG_M2,
    DEFAULT_IV_INFUSION_MINUTES,
    DEFAULT_IV_MAX_MG_PER_KG,
    DEFAULT_IV_STANDARD_MG_PER_KG,
    IBW_OFFER_BMI_KG_M2,
    IV_INFUSION_MINUTES,
    IV_MAX_MG_PER_KG,
    IV_STANDARD_MG_PER_KG,
    IV_USUAL_RANGE,
    DosingWeightBasis,
    UsualRange,
)
from ketacare.clinical.dosing.refusals import DoseRefused, check_session_cap, mg_per_kg_refusal
from ketacare.clinical.dosing.rounding import (
    DEFAULT_ROUNDING,
    Rounding,
    is_above,
    maybe_round,
    round_half_up,
    round_not_above,
)
from ketacare.clinical.dosing.weight import BodyMeasurements, dosing_weight, weight_basis


@dataclass(frozen=True, kw_only=True)
class IvProtocol:
    """A clinic's IV protocol; every value is checked against the reference bounds on creation."""

    weight_basis: DosingWeightBasis = DosingWeightBasis.ACTUAL  # source: S9 (§1.3)
    max_mg_per_kg: float = DEFAULT_IV_MAX_MG_PER_KG  # source: S1, S4
    standard_mg_per_kg: float = DEFAULT_IV_STANDARD_MG_PER_KG  # source: S1, S2, S3
    usual_range: UsualRange = IV_USUAL_RANGE  # source: S1
    infusion_minutes: float = DEFAULT_IV_INFUSION_MINUTES  # source: S1, S2
    max_session_dose_mg: float | None = None  # optional clinic cap; reference silent
    ibw_offer_bmi_kg_m2: float = DEFAULT_IBW_OFFER_BMI_KG_M2  # source: S9
    adjusted_weight_factor: float | None = None  # None: reference default 0.4 (unverified)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_basis", weight_basis(self.weight_basis))
        IV_MAX_MG_PER_KG.validate(positive_number("IV maximum", self.max_mg_per_kg, "mg/kg"))
        IV_STANDARD_MG_PER_KG.validate(
            positive_number("Standard dose", self.standard_mg_per_kg, "mg/kg")
        )
        IV_INFUSION_MINUTES.validate(float(self.infusion_minutes))
        IBW_OFFER_BMI_KG_M2.validate(
            positive_number("BMI threshold", self.ibw_offer_bmi_kg_m2, "kg/m²")
        )
        if self.adjusted_weight_factor is not None:
            ADJUSTED_BODY_WEIGHT_FACTOR.validate(self.adjusted_weight_factor)
        if self.max_session_dose_mg is not None:
            positive_number("IV maximum dose per session", self.max_session_dose_mg, "mg")
        if is_above(self.standard_mg_per_kg, self.max_mg_per_kg):
            raise ClinicalRuleError(
                f"Standard dose {self.standard_mg_per_kg:g} mg/kg is above this protocol's "
                f"maximum {self.max_mg_per_kg:g} mg/kg"
            )
        if is_above(self.usual_range.high, self.max_mg_per_kg):
            raise ClinicalRuleError(
                f"Usual range up to {self.usual_range.high:g} mg/kg is above this protocol's "
                f"maximum {self.max_mg_per_kg:g} mg/kg"
            )


DEFAULT_IV_PROTOCOL: Final = IvProtocol()


@dataclass(frozen=True, kw_only=True)
class IvDose:
    """One IV infusion: the mg total, what to draw up, and the pump rate.

    ``dose_mg`` is the session total: ``dose_mg_per_kg`` × the dosing weight on ``basis``, rounded
    to ``Rounding.dose_mg`` (never above the protocol maximum). It excludes any bolus, priming or
    line dead space. ``volume_ml`` is the drug volume drawn from the vial at
    ``concentration_mg_per_ml``. ``infused_volume_ml`` is the bag's total volume after the drug is
    added, all of which runs at ``rate_ml_per_h`` over ``infusion_minutes``. Weights and BMI are
    display values rounded to ``Rounding.weight_kg``; the dose uses the unrounded weight.
    """

    dose_mg: float
    dose_mg_per_kg: float
    basis: DosingWeightBasis
    dosing_weight_kg: float
    actual_weight_kg: float
    ideal_weight_kg: float | None
    bmi_kg_m2: float | None
    ibw_suggested: bool
    concentration_mg_per_ml: float
    volume_ml: float
    infused_volume_ml: float
    bag_volume_includes_drug: bool
    infusion_minutes: float
    rate_ml_per_h: float
    dose_rate_mg_per_h: float
    max_mg_per_kg: float
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def iv_dose(
    *,
    body: BodyMeasurements,
    dose_mg_per_kg: float,
    concentration_mg_per_ml: float,
    bag_volume_ml: float,
    bag_volume_includes_drug: bool,
    infusion_minutes: float | None = None,
    protocol: IvProtocol = DEFAULT_IV_PROTOCOL,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> IvDose:
    """Compute an IV infusion; refuse above the protocol maximum, warn outside the usual range.

    ``bag_volume_includes_drug``: True when ``bag_volume_ml`` is already the bag's total after
    the drug is added (e.g. an equal volume of diluent was withdrawn first); False when the drug
    volume is added on top of ``bag_volume_ml``. ``infusion_minutes`` None uses the protocol's
    duration (40 min by default, S1 S2); any value must lie within 2–100 min (S1).
    """
    mg_per_kg = positive_number("IV dose", dose_mg_per_kg, "mg/kg")
    concentration = positive_number("Concentration", concentration_mg_per_ml, "mg/mL")
    bag = positive_number("Bag volume", bag_volume_ml, "mL")
    minutes = IV_INFUSION_MINUTES.resolve(
        float(protocol.infusion_minutes if infusion_minutes is None else infusion_minutes)
    )
    if is_above(mg_per_kg, protocol.max_mg_per_kg):  # source: S1, S4
        raise mg_per_kg_refusal(mg_per_kg, protocol.max_mg_per_kg, "IV", "S1, S4")
    weight = dosing_weight(
        body=body,
        basis=protocol.weight_basis,
        ibw_offer_bmi_kg_m2=protocol.ibw_offer_bmi_kg_m2,
        adjusted_factor=protocol.adjusted_weight_factor,
    )
    exact_mg = mg_per_kg * weight.weight_kg
    check_session_cap(exact_mg, protocol.max_session_dose_mg, "IV")
    cap_mg = protocol.max_mg_per_kg * weight.weight_kg
    if protocol.max_session_dose_mg is not None:
        cap_mg = min(cap_mg, protocol.max_session_dose_mg)

    drug_ml = exact_mg / concentration
    if bag_volume_includes_drug and drug_ml > bag:
        raise ClinicalRuleError(
            f"The bag's total volume ({bag:g} mL) cannot be smaller than the drug volume "
            f"({drug_ml:.2f} mL) it includes."
        )
    infused_ml = bag if bag_volume_includes_drug else bag + drug_ml
    dose_mg = round_not_above(exact_mg, rounding.dose_mg, cap_mg)
    if dose_mg <= 0:
        raise DoseRefused(f"The dose rounds to 0 mg at a {rounding.dose_mg:g} mg step.")

    warnings = list(weight.warnings)
    usual = protocol.usual_range.warning(mg_per_kg, what="IV dose")  # source: S1
    if usual is not None:
        warnings.append(usual)
    return IvDose(
        dose_mg=dose_mg,
        dose_mg_per_kg=mg_per_kg,
        basis=weight.basis,
        dosing_weight_kg=round_half_up(weight.weight_kg, rounding.weight_kg),
        actual_weight_kg=round_half_up(weight.actual_weight_kg, rounding.weight_kg),
        ideal_weight_kg=maybe_round(weight.ideal_weight_kg, rounding.weight_kg),
        bmi_kg_m2=maybe_round(weight.bmi_kg_m2, 0.1),
        ibw_suggested=weight.ibw_suggested,
        concentration_mg_per_ml=concentration,
        volume_ml=round_not_above(drug_ml, rounding.volume_ml, cap_mg / concentration),
        infused_volume_ml=round_half_up(infused_ml, rounding.volume_ml),
        bag_volume_includes_drug=bag_volume_includes_drug,
        infusion_minutes=minutes,
        rate_ml_per_h=round_half_up(infused_ml / minutes * 60.0, rounding.rate_ml_per_h),
        dose_rate_mg_per_h=round_half_up(exact_mg / minutes * 60.0, rounding.dose_mg),
        max_mg_per_kg=protocol.max_mg_per_kg,
        warnings=tuple(warnings),
        sources=("S1", "S2", "S4", "S9"),
    )
