"""The dosing weight: which body weight a mg/kg dose is multiplied by, and why.

Actual body weight by default (the landmark trials dosed on it); ideal or adjusted body weight
when the clinic's protocol says so. BMI ≥ 30 raises the APA suggestion to dose on ideal body
weight (S9). Weights here are unrounded: results round them for display only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.anthropometrics import (
    ADJUSTED_BODY_WEIGHT_FACTOR,
    DEVINE_BASE_HEIGHT_CM,
    SEXES,
    adjusted_body_weight_kg,
    bmi_kg_m2,
    ideal_body_weight_kg,
    normalise_sex,
)
from ketacare.clinical.common import ClinicalRuleError, positive_number
from ketacare.clinical.dosing.parameters import (
    DEFAULT_IBW_OFFER_BMI_KG_M2,
    DOSING_WEIGHT_BASIS,
    IBW_OFFER_BMI_KG_M2,
    DosingWeightBasis,
)
from ketacare.clinical.dosing.rounding import round_half_up


@dataclass(frozen=True)
class BodyMeasurements:
    """What dosing needs to know about the patient's body; height and sex only for IBW / BMI."""

    weight_kg: float
    height_cm: float | None = None
    sex: str | None = None

    def __post_init__(self) -> None:
        positive_number("Weight", self.weight_kg, "kg")
        if self.height_cm is not None:
            positive_number("Height", self.height_cm, "cm")


@dataclass(frozen=True)
class DosingWeight:
    """The weight a mg/kg dose is multiplied by, and why. Weights here are unrounded."""

    basis: DosingWeightBasis
    weight_kg: float
    actual_weight_kg: float
    ideal_weight_kg: float | None
    adjusted_weight_kg: float | None
    bmi_kg_m2: float | None
    ibw_suggested: bool  # BMI (to 0.1) ≥ the offer threshold: the APA suggestion applies (S9)
    warnings: tuple[str, ...]


def dosing_weight(
    *,
    body: BodyMeasurements,
    basis: DosingWeightBasis | str = DosingWeightBasis.ACTUAL,
    ibw_offer_bmi_kg_m2: float = DEFAULT_IBW_OFFER_BMI_KG_M2,
    adjusted_factor: float | None = None,
) -> DosingWeight:
    """Choose the dosing weight on ``basis``; flag BMI ≥ 30 (IBW suggested, S9) and oddities.

    The BMI comparison uses BMI rounded to 0.1, the figure the screen shows, so "BMI 30.0" always
    triggers the suggestion.
    """
    basis = weight_basis(basis)
    threshold = IBW_OFFER_BMI_KG_M2.resolve(ibw_offer_bmi_kg_m2)
    factor = ADJUSTED_BODY_WEIGHT_FACTOR.resolve(adjusted_factor)
    actual = body.weight_kg
    needs_ideal = basis is not DosingWeightBasis.ACTUAL
    if needs_ideal and body.height_cm is None:
        raise ClinicalRuleError(
            f"Dosing on {basis.value} body weight needs the patient's height; none is recorded."
        )
    if needs_ideal:
        normalise_sex(body.sex)  # raises with the Devine explanation

    warnings: list[str] = []
    bmi = None if body.height_cm is None else bmi_kg_m2(weight_kg=actual, height_cm=body.height_cm)
    ideal: float | None = None
    if (
        body.height_cm is not None
        and isinstance(body.sex, str)
        and body.sex.strip().lower() in SEXES
    ):
        ideal = ideal_body_weight_kg(height_cm=body.height_cm, sex=body.sex)
    adjusted = (
        None
        if ideal is None
        else adjusted_body_weight_kg(weight_kg=actual, ideal_kg=ideal, factor=factor)
    )
    suggested = bmi is not None and round_half_up(bmi, 0.1) >= threshold  # source: S9

    if bmi is None:
        warnings.append(
            "Height not recorded: BMI not computed, so the suggestion to dose on ideal body "
            f"weight when BMI ≥ {threshold:g} (S9) could not be checked."
        )
    elif suggested and basis is DosingWeightBasis.ACTUAL:
        offer = (
            f"ideal body weight ({ideal:.1f} kg)"
            if ideal is not None
            else "ideal body weight (not computable: sex not recorded as female or male)"
        )
        warnings.append(
            f"BMI {round_half_up(bmi, 0.1):.1f} ≥ {threshold:g}: the APA consensus suggested "
            f"dosing on {offer} (S9). This dose uses actual body weight per protocol."
        )
    if needs_ideal and ideal is not None and body.height_cm is not None:
        if body.height_cm < DEVINE_BASE_HEIGHT_CM:
            warnings.append(
                f"Height {body.height_cm:g} cm is under 5 ft (152.4 cm): the Devine formula was "
                "extrapolated below its base; confirm the dosing weight."
            )
        if ideal > actual:
            warnings.append(
                f"Ideal body weight ({ideal:.1f} kg) exceeds actual weight ({actual:.1f} kg): "
                f"dosing on {basis.value} weight gives a higher dose than actual weight would."
            )
    chosen = {
        DosingWeightBasis.ACTUAL: actual,
        DosingWeightBasis.IDEAL: ideal,
        DosingWeightBasis.ADJUSTED: adjusted,
    }[basis]
    assert chosen is not None
    return DosingWeight(
        basis=basis,
        weight_kg=chosen,
        actual_weight_kg=actual,
        ideal_weight_kg=ideal,
        adjusted_weight_kg=adjusted,
        bmi_kg_m2=bmi,
        ibw_suggested=suggested,
        warnings=tuple(warnings),
    )


def weight_basis(value: DosingWeightBasis | str) -> DosingWeightBasis:
    """The basis as an enum; anything but actual / ideal / adjusted is refused."""
    return DosingWeightBasis(DOSING_WEIGHT_BASIS.validate(str(value)))
