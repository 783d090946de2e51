"""Dosing tables through the API: weights, heights, sexes, concentrations and bag volumes to the
mg, mL and mL/h the clinical core computes; refusals above the maximum; titration reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.dosing import BodyMeasurements, DoseRefused
from ketacare.treatment.dose import DoseInput, compute_dose
from ketacare.treatment.protocol import build_protocol
from tests.web.treatment.conftest import call

pytestmark = pytest.mark.django_db

# (sex, height cm, weight kg, basis, mg/kg, mg/mL, bag mL, includes drug,
#  expected mg, dosing weight kg, drug mL, infused mL, mL/h)
IV_TABLE = [
    ("female", 178, 82, "actual", 0.5, 10, 100, False, 41.0, 82.0, 4.1, 104.1, 156.2),
    ("male", 178, 120, "ideal", 0.5, 10, 100, False, 36.6, 73.2, 3.66, 103.66, 155.5),
    ("female", 165, 60, "actual", 0.75, 50, 250, True, 45.0, 60.0, 0.9, 250.0, 375.0),
    ("female", 163, 95, "adjusted", 0.5, 10, 100, False, 35.5, 71.1, 3.55, 103.55, 155.3),
    ("male", 185, 70, "actual", 0.1, 10, 50, True, 7.0, 70.0, 0.7, 50.0, 75.0),
]


@pytest.mark.parametrize(
    (
        "sex",
        "height",
        "weight",
        "basis",
        "mg_per_kg",
        "concentration",
        "bag",
        "includes",
        "mg",
        "dosing_kg",
        "drug_ml",
        "infused_ml",
        "rate",
    ),
    IV_TABLE,
)
def test_iv_dose_table(
    client_for,
    make_patient,
    clinic,
    make_course,
    set_protocol,
    sex,
    height,
    weight,
    basis,
    mg_per_kg,
    concentration,
    bag,
    includes,
    mg,
    dosing_kg,
    drug_ml,
    infused_ml,
    rate,
):
    patient = make_patient(clinic, sex_at_birth=sex)
    course = make_course(patient, "racemic_iv", "iv-depression", height_cm=height, weight_kg=weight)
    set_protocol("dosing.weight_basis", basis)
    status, dose = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/treatment/courses/{course.pk}/dose",
        {
            "dose_mg_per_kg": mg_per_kg,
            "concentration_mg_per_ml": concentration,
            "bag_volume_ml": bag,
            "bag_volume_includes_drug": includes,
        },
    )
    assert status == 200, dose
    assert dose["dose_mg"] == mg
    assert dose["dosing_weight_basis"] == basis  # the basis is always shown
    assert dose["dosing_weight_kg"] == dosing_kg
    assert dose["drug_volume_ml"] == drug_ml
    assert dose["bag_volume_ml"] == infused_ml
    assert dose["rate_ml_per_h"] == rate
    assert dose["infusion_minutes"] == 40


def test_iv_dose_above_the_maximum_is_refused_and_outside_usual_range_warns(
    client_for, patient, make_course
):
    course = make_course(patient, "racemic_iv", "iv-depression")
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{course.pk}/dose"
    body = {"concentration_mg_per_ml": 10, "bag_volume_ml": 100}
    status, refused = call(doctor, "post", url, {**body, "dose_mg_per_kg": 1.2})
    assert status == 422
    assert "above this protocol's maximum of 1 mg/kg" in refused["detail"]
    status, warned = call(doctor, "post", url, {**body, "dose_mg_per_kg": 0.9})
    assert status == 200
    assert any("usual range 0.1–0.75 mg/kg" in w for w in warned["warnings"])
    status, _ = call(
        doctor,
        "post",
        f"/api/v1/treatment/courses/{course.pk}/orders",
        {**body, "dose_mg_per_kg": 1.2},
    )
    assert status == 422 and not course.orders.exists()


def test_bmi_over_30_on_actual_weight_warns_with_the_ideal_weight(
    client_for, make_patient, clinic, make_course
):
    patient = make_patient(clinic, sex_at_birth="male")
    course = make_course(patient, "racemic_iv", "iv-depression", height_cm=178, weight_kg=120)
    status, dose = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/treatment/courses/{course.pk}/dose",
        {"concentration_mg_per_ml": 10, "bag_volume_ml": 100},
    )
    assert status == 200
    assert dose["dose_mg"] == 60.0 and dose["dosing_weight_basis"] == "actual"
    assert any("BMI 37.9" in w and "73.2 kg" in w for w in dose["warnings"])


def test_lower_clinic_maximum_refuses_what_the_default_allowed(
    client_for, patient, make_course, set_protocol
):
    course = make_course(patient, "racemic_iv", "iv-depression")
    set_protocol("dosing.iv.max_mg_per_kg", 0.8)
    status, refused = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/treatment/courses/{course.pk}/dose",
        {"dose_mg_per_kg": 0.9, "concentration_mg_per_ml": 10, "bag_volume_ml": 100},
    )
    assert status == 422 and "0.8 mg/kg" in refused["detail"]


def test_im_needs_the_clinic_maximum_then_computes(client_for, patient, make_course, set_protocol):
    course = make_course(patient, "racemic_im", "im-depression")
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{course.pk}/dose"
    body = {"dose_mg_per_kg": 0.5, "concentration_mg_per_ml": 50}
    status, refused = call(doctor, "post", url, body)
    assert status == 422 and "clinic must set it" in refused["detail"]
    set_protocol("dosing.im.max_mg_per_kg", 1.0)
    status, dose = call(doctor, "post", url, body)
    assert status == 200
    assert (dose["dose_mg"], dose["drug_volume_ml"], dose["dosing_weight_kg"]) == (41.0, 0.82, 82.0)


def test_esketamine_devices_and_label_rules(client_for, patient, make_course):
    course = make_course(patient, "esketamine_nasal", "esketamine-trd")
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{course.pk}/dose"
    status, refused = call(doctor, "post", url, {"dose_mg": 84})
    assert status == 422 and "first esketamine dose of a course is 56 mg" in refused["detail"]
    status, dose = call(doctor, "post", url, {"dose_mg": 56})
    assert status == 200
    assert dose["calculation"]["result"]["devices"] == 2 and dose["drug_volume_ml"] == 0.4
    status, refused = call(doctor, "post", url, {"dose_mg": 70})
    assert status == 422 and "56 mg (2 devices) or 84 mg (3 devices)" in refused["detail"]


def test_sublingual_needs_the_clinic_maximum(client_for, patient, make_course, set_protocol):
    course = make_course(patient, "racemic_sublingual", "sublingual-home")
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{course.pk}/dose"
    body = {"unit_strength_mg": 100, "unit_count": 2}
    status, refused = call(doctor, "post", url, body)
    assert status == 422 and "clinic must set it" in refused["detail"]
    set_protocol("dosing.transmucosal.max_session_dose_mg", 300)
    status, dose = call(doctor, "post", url, body)
    assert status == 200 and dose["dose_mg"] == 200.0
    status, refused = call(doctor, "post", url, {"unit_strength_mg": 200, "unit_count": 2})
    assert status == 422 and "above the clinic's maximum of 300 mg" in refused["detail"]


def test_bad_input_is_422_with_field_errors(client_for, patient, make_course):
    course = make_course(patient, "racemic_iv", "iv-depression")
    status, body = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/treatment/courses/{course.pk}/dose",
        {"dose_mg_per_kg": -1, "concentration_mg_per_ml": "ten", "bag_volume_ml": 100},
    )
    assert status == 422
    assert any(key.endswith("dose_mg_per_kg") for key in body["fields"])
    assert any(key.endswith("concentration_mg_per_ml") for key in body["fields"])


def test_titration_needs_a_documented_reason(client_for, patient, make_course):
    course = make_course(patient, "racemic_iv", "iv-depression")
    doctor = client_for("prescriber")
    orders = f"/api/v1/treatment/courses/{course.pk}/orders"
    body = {"concentration_mg_per_ml": 10, "bag_volume_ml": 100}
    status, first = call(doctor, "post", orders, {**body, "dose_mg_per_kg": 0.5})
    assert status == 201
    assert call(doctor, "post", f"/api/v1/treatment/orders/{first['id']}/sign")[0] == 200
    status, refused = call(doctor, "post", orders, {**body, "dose_mg_per_kg": 0.75})
    assert status == 422 and "needs a documented reason" in refused["detail"]
    status, second = call(
        doctor,
        "post",
        orders,
        {**body, "dose_mg_per_kg": 0.75, "titration_reason": "Partial response after 3"},
    )
    assert status == 201 and second["titration_reason"] == "Partial response after 3"


# --- properties of the dose the web layer orders (no database) ---------------------------------

_PROTOCOL = build_protocol({})


@given(
    weight=st.floats(min_value=35, max_value=250),
    heavier=st.floats(min_value=0.1, max_value=50),
    mg_per_kg=st.floats(min_value=0.05, max_value=1.5),
)
def test_ordered_iv_dose_is_monotonic_in_weight_and_never_above_the_maximum(
    weight, heavier, mg_per_kg
):
    def dose(kg):
        return compute_dose(
            route="racemic_iv",
            regimen_key="iv-depression",
            indication="depression",
            body=BodyMeasurements(weight_kg=kg, height_cm=175, sex="female"),
            age_years=40,
            protocol=_PROTOCOL,
            inputs=DoseInput(
                dose_mg_per_kg=mg_per_kg, concentration_mg_per_ml=10, bag_volume_ml=100
            ),
        )

    try:
        light, heavy = dose(weight), dose(weight + heavier)
    except DoseRefused:
        assert mg_per_kg > _PROTOCOL.iv.max_mg_per_kg
        return
    except ClinicalRuleError:
        return
    assert light.dose_mg <= heavy.dose_mg
    assert heavy.dose_mg <= _PROTOCOL.iv.max_mg_per_kg * (weight + heavier) + 1e-9
