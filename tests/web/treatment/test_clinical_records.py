"""The clinical core's results (screening, rule table, doses, plans) as the JSON the treatment
app stores and shows."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import date, datetime

import pytest

from ketacare.clinical.common import Answer, Route, Severity
from ketacare.clinical.dosing import BodyMeasurements, esketamine_dose, iv_dose
from ketacare.clinical.eligibility import EligibilitySettings, default_rules, evaluate
from ketacare.clinical.intake import Indication, IntakeFacts, Medication
from ketacare.clinical.regimens import IV_DEPRESSION, plan_induction
from ketacare.treatment.clinical_records import decision_record, plain, rule_rows

TRD_KEY = "trd.required_adequate_trials"
TRD2 = EligibilitySettings(values={TRD_KEY: 2})
DEPRESSION = IntakeFacts(indication=Indication.DEPRESSION)
ALL_YES = {
    **{name: Answer.YES for name, value in vars(DEPRESSION).items() if value is Answer.UNKNOWN},
    "hypertension_controlled": Answer.NO,
}


def test_decision_record_is_json_with_every_finding_and_its_source() -> None:
    intake = IntakeFacts(
        indication=Indication.DEPRESSION,
        age_years=40,
        systolic_mmhg=162,
        diastolic_mmhg=98,
        current_medications=(Medication(name="sertraline"),),
    )
    decision = evaluate(intake, route=Route.ESKETAMINE_NASAL, settings=TRD2)
    data = decision_record(decision)
    assert json.loads(json.dumps(data)) == data
    assert list(data) == [
        "outcome", "route", "indication", "summary", "findings", "settings_in_force",
    ]  # fmt: skip
    assert data["outcome"] == "not_eligible"
    (first,) = [f for f in data["findings"] if f["severity"] == "contraindication"]
    assert first["rule_id"] == "bp.uncontrolled_hypertension"
    assert first["provenance"] == {
        "sources": ["S14", "§2"],
        "verified": False,
        "note": first["provenance"]["note"],
        "cite": "S14, §2 (unverified)",
    }
    assert first["routes"] == ["esketamine_nasal", "racemic_im", "racemic_iv", "racemic_oral",
                               "racemic_sc", "racemic_sublingual"]  # fmt: skip
    assert first["overridden_from"] is None
    assert data["settings_in_force"][TRD_KEY] == 2
    assert len(data["findings"]) == len(decision.findings)


@pytest.mark.parametrize("route", list(Route))
@pytest.mark.parametrize("answers", [{}, ALL_YES], ids=["unknown", "yes"])
def test_every_decision_record_round_trips_through_json(route: Route, answers: dict) -> None:
    lowered = EligibilitySettings(
        values={TRD_KEY: 2}, severities={"bp.uncontrolled_hypertension": Severity.CAUTION}
    )
    data = decision_record(evaluate(replace(DEPRESSION, **answers), route=route, settings=lowered))
    assert json.loads(json.dumps(data)) == data
    for finding in data["findings"]:
        assert finding["severity"] in {str(s) for s in Severity}
        lowered_here = finding["rule_id"] == "bp.uncontrolled_hypertension"
        if lowered_here and finding["severity"] != "missing":
            assert (finding["severity"], finding["overridden_from"]) == (
                "caution",
                "contraindication",
            )
    if answers:
        assert ("caution", "contraindication") in {
            (f["severity"], f["overridden_from"]) for f in data["findings"]
        }


def test_rule_rows_list_every_rule_with_source_and_values() -> None:
    rows = rule_rows(TRD2)
    assert json.loads(json.dumps(rows)) == rows
    assert [row["rule_id"] for row in rows] == [rule.rule_id for rule in default_rules()]
    by_id = {row["rule_id"]: row for row in rows}
    bp = by_id["bp.uncontrolled_hypertension"]
    assert bp["clinic_may_lower_to_caution"] is True
    assert bp["severity_in_force"] == "contraindication"
    assert [(p["key"], p["default"], p["maximum"]) for p in bp["parameters"]] == [
        ("bp.pre_treatment_systolic_max_mmhg", 140, 180),
        ("bp.pre_treatment_diastolic_max_mmhg", 90, 100),
    ]
    trd = by_id["trd.adequate_trials"]["parameters"][0]
    assert (trd["default"], trd["value_in_force"], trd["required_setting"]) == (None, 2, True)
    assert by_id["esk.aneurysm"]["esketamine_label_contraindication"] is True
    assert by_id["esk.aneurysm"]["clinic_may_lower_to_caution"] is False
    assert by_id["psychosis.history"]["clinic_may_raise"] is True


def test_a_dose_calculation_is_stored_with_every_field_in_json() -> None:
    result = iv_dose(
        body=BodyMeasurements(weight_kg=70),
        dose_mg_per_kg=0.5,
        concentration_mg_per_ml=10,
        bag_volume_ml=100,
        bag_volume_includes_drug=False,
    )
    data = plain(result)
    assert json.loads(json.dumps(data)) == data
    assert list(data) == [f.name for f in fields(result)]
    assert (data["basis"], data["dosing_weight_kg"], data["dose_mg"]) == ("actual", 70.0, 35.0)
    assert data["sources"] == ["S1", "S2", "S4", "S9"]


def test_dates_enums_and_nested_results_become_json() -> None:
    result = esketamine_dose(
        dose_mg=56, indication="trd", previous_dose_mg=None, first_device_at=datetime(2025, 1, 6)
    )
    data = plain(result)
    assert data["indication"] == "trd"
    assert data["schedule"][1] == {
        "device_number": 2,
        "offset_minutes": 5,
        "sprays": 2,
        "at": "2025-01-06T00:05:00",
    }
    json.dumps(data)
    planned = plan_induction(IV_DEPRESSION, start=date(2025, 1, 6))[0]
    assert plain(planned) == {
        "scheduled_date": "2025-01-06",
        "sequence": 1,
        "phase": "induction",
        "dose_description": "0.5 mg/kg IV over 40 min",
    }
