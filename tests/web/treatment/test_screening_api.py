"""Screening vignettes through the API: each decision with its reasons, stored and audited."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.treatment.models import ScreeningResult
from tests.web.treatment.conftest import CONTROLLED, UNCONTROLLED, call

pytestmark = pytest.mark.django_db


def _screen(client, patient, route="racemic_iv", indication="depression"):
    return call(
        client,
        "post",
        f"/api/v1/treatment/patients/{patient.pk}/screenings",
        {"route": route, "indication": indication},
    )


def test_uncontrolled_hypertension_blocks_then_controlled_reentry_is_eligible(
    client_for, patient, protocol_ready, enter_intake
):
    doctor = client_for("prescriber")
    enter_intake(patient, **UNCONTROLLED)
    status, blocked = _screen(doctor, patient)
    assert status == 201
    assert blocked["outcome"] == "not_eligible"
    assert blocked["intake_version"] == 1
    finding = blocked["findings"][0]
    assert finding["rule_id"] == "bp.uncontrolled_hypertension"
    assert finding["severity"] == "contraindication"
    assert "162/98" in finding["reason"] and "not controlled" in finding["reason"]
    assert finding["resolution"].startswith("Treat and recheck blood pressure")
    assert finding["provenance"]["verified"] is False
    assert "S14" in finding["provenance"]["sources"]

    enter_intake(patient, **CONTROLLED)  # the BP brought under control, re-entered as v2
    status, cleared = _screen(doctor, patient)
    assert status == 201 and cleared["intake_version"] == 2
    assert cleared["outcome"] in ("eligible", "eligible_with_cautions")
    assert "bp.uncontrolled_hypertension" not in {f["rule_id"] for f in cleared["findings"]}
    assert ScreeningResult.objects.filter(patient=patient).count() == 2
    entry = AuditEntry.objects.filter(object_type="screening").order_by("-sequence").first()
    assert entry.patient_id == patient.pk and "intake v2" in entry.summary


VIGNETTES = [
    # (label, intake overrides, route, indication, outcome, rule id expected)
    ("healthy TRD on IV", {}, "racemic_iv", "depression", "eligible", None),
    (
        "benzodiazepine is a caution",
        {"medications": [{"name": "sertraline"}, {"name": "lorazepam", "dose": "1 mg"}]},
        "racemic_iv",
        "depression",
        "eligible_with_cautions",
        "interaction.benzodiazepine",
    ),
    (
        "psychosis history is a caution",
        {"conditions_set": {"psychosis_history": "yes"}},
        "racemic_iv",
        "depression",
        "eligible_with_cautions",
        "psychosis.history",
    ),
    (
        "esketamine with an aneurysm is refused (label)",
        {"conditions_set": {"aneurysmal_vascular_disease": "yes"}},
        "esketamine_nasal",
        "depression",
        "not_eligible",
        "esk.aneurysm",
    ),
    (
        "pregnancy unknown needs information",
        {"conditions_set": {"pregnant": "unknown"}},
        "racemic_iv",
        "depression",
        "needs_information",
        "racemic.pregnancy",
    ),
    (
        "active substance use blocks",
        {"conditions_set": {"substance_use_active": "yes"}},
        "racemic_im",
        "depression",
        "not_eligible",
        "substance.active_use",
    ),
    (
        "PTSD has limited evidence",
        {},
        "racemic_iv",
        "ptsd",
        "eligible_with_cautions",
        "indication.limited_evidence",
    ),
]


@pytest.mark.parametrize(
    ("label", "overrides", "route", "indication", "outcome", "rule_id"),
    VIGNETTES,
    ids=[v[0] for v in VIGNETTES],
)
def test_screening_vignettes(
    client_for,
    patient,
    protocol_ready,
    enter_intake,
    label,
    overrides,
    route,
    indication,
    outcome,
    rule_id,
):
    from tests.conftest import intake_payload

    overrides = dict(overrides)
    changes = overrides.pop("conditions_set", None)
    if changes:
        overrides["conditions"] = {**intake_payload()["conditions"], **changes}
    enter_intake(patient, **overrides)
    status, result = _screen(client_for("prescriber"), patient, route, indication)
    assert status == 201, result
    assert result["outcome"] == outcome, result["summary"]
    if rule_id:
        assert rule_id in {f["rule_id"] for f in result["findings"]}


def test_missing_answers_name_the_question(client_for, patient, protocol_ready, enter_intake):
    from tests.conftest import intake_payload

    conditions = {**intake_payload()["conditions"], "hypertension": "unknown"}
    enter_intake(patient, conditions=conditions, medications_complete=False)
    status, result = _screen(client_for("prescriber"), patient)
    assert status == 201
    assert result["outcome"] == "needs_information"
    questions = {f["needs"]: f["question"] for f in result["findings"] if f["needs"]}
    assert questions["hypertension"] == "Does the patient have high blood pressure (hypertension)?"
    assert "medications_complete" in questions  # an unticked box is unknown, not "no medicines"


def test_unset_trd_setting_is_named_as_a_clinic_setting(client_for, patient, enter_intake):
    enter_intake(patient)
    status, result = _screen(client_for("prescriber"), patient)
    assert status == 201
    assert result["outcome"] == "needs_information"
    question = next(f["question"] for f in result["findings"] if f["needs"].startswith("setting:"))
    assert question.startswith("Clinic setting to be set by the medical director")


def test_no_intake_is_refused_and_bad_route_is_422(client_for, patient):
    status, body = _screen(client_for("prescriber"), patient)
    assert status == 409 and "No intake" in body["detail"]
    status, body = _screen(client_for("prescriber"), patient, route="rectal")
    assert status == 422 and any("route" in key for key in body["fields"])


def test_screening_list_is_audited_as_a_view(client_for, patient, protocol_ready, enter_intake):
    enter_intake(patient)
    _screen(client_for("prescriber"), patient)
    status, rows = call(
        client_for("nurse"), "get", f"/api/v1/treatment/patients/{patient.pk}/screenings"
    )
    assert status == 200 and len(rows) == 1
    assert AuditEntry.objects.filter(action="view", object_type="screenings").exists()
