"""Dosing: IV, IM, sublingual/oral, esketamine and titration. Table values computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.dosing import (
    CONFIGURABLE_DEFAULTS,
    DEFAULT_IV_PROTOCOL,
    ESKETAMINE_28_MG_ELDERLY_START,
    IV_MAX_MG_PER_KG,
    ORAL_PROTOCOL,
    SETTINGS,
    SUBLINGUAL_CLINIC_PROTOCOL,
    SUBLINGUAL_HOME_PROTOCOL,
    BodyMeasurements,
    DoseRefused,
    DosingWeightBasis,
    EsketamineProtocol,
    ImProtocol,
    IvProtocol,
    Rounding,
    TitrationRefused,
    check_titration,
    configurable_defaults,
    dosing_weight,
    esketamine_dose,
    im_dose,
    iv_dose,
    round_half_up,
    transmucosal_dose,
)


def _iv(weight_kg=70.0, mg_per_kg=0.5, concentration=10.0, bag=100.0, includes=True, **kwargs):
    body = kwargs.pop("body", BodyMeasurements(weight_kg=weight_kg))
    return iv_dose(
        body=body,
        dose_mg_per_kg=mg_per_kg,
        concentration_mg_per_ml=concentration,
        bag_volume_ml=bag,
        bag_volume_includes_drug=includes,
        **kwargs,
    )


# --- IV: the table -----------------------------------------------------------------------------

# weight kg, mg/kg, mg/mL, bag mL, bag includes drug, minutes → mg, drug mL, mL/h (by hand)
IV_TABLE = [
    (45, 0.5, 10, 50, True, 40, 22.5, 2.25, 75.0),  # 50 mL / 40 min × 60
    (45, 0.1, 100, 50, True, 40, 4.5, 0.05, 75.0),  # 0.045 mL rounds half-up to 0.05
    (70, 0.5, 50, 100, True, 40, 35.0, 0.70, 150.0),
    (70, 0.5, 10, 100, False, 40, 35.0, 3.50, 155.3),  # 103.5 mL / 40 × 60 = 155.25
    (83.3, 0.5, 50, 100, False, 40, 41.7, 0.83, 151.2),  # 41.65 mg; 100.833 mL → 151.2495
    (100, 0.75, 100, 250, True, 40, 75.0, 0.75, 375.0),
    (120, 0.75, 10, 250, False, 40, 90.0, 9.00, 388.5),  # 259 mL / 40 × 60
    (150, 0.2, 10, 100, False, 40, 30.0, 3.00, 154.5),  # 103 mL / 40 × 60
    (160, 0.5, 100, 250, True, 40, 80.0, 0.80, 375.0),
    (160, 1.0, 50, 250, False, 40, 160.0, 3.20, 379.8),  # 253.2 mL / 40 × 60
    (61.3, 0.6, 10, 100, True, 100, 36.8, 3.68, 60.0),  # 36.78 mg; 100 mL over 100 min
    (92.7, 0.5, 50, 50, True, 2, 46.4, 0.93, 1500.0),  # 46.35 mg; 0.927 mL; 50 mL over 2 min
]


@pytest.mark.parametrize(
    ("weight", "mg_per_kg", "conc", "bag", "includes", "minutes", "mg", "ml", "rate"), IV_TABLE
)
def test_iv_dose_volume_and_rate_match_hand_calculation(
    weight, mg_per_kg, conc, bag, includes, minutes, mg, ml, rate
):
    result = _iv(weight, mg_per_kg, conc, bag, includes, infusion_minutes=minutes)
    assert (result.dose_mg, result.volume_ml, result.rate_ml_per_h) == (mg, ml, rate)
    assert result.basis is DosingWeightBasis.ACTUAL
    assert result.dosing_weight_kg == weight
    assert result.infusion_minutes == minutes


# height cm, sex, weight kg, basis, mg/kg, mg/mL → dosing weight (0.1 kg), mg, drug mL (by hand)
IV_WEIGHT_BASIS_TABLE = [
    (178, "male", 120, "ideal", 0.5, 10, 73.2, 36.6, 3.66),  # IBW 73.1808 → 36.5904 mg
    (163, "female", 90, "ideal", 0.5, 50, 55.1, 27.5, 0.55),  # IBW 55.0983 → 27.54915 mg
    (178, "male", 120, "adjusted", 0.5, 50, 91.9, 46.0, 0.92),  # AdjBW 91.90848 → 45.95424 mg
    (200, "male", 160, "ideal", 1.0, 100, 93.1, 93.1, 0.93),  # IBW 93.1018
    (150, "female", 70, "ideal", 0.5, 10, 43.3, 21.7, 2.17),  # IBW 43.3268 → 21.6634 mg
    (178, "male", 120, "actual", 0.5, 10, 120.0, 60.0, 6.00),
]


@pytest.mark.parametrize(
    ("height", "sex", "weight", "basis", "mg_per_kg", "conc", "dosing_kg", "mg", "ml"),
    IV_WEIGHT_BASIS_TABLE,
)
def test_iv_dose_on_each_weight_basis(
    height, sex, weight, basis, mg_per_kg, conc, dosing_kg, mg, ml
):
    body = BodyMeasurements(weight_kg=weight, height_cm=height, sex=sex)
    result = _iv(
        mg_per_kg=mg_per_kg, concentration=conc, body=body, protocol=IvProtocol(weight_basis=basis)
    )
    assert result.basis == basis
    assert (result.dosing_weight_kg, result.dose_mg, result.volume_ml) == (dosing_kg, mg, ml)


def test_result_always_states_basis_weight_and_mg_total():
    result = _iv(weight_kg=70)
    assert result.basis is DosingWeightBasis.ACTUAL
    assert result.dosing_weight_kg == 70.0
    assert result.dose_mg == 35.0


# --- IV: BMI ≥ 30 offers IBW -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight_kg", "suggested"),
    [
        (97.2, True),  # BMI 30.0 at 180 cm
        (97.1, True),  # BMI 29.969 shows as 30.0, so the suggestion applies
        (96.9, False),  # BMI 29.907 shows as 29.9
        (120, True),
        (70, False),
    ],
)
def test_bmi_at_or_above_30_offers_ideal_body_weight(weight_kg, suggested):
    body = BodyMeasurements(weight_kg=weight_kg, height_cm=180, sex="female")
    result = _iv(body=body)
    assert result.ibw_suggested is suggested
    offered = [w for w in result.warnings if "ideal body weight" in w and "(S9)" in w]
    assert bool(offered) is suggested


def test_ibw_offer_names_the_ideal_weight_and_keeps_actual_basis():
    body = BodyMeasurements(weight_kg=120, height_cm=178, sex="male")
    result = _iv(body=body)
    assert result.basis is DosingWeightBasis.ACTUAL
    assert any("73.2 kg" in w for w in result.warnings)
    assert result.ideal_weight_kg == 73.2
    assert result.bmi_kg_m2 == 37.9


def test_ibw_offer_is_silent_once_dosing_on_ideal_weight():
    body = BodyMeasurements(weight_kg=120, height_cm=178, sex="male")
    result = _iv(body=body, protocol=IvProtocol(weight_basis="ideal"))
    assert result.ibw_suggested and result.warnings == ()


def test_missing_height_warns_that_bmi_could_not_be_checked():
    result = _iv(weight_kg=120)
    assert result.bmi_kg_m2 is None
    assert any("BMI not computed" in w for w in result.warnings)


def test_ideal_basis_without_height_is_refused():
    with pytest.raises(ClinicalRuleError, match="height"):
        _iv(
            body=BodyMeasurements(weight_kg=90, sex="male"),
            protocol=IvProtocol(weight_basis="ideal"),
        )


def test_ideal_basis_without_female_or_male_is_refused():
    body = BodyMeasurements(weight_kg=90, height_cm=170, sex="unknown")
    with pytest.raises(ClinicalRuleError, match="Devine"):
        _iv(body=body, protocol=IvProtocol(weight_basis="ideal"))


def test_ideal_weight_above_actual_weight_is_flagged():
    body = BodyMeasurements(weight_kg=50, height_cm=170, sex="female")  # IBW 61.4368
    result = _iv(body=body, protocol=IvProtocol(weight_basis="ideal"))
    assert result.dose_mg == 30.7  # 0.5 × 61.4368 = 30.7184
    assert any("exceeds actual weight" in w for w in result.warnings)


def test_short_patient_on_ideal_weight_is_flagged_as_extrapolated():
    body = BodyMeasurements(weight_kg=70, height_cm=150, sex="female")
    result = _iv(body=body, protocol=IvProtocol(weight_basis="ideal"))
    assert any("extrapolated" in w for w in result.warnings)


def test_unknown_weight_basis_is_refused():
    with pytest.raises(ClinicalRuleError, match="actual"):
        IvProtocol(weight_basis="lean")


def test_dosing_weight_reports_all_three_weights_unrounded():
    body = BodyMeasurements(weight_kg=120, height_cm=178, sex="male")
    weight = dosing_weight(body=body, basis="adjusted")
    assert weight.weight_kg == pytest.approx(91.90848)
    assert weight.ideal_weight_kg == pytest.approx(73.1808)
    assert weight.actual_weight_kg == 120


# --- IV: limits ----------------------------------------------------------------------------------


def test_dose_above_protocol_maximum_is_refused():
    with pytest.raises(
        DoseRefused, match=r"1\.1 mg/kg is above this protocol's maximum of 1 mg/kg"
    ):
        _iv(mg_per_kg=1.1)


def test_dose_above_a_clinic_lowered_maximum_is_refused():
    protocol = IvProtocol(max_mg_per_kg=0.8)
    with pytest.raises(DoseRefused, match=r"0\.8 mg/kg"):
        _iv(mg_per_kg=0.85, protocol=protocol)
    assert _iv(mg_per_kg=0.8, protocol=protocol).dose_mg == 56.0


def test_raising_the_maximum_above_1_mg_per_kg_is_outside_safe_bounds():
    with pytest.raises(ClinicalRuleError, match="safe maximum"):
        IvProtocol(max_mg_per_kg=1.2)


def test_usual_range_above_a_lowered_maximum_is_refused():
    with pytest.raises(ClinicalRuleError, match="Usual range"):
        IvProtocol(max_mg_per_kg=0.6)


@pytest.mark.parametrize(("mg_per_kg", "side"), [(0.05, "below"), (0.8, "above"), (1.0, "above")])
def test_dose_outside_usual_range_warns_with_source(mg_per_kg, side):
    result = _iv(mg_per_kg=mg_per_kg)
    assert any(f"{side} the usual range 0.1–0.75 mg/kg (S1)" in w for w in result.warnings)


@pytest.mark.parametrize("mg_per_kg", [0.1, 0.5, 0.75])
def test_dose_inside_usual_range_has_no_warning(mg_per_kg):
    body = BodyMeasurements(weight_kg=70, height_cm=175, sex="male")
    assert _iv(mg_per_kg=mg_per_kg, body=body).warnings == ()


def test_optional_session_cap_refuses_larger_doses():
    protocol = IvProtocol(max_session_dose_mg=50)
    with pytest.raises(DoseRefused, match="50 mg per session"):
        _iv(weight_kg=120, protocol=protocol)  # 60 mg
    assert _iv(weight_kg=100, protocol=protocol).dose_mg == 50.0


def test_no_session_cap_by_default():
    assert DEFAULT_IV_PROTOCOL.max_session_dose_mg is None


@pytest.mark.parametrize("minutes", [1, 101, 0])
def test_infusion_time_outside_2_to_100_minutes_is_refused(minutes):
    with pytest.raises(ClinicalRuleError):
        _iv(infusion_minutes=minutes)


def test_default_infusion_is_40_minutes():
    assert _iv().infusion_minutes == 40


def test_bag_total_smaller_than_the_drug_it_contains_is_refused():
    with pytest.raises(ClinicalRuleError, match="bag's total volume"):
        _iv(weight_kg=160, mg_per_kg=1.0, concentration=10, bag=10, includes=True)  # 16 mL drug


@pytest.mark.parametrize("bad", [0, -5, float("nan")])
def test_nonsense_inputs_are_refused(bad):
    with pytest.raises(ClinicalRuleError):
        _iv(concentration=bad)
    with pytest.raises(ClinicalRuleError):
        _iv(mg_per_kg=bad)
    with pytest.raises(ClinicalRuleError):
        BodyMeasurements(weight_kg=bad)


# --- Rounding ------------------------------------------------------------------------------------


def test_rounding_never_crosses_the_maximum():
    # 1.0 mg/kg × 73.25 kg = 73.25 mg: half-up would give 73.3 mg, above the 73.25 mg maximum.
    result = _iv(weight_kg=73.25, mg_per_kg=1.0, concentration=10)
    assert result.dose_mg == 73.2
    assert result.volume_ml == 7.32  # 7.325 mL would round up past the maximum too


def test_whole_mg_rounding_is_half_up():
    result = _iv(weight_kg=70, mg_per_kg=0.35, rounding=Rounding(dose_mg=1.0))  # 24.5 mg
    assert result.dose_mg == 25.0


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (36.65, 0.1, 36.7),
        (24.499999999999996, 1, 25.0),
        (0.045, 0.01, 0.05),
        (151.2495, 0.1, 151.2),
    ],
)
def test_round_half_up(value, step, expected):
    assert round_half_up(value, step) == expected


def test_rounding_steps_must_be_positive():
    with pytest.raises(ClinicalRuleError):
        Rounding(dose_mg=0)


# --- IV: properties ------------------------------------------------------------------------------

weights = st.floats(min_value=30, max_value=250, allow_nan=False)
mg_per_kgs = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)
concentrations = st.sampled_from([10.0, 50.0, 100.0])
deterministic = settings(derandomize=True, database=None, max_examples=300)


@deterministic
@given(w1=weights, w2=weights, mg_per_kg=mg_per_kgs, conc=concentrations)
def test_dose_is_monotonic_non_decreasing_in_weight(w1, w2, mg_per_kg, conc):
    low, high = sorted((w1, w2))
    dose_low = _iv(weight_kg=low, mg_per_kg=mg_per_kg, concentration=conc, bag=250)
    dose_high = _iv(weight_kg=high, mg_per_kg=mg_per_kg, concentration=conc, bag=250)
    assert dose_low.dose_mg <= dose_high.dose_mg
    assert dose_low.volume_ml <= dose_high.volume_ml


@deterministic
@given(
    weight=weights,
    mg_per_kg=st.floats(min_value=0.01, max_value=2.0),
    maximum=st.floats(min_value=0.75, max_value=1.0),
)
def test_dose_never_exceeds_the_protocol_maximum_it_is_refused_instead(weight, mg_per_kg, maximum):
    protocol = IvProtocol(max_mg_per_kg=maximum)
    try:
        result = _iv(weight_kg=weight, mg_per_kg=mg_per_kg, bag=250, protocol=protocol)
    except DoseRefused:
        assert Decimal(f"{mg_per_kg:.12g}") > Decimal(f"{maximum:.12g}")
    else:
        assert result.dose_mg <= maximum * weight + 1e-9
        assert result.volume_ml * 10 <= maximum * weight + 1e-9


@deterministic
@given(weight=weights, mg_per_kg=st.floats(min_value=0.01, max_value=0.9), conc=concentrations)
def test_volume_times_concentration_equals_dose_within_rounding(weight, mg_per_kg, conc):
    result = _iv(weight_kg=weight, mg_per_kg=mg_per_kg, concentration=conc, bag=250)
    tolerance = conc * 0.01 / 2 + 0.1 / 2 + 1e-9  # half a volume step in mg + half a dose step
    assert abs(result.volume_ml * conc - result.dose_mg) <= tolerance


@deterministic
@given(weight=weights, conc=concentrations)
def test_at_the_maximum_volume_and_dose_agree_within_one_step(weight, conc):
    # At the maximum both values may be rounded down (never above it), by up to one full step.
    result = _iv(weight_kg=weight, mg_per_kg=1.0, concentration=conc, bag=250)
    assert abs(result.volume_ml * conc - result.dose_mg) <= conc * 0.01 + 0.1 / 2 + 1e-9
    assert result.volume_ml * conc <= weight + 1e-9


# --- IM ------------------------------------------------------------------------------------------


def test_im_needs_a_clinic_maximum_because_the_reference_has_none():
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        im_dose(
            body=BodyMeasurements(weight_kg=80),
            concentration_mg_per_ml=50,
            protocol=ImProtocol(),
            dose_mg_per_kg=0.5,
        )


@pytest.mark.parametrize(
    ("weight", "kwargs", "mg", "ml", "mg_per_kg"),
    [
        (80, {"dose_mg_per_kg": 0.5}, 40.0, 0.80, 0.5),  # 40 mg / 50 mg/mL
        (80, {"fixed_dose_mg": 50}, 50.0, 1.00, 0.63),  # 50 / 80 = 0.625 mg/kg
        (63.3, {"dose_mg_per_kg": 0.75}, 47.5, 0.95, 0.75),  # 47.475 mg; 0.9495 mL
    ],
)
def test_im_dose_and_volume(weight, kwargs, mg, ml, mg_per_kg):
    result = im_dose(
        body=BodyMeasurements(weight_kg=weight),
        concentration_mg_per_ml=50,
        protocol=ImProtocol(max_mg_per_kg=1.0),
        **kwargs,
    )
    assert (result.dose_mg, result.volume_ml, result.dose_mg_per_kg) == (mg, ml, mg_per_kg)


def test_im_outside_unverified_usual_range_warns_as_unverified():
    result = im_dose(
        body=BodyMeasurements(weight_kg=80),
        concentration_mg_per_ml=50,
        protocol=ImProtocol(max_mg_per_kg=1.0),
        dose_mg_per_kg=0.4,
    )
    assert any(
        "below the usual range 0.5–1 mg/kg (§1.2 (unverified))" in w for w in result.warnings
    )


def test_im_above_clinic_maximum_is_refused():
    with pytest.raises(DoseRefused):
        im_dose(
            body=BodyMeasurements(weight_kg=80),
            concentration_mg_per_ml=50,
            protocol=ImProtocol(max_mg_per_kg=0.8),
            fixed_dose_mg=70,
        )


def test_im_needs_exactly_one_of_mg_per_kg_and_fixed_mg():
    with pytest.raises(ClinicalRuleError):
        im_dose(
            body=BodyMeasurements(weight_kg=80),
            concentration_mg_per_ml=50,
            protocol=ImProtocol(max_mg_per_kg=1.0),
        )


# --- Sublingual and oral ----------------------------------------------------------------------


def test_sublingual_and_oral_need_a_clinic_maximum():
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        transmucosal_dose(protocol=SUBLINGUAL_HOME_PROTOCOL, unit_strength_mg=100, unit_count=3)


def test_lozenges_are_strength_times_count():
    protocol = replace(SUBLINGUAL_HOME_PROTOCOL, max_session_dose_mg=450)
    result = transmucosal_dose(protocol=protocol, unit_strength_mg=100, unit_count=3)
    assert result.dose_mg == 300.0
    assert result.warnings == ()


def test_at_home_dose_below_unverified_range_warns_as_unverified():
    protocol = replace(SUBLINGUAL_HOME_PROTOCOL, max_session_dose_mg=450)
    result = transmucosal_dose(protocol=protocol, unit_strength_mg=50, unit_count=1)
    assert result.warnings == (
        "Sublingual dose 50 mg is below the usual range 100–450 mg (S34 (unverified)).",
    )


def test_sublingual_above_clinic_maximum_is_refused():
    protocol = replace(SUBLINGUAL_HOME_PROTOCOL, max_session_dose_mg=450)
    with pytest.raises(DoseRefused, match="450 mg per session"):
        transmucosal_dose(protocol=protocol, unit_strength_mg=100, unit_count=5)


def test_lara_very_low_dose_from_solution():
    protocol = replace(SUBLINGUAL_CLINIC_PROTOCOL, max_session_dose_mg=20)
    result = transmucosal_dose(protocol=protocol, dose_mg=10, concentration_mg_per_ml=100)
    assert (result.dose_mg, result.volume_ml) == (10.0, 0.1)
    assert "S33" in result.notes[0]


def test_oral_warns_below_both_usual_ranges_with_source():
    protocol = replace(ORAL_PROTOCOL, max_session_dose_mg=300)
    result = transmucosal_dose(protocol=protocol, dose_mg=10, weight_kg=80)  # 0.125 mg/kg
    assert result.dose_mg_per_kg == 0.13
    assert result.warnings == (
        "Oral dose 10 mg is below the usual range 25–300 mg (S32).",
        "Oral dose 0.13 mg/kg is below the usual range 0.25–7 mg/kg (S32).",
    )


@pytest.mark.parametrize("count", [0, 1.5, True])
def test_lozenge_count_must_be_a_whole_number(count):
    protocol = replace(ORAL_PROTOCOL, max_session_dose_mg=300)
    with pytest.raises(ClinicalRuleError):
        transmucosal_dose(protocol=protocol, unit_strength_mg=50, unit_count=count)


# --- Esketamine -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("dose_mg", "devices", "offsets"), [(56, 2, (0, 5)), (84, 3, (0, 5, 10))])
def test_esketamine_devices_and_five_minute_schedule(dose_mg, devices, offsets):
    start = datetime(2025, 3, 3, 9, 0)
    result = esketamine_dose(
        dose_mg=dose_mg, indication="trd", previous_dose_mg=56, first_device_at=start
    )
    assert result.devices == devices
    assert tuple(step.offset_minutes for step in result.schedule) == offsets
    assert [step.at for step in result.schedule] == [
        datetime(2025, 3, 3, 9, minute) for minute in offsets
    ]
    assert all(step.sprays == 2 for step in result.schedule)
    assert result.volume_ml == round(devices * 0.2, 2)


def test_esketamine_first_dose_must_be_56_mg():
    assert esketamine_dose(dose_mg=56, indication="trd", previous_dose_mg=None).devices == 2
    with pytest.raises(DoseRefused, match="84 mg only after a 56 mg start"):
        esketamine_dose(dose_mg=84, indication="trd", previous_dose_mg=None)


@pytest.mark.parametrize("dose_mg", [42, 112, 0, 14])
def test_esketamine_only_whole_device_label_doses(dose_mg):
    with pytest.raises(DoseRefused):
        esketamine_dose(dose_mg=dose_mg, indication="trd", previous_dose_mg=56)


def test_esketamine_28_mg_is_off_unless_the_clinic_enables_it():
    with pytest.raises(DoseRefused, match="not enabled"):
        esketamine_dose(dose_mg=28, indication="trd", previous_dose_mg=None, age_years=70)


def test_esketamine_28_mg_elderly_start_when_enabled_is_flagged_as_eu_hk():
    protocol = EsketamineProtocol(allow_28_mg_elderly_start=True)
    result = esketamine_dose(
        dose_mg=28, indication="trd", previous_dose_mg=None, age_years=70, protocol=protocol
    )
    assert result.devices == 1
    assert any("EU/HK" in w and "unverified" in w for w in result.warnings)
    with pytest.raises(DoseRefused, match="65"):
        esketamine_dose(
            dose_mg=28, indication="trd", previous_dose_mg=None, age_years=50, protocol=protocol
        )


@pytest.mark.parametrize(
    ("previous", "new", "allowed"),
    [
        (56, 84, True),
        (84, 56, True),
        (56, 56, True),
        (28, 56, True),
        (28, 84, False),
        (84, 28, False),
    ],
)
def test_esketamine_dose_changes_in_28_mg_steps(previous, new, allowed):
    protocol = EsketamineProtocol(allow_28_mg_elderly_start=True)
    kwargs = {"indication": "trd", "previous_dose_mg": previous, "age_years": 70}
    if allowed:
        assert esketamine_dose(dose_mg=new, protocol=protocol, **kwargs).dose_mg == new
    else:
        with pytest.raises(DoseRefused, match="28 mg steps"):
            esketamine_dose(dose_mg=new, protocol=protocol, **kwargs)


def test_esketamine_mdsi_starts_at_84_and_flags_a_56_mg_start():
    assert esketamine_dose(dose_mg=84, indication="mdsi", previous_dose_mg=None).warnings == ()
    result = esketamine_dose(dose_mg=56, indication="mdsi", previous_dose_mg=None)
    assert any("tolerability" in w for w in result.warnings)
    with pytest.raises(DoseRefused):
        esketamine_dose(dose_mg=28, indication="mdsi", previous_dose_mg=None, age_years=80)


def test_esketamine_devices_are_timed_from_the_first():
    result = esketamine_dose(
        dose_mg=56, indication="trd", previous_dose_mg=None, first_device_at=datetime(2025, 1, 6)
    )
    assert [step.at for step in result.schedule] == [
        datetime(2025, 1, 6, 0, 0),
        datetime(2025, 1, 6, 0, 5),
    ]


# --- Titration -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_dose_change_without_a_reason_is_refused(reason):
    with pytest.raises(TitrationRefused, match="documented reason"):
        check_titration(previous_dose_mg_per_kg=0.5, new_dose_mg_per_kg=0.75, reason=reason)


def test_unchanged_dose_needs_no_reason():
    result = check_titration(previous_dose_mg_per_kg=0.5, new_dose_mg_per_kg=0.5, reason=None)
    assert result.direction == "unchanged"


def test_documented_increase_is_accepted_without_a_step_limit():
    result = check_titration(
        previous_dose_mg_per_kg=0.1, new_dose_mg_per_kg=0.75, reason="partial response"
    )
    assert (result.direction, result.change_mg_per_kg, result.warnings) == ("increase", 0.65, ())


def test_titration_above_maximum_is_refused_and_above_usual_range_warns():
    with pytest.raises(DoseRefused):
        check_titration(previous_dose_mg_per_kg=0.75, new_dose_mg_per_kg=1.25, reason="no response")
    result = check_titration(
        previous_dose_mg_per_kg=0.75, new_dose_mg_per_kg=1.0, reason="partial response"
    )
    assert any("above the usual range" in w for w in result.warnings)


# --- Settings catalogue -----------------------------------------------------------------------


def test_settings_have_unique_keys_and_sources_or_are_required():
    keys = [setting.key for setting in SETTINGS]
    assert len(keys) == len(set(keys))
    for setting in SETTINGS:
        assert setting.provenance.sources or setting.value is None


def test_iv_maximum_default_is_1_mg_per_kg_citing_s1_s4():
    assert IV_MAX_MG_PER_KG.value == 1.0
    assert IV_MAX_MG_PER_KG.maximum == 1.0
    assert IV_MAX_MG_PER_KG.provenance.sources == ("S1", "S4")


# --- Settings a clinic may change -----------------------------------------------------------------


def test_every_dosing_setting_is_a_configurable_default_declared_once():
    keys = [item.key for item in CONFIGURABLE_DEFAULTS]
    assert len(keys) == len(set(keys))
    assert set(SETTINGS) < set(CONFIGURABLE_DEFAULTS)
    assert ESKETAMINE_28_MG_ELDERLY_START.value is False  # off unless the clinic enables it
    assert EsketamineProtocol().allow_28_mg_elderly_start is False
    by_route = {route: configurable_defaults(route) for route in Route}
    assert set().union(*by_route.values()) == set(CONFIGURABLE_DEFAULTS)
    assert IV_MAX_MG_PER_KG in by_route[Route.RACEMIC_IV]
    assert IV_MAX_MG_PER_KG not in by_route[Route.RACEMIC_IM]
    assert by_route[Route.ESKETAMINE_NASAL] == (ESKETAMINE_28_MG_ELDERLY_START,)
