"""BMI, Devine ideal body weight and adjusted body weight. Expected values computed by hand."""

from __future__ import annotations

import math

import pytest

from ketacare.clinical.anthropometrics import (
    ADJUSTED_BODY_WEIGHT_FACTOR,
    adjusted_body_weight_kg,
    bmi_kg_m2,
    ideal_body_weight_kg,
    is_below_devine_base_height,
)
from ketacare.clinical.common import ClinicalRuleError


@pytest.mark.parametrize(
    ("weight_kg", "height_cm", "expected"),
    [
        (70, 175, 22.857142857),  # 70 / 1.75² = 70 / 3.0625
        (120, 178, 37.874005807),  # 120 / 3.1684
        (45, 150, 20.0),  # 45 / 2.25
        (160, 200, 40.0),  # 160 / 4
        (97.2, 180, 30.0),  # 97.2 / 3.24
    ],
)
def test_bmi_is_weight_over_height_in_metres_squared(weight_kg, height_cm, expected):
    assert bmi_kg_m2(weight_kg=weight_kg, height_cm=height_cm) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected_kg"),
    [
        (178, "male", 73.1808),  # reference example: 50 + 0.9055 × 25.6 → 73.2
        (163, "female", 55.0983),  # reference example: 45.5 + 0.9055 × 10.6 → 55.1
        (152.4, "male", 50.0),
        (152.4, "female", 45.5),
        (200, "male", 93.1018),  # 50 + 0.9055 × 47.6
        (185, "male", 79.5193),  # 50 + 0.9055 × 32.6
        (170, "female", 61.4368),  # 45.5 + 0.9055 × 17.6
        (160, "female", 52.3818),  # 45.5 + 0.9055 × 7.6
        (150, "female", 43.3268),  # below 5 ft: 45.5 − 0.9055 × 2.4 (extrapolated)
        (150, "male", 47.8268),  # 50 − 0.9055 × 2.4 (extrapolated)
        (170, " Female ", 61.4368),  # case and spaces are forgiven
    ],
)
def test_ideal_body_weight_follows_devine(height_cm, sex, expected_kg):
    assert ideal_body_weight_kg(height_cm=height_cm, sex=sex) == pytest.approx(
        expected_kg, abs=1e-9
    )


def test_reference_examples_round_to_the_published_values():
    assert round(ideal_body_weight_kg(height_cm=178, sex="male"), 1) == 73.2
    assert round(ideal_body_weight_kg(height_cm=163, sex="female"), 1) == 55.1


def test_short_heights_extrapolate_below_the_base_and_are_flagged():
    assert ideal_body_weight_kg(height_cm=150, sex="female") < 45.5
    assert is_below_devine_base_height(150)
    assert not is_below_devine_base_height(152.4)


@pytest.mark.parametrize("sex", ["other", "", "unknown", None, "m", 1])
def test_ideal_body_weight_without_female_or_male_is_refused_with_devine_reason(sex):
    with pytest.raises(ClinicalRuleError, match="Devine"):
        ideal_body_weight_kg(height_cm=170, sex=sex)


@pytest.mark.parametrize("height_cm", [0, -170, math.nan, math.inf, "170"])
def test_nonsense_height_is_refused(height_cm):
    with pytest.raises(ClinicalRuleError):
        ideal_body_weight_kg(height_cm=height_cm, sex="male")


def test_height_entered_in_metres_is_refused_because_ibw_would_be_negative():
    with pytest.raises(ClinicalRuleError, match="too short"):
        ideal_body_weight_kg(height_cm=1.78, sex="male")


@pytest.mark.parametrize(("weight_kg", "height_cm"), [(0, 170), (-70, 170), (70, 0), (True, 170)])
def test_nonsense_bmi_inputs_are_refused(weight_kg, height_cm):
    with pytest.raises(ClinicalRuleError):
        bmi_kg_m2(weight_kg=weight_kg, height_cm=height_cm)


@pytest.mark.parametrize(
    ("weight_kg", "ideal_kg", "factor", "expected_kg"),
    [
        (120, 73.1808, 0.4, 91.90848),  # 73.1808 + 0.4 × 46.8192
        (50, 55.0983, 0.4, 53.05898),  # below ideal: 55.0983 − 0.4 × 5.0983
        (100, 60, 0.25, 70.0),  # 60 + 0.25 × 40
        (100, 60, 0.0, 60.0),
        (100, 60, 1.0, 100.0),
    ],
)
def test_adjusted_body_weight(weight_kg, ideal_kg, factor, expected_kg):
    result = adjusted_body_weight_kg(weight_kg=weight_kg, ideal_kg=ideal_kg, factor=factor)
    assert result == pytest.approx(expected_kg, abs=1e-9)


def test_adjusted_body_weight_default_factor_is_04_and_unverified():
    assert adjusted_body_weight_kg(weight_kg=100, ideal_kg=60) == pytest.approx(76.0)
    assert ADJUSTED_BODY_WEIGHT_FACTOR.value == 0.4
    assert ADJUSTED_BODY_WEIGHT_FACTOR.provenance.verified is False


@pytest.mark.parametrize("factor", [-0.1, 1.5])
def test_adjusted_body_weight_factor_outside_0_to_1_is_refused(factor):
    with pytest.raises(ClinicalRuleError):
        adjusted_body_weight_kg(weight_kg=100, ideal_kg=60, factor=factor)
