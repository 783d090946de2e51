"""Body-size arithmetic for dosing: BMI, ideal body weight (Devine) and adjusted body weight.

Every function returns an unrounded float. Rounding for display or for a dose happens once, at the
end, in the caller (see ``ketacare.clinical.dosing.Rounding``), so rounding never accumulates.
"""

from __future__ import annotations

from typing import Final

from ketacare.clinical.common import (
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    positive_number,
)

SEXES: Final = ("female", "male")

# Devine: 50 kg (male) / 45.5 kg (female) + 2.3 kg per inch over 5 ft.  # source: S40
# The reference writes the per-cm slope as 0.9055 (= 2.3 / 2.54 to 4 digits); we use the
# reference's figure so a hand check against the sheet gives the same number.
DEVINE_BASE_HEIGHT_CM: Final = 152.4  # 5 ft  # source: S40
DEVINE_KG_PER_CM: Final = 0.9055  # source: S40
DEVINE_BASE_KG: Final[dict[str, float]] = {"male": 50.0, "female": 45.5}  # source: S40

_ADJUSTED_FACTOR_DEFAULT: Final = 0.4  # source: §1.3 [memory, verify]
ADJUSTED_BODY_WEIGHT_FACTOR: Final = ConfigurableDefault[float](
    key="anthropometrics.adjusted_body_weight_factor",
    label="Adjusted body weight factor",
    value=_ADJUSTED_FACTOR_DEFAULT,
    unit="× (actual − ideal)",
    provenance=Provenance(
        sources=("§1.3",),
        verified=False,
        note="AdjBW = IBW + 0.4 × (TBW − IBW): a common pharmacy convention, not ketamine-specific",
    ),
    minimum=0.0,
    maximum=1.0,
)


def normalise_sex(sex: object) -> str:
    """Return "female" or "male"; anything else is refused because the Devine formula needs it."""
    text = sex.strip().lower() if isinstance(sex, str) else sex
    if text not in SEXES:
        raise ClinicalRuleError(
            f"Ideal body weight uses the Devine formula, which has separate equations for female "
            f"and male; got sex {sex!r}. Record sex as 'female' or 'male' for the formula, or "
            f"dose on actual body weight."
        )
    return str(text)


def bmi_kg_m2(*, weight_kg: float, height_cm: float) -> float:
    """Body-mass index: weight in kg divided by height in metres squared (unrounded)."""
    weight = positive_number("Weight", weight_kg, "kg")
    height_m = positive_number("Height", height_cm, "cm") / 100.0
    return weight / (height_m * height_m)


def is_below_devine_base_height(height_cm: float) -> bool:
    """True when the height is under 5 ft (152.4 cm), where Devine is extrapolated downward."""
    return positive_number("Height", height_cm, "cm") < DEVINE_BASE_HEIGHT_CM


def ideal_body_weight_kg(*, height_cm: float, sex: str) -> float:
    """Ideal body weight by Devine: base + 0.9055 kg per cm over 152.4 cm (unrounded).

    Heights under 152.4 cm: the reference is silent. We extrapolate the same straight line below
    the base (e.g. female 150 cm → 43.3 kg) rather than clamp at the base, because clamping would
    raise the dosing weight, and therefore the dose, of the shortest patients. The result is never
    silently altered: ``is_below_devine_base_height`` lets callers warn (``dosing`` does), and a
    height so short that the line reaches zero is refused.
    """
    height = positive_number("Height", height_cm, "cm")
    base_kg = DEVINE_BASE_KG[normalise_sex(sex)]
    ideal_kg = base_kg + DEVINE_KG_PER_CM * (height - DEVINE_BASE_HEIGHT_CM)  # source: S40
    if ideal_kg <= 0:
        raise ClinicalRuleError(
            f"Height {height:g} cm is too short for the Devine ideal body weight formula "
            f"(it gives {ideal_kg:.1f} kg). Check the height, or dose on actual body weight."
        )
    return ideal_kg


def adjusted_body_weight_kg(
    *, weight_kg: float, ideal_kg: float, factor: float = _ADJUSTED_FACTOR_DEFAULT
) -> float:
    """Adjusted body weight: ideal + factor × (actual − ideal), unrounded.

    The 0.4 factor is a pharmacy convention the reference tags [memory, verify] (unverified); a
    clinic may set another factor within 0–1. When actual weight is below ideal the result lies
    between the two, below ideal.
    """
    actual = positive_number("Weight", weight_kg, "kg")
    ideal = positive_number("Ideal body weight", ideal_kg, "kg")
    factor = ADJUSTED_BODY_WEIGHT_FACTOR.validate(float(factor))
    return ideal + factor * (actual - ideal)  # source: §1.3 [memory, verify]
