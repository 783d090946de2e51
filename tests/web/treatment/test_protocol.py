"""The protocol page and API: every rule and setting with its source; changes within the core's
safe bounds only, each audited with before and after; unset required values listed."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.clinic_settings.models import ClinicSetting
from ketacare.treatment.protocol import SPECS
from tests.web.treatment.conftest import UNCONTROLLED, call

pytestmark = pytest.mark.django_db

URL = "/api/v1/treatment/protocol"


def test_protocol_lists_rules_settings_sources_and_unset_values(client_for, clinic):
    status, protocol = call(client_for("nurse"), "get", URL)
    assert status == 200
    settings = {row["key"]: row for row in protocol["settings"]}
    assert settings["dosing.iv.max_mg_per_kg"]["value"] == 1.0
    assert settings["dosing.iv.max_mg_per_kg"]["source"] == "S1, S4"
    assert settings["bp.pre_treatment_systolic_max_mmhg"]["verified"] is False
    assert settings["monitoring.esketamine_nasal.fasting_food_minutes"]["value"] == 120
    assert "trd.required_adequate_trials" in protocol["unset_required"]
    assert "dosing.im.max_mg_per_kg" in protocol["unset_required"]
    assert "monitoring.racemic_iv.fasting_food_minutes" in protocol["unset_required"]
    rules = {row["rule_id"]: row for row in protocol["rules"]}
    assert rules["esk.aneurysm"]["severity_key"] is None  # a label contraindication
    assert rules["bp.uncontrolled_hypertension"]["severity_choices"] == [
        "contraindication",
        "caution",
    ]
    page = client_for("nurse").get("/treatment/protocol/").content.decode()
    assert "To be set by the clinic" in page and "unverified" in page
    assert 'name="value"' not in page  # nurses see, only the director changes


def test_a_change_is_audited_with_before_and_after(client_for, clinic):
    director = client_for("medical_director")
    status, body = call(director, "put", f"{URL}/dosing.iv.max_mg_per_kg", {"value": 0.8})
    assert status == 200 and body["value"] == 0.8
    # stored with every other protocol setting: before = the clinic's own value (none yet)
    entry = AuditEntry.objects.filter(object_type="clinic_settings").latest("sequence")
    assert entry.changes == {"treatment.dosing.iv.max_mg_per_kg": {"before": None, "after": 0.8}}
    assert SPECS["dosing.iv.max_mg_per_kg"].label[:40] in entry.summary
    stored = ClinicSetting.objects.get(clinic=clinic, key="treatment.dosing.iv.max_mg_per_kg")
    assert stored.value == 0.8
    status, body = call(director, "delete", f"{URL}/dosing.iv.max_mg_per_kg")
    assert status == 200 and body["value"] == 1.0
    assert not ClinicSetting.objects.filter(clinic=clinic, key__startswith="treatment.").exists()
    entry = AuditEntry.objects.filter(object_type="clinic_settings").latest("sequence")
    assert entry.changes == {"treatment.dosing.iv.max_mg_per_kg": {"before": 0.8, "after": None}}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("dosing.iv.max_mg_per_kg", 1.5, "above the safe maximum"),
        ("bp.pre_treatment_systolic_max_mmhg", 190, "above the safe maximum"),
        ("dosing.iv.max_mg_per_kg", 0.6, "Usual range up to 0.75 mg/kg is above"),
        ("esketamine-trd.induction.sessions", 6, "fixed by its source"),
        ("esketamine-trd.maintenance.week_9_on.interval_days", 10, "must be 7 or 14"),
        ("dosing.weight_basis", "lean", "choose one of"),
        ("trd.required_adequate_trials", "two", "not a number"),
    ],
)
def test_values_outside_safe_bounds_are_refused(client_for, key, value, message):
    status, body = call(client_for("medical_director"), "put", f"{URL}/{key}", {"value": value})
    assert status == 422, body
    assert message in body["detail"]
    assert not ClinicSetting.objects.filter(key__startswith="treatment.").exists()


def test_standard_dose_above_a_lowered_maximum_is_refused(client_for):
    director = client_for("medical_director")
    assert call(director, "put", f"{URL}/dosing.iv.max_mg_per_kg", {"value": 0.8})[0] == 200
    status, body = call(director, "put", f"{URL}/dosing.iv.standard_mg_per_kg", {"value": 0.85})
    assert status == 422 and "above this protocol's maximum" in body["detail"]


def test_unknown_key_is_404(client_for):
    status, _ = call(client_for("medical_director"), "put", f"{URL}/esk.aneurysm", {"value": 1})
    assert status == 404


def test_lowering_a_relative_contraindication_changes_the_screening(
    client_for, patient, protocol_ready, enter_intake
):
    enter_intake(patient, **UNCONTROLLED)
    key = "eligibility.severity.bp.uncontrolled_hypertension"
    status, _ = call(client_for("medical_director"), "put", f"{URL}/{key}", {"value": "caution"})
    assert status == 200
    status, result = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/treatment/patients/{patient.pk}/screenings",
        {"route": "racemic_iv", "indication": "depression"},
    )
    finding = next(f for f in result["findings"] if f["rule_id"] == key.split(".", 2)[2])
    assert finding["severity"] == "caution" and finding["overridden_from"] == "contraindication"
    assert result["outcome"] == "eligible_with_cautions"


def test_the_protocol_page_is_read_only_and_the_settings_page_edits_its_values(client_for):
    """One page edits the protocol: the treatment protocol page shows who set a value and when and
    links each value to its row on the protocol settings page, whose form saves and refuses."""
    director = client_for("medical_director")
    key = "treatment.dosing.im.max_mg_per_kg"
    response = director.post("/clinic/protocol/", {"key": key, f"value:{key}": "1"}, follow=True)
    assert b"Protocol settings saved." in response.content
    settings_page = response.content.decode()
    assert "set by" in settings_page and "fixed by its source" in settings_page
    too_long = "treatment.dosing.iv.infusion_minutes"
    response = director.post("/clinic/protocol/", {"key": too_long, f"value:{too_long}": "120"})
    assert response.status_code == 422
    assert (
        b"Nothing was saved" in response.content and b"above the safe maximum" in response.content
    )
    page = director.get("/treatment/protocol/").content.decode()
    assert "<form" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    assert f'href="/clinic/protocol/#{key}"' in page
    assert "set by" in page and "not confirmed" in page
    assert director.post("/treatment/protocol/set/", {"key": key}).status_code == 404


def test_the_one_settings_page_and_api_edit_the_treatment_protocol_with_the_same_checks(
    client_for, clinic
):
    """One store: a value set through the clinic-settings API is the treatment protocol's value,
    refused by the same cross-check (a standard dose above the lowered maximum)."""
    director = client_for("medical_director")
    settings_url = "/api/v1/clinic-settings"
    key = "treatment.dosing.iv.max_mg_per_kg"
    status, body = call(director, "put", settings_url, {"values": {key: 0.8}})
    assert status == 200, body
    rows = {row["key"]: row for row in call(director, "get", URL)[1]["settings"]}
    assert rows["dosing.iv.max_mg_per_kg"]["value"] == 0.8
    status, body = call(
        director, "put", settings_url, {"values": {"treatment.dosing.iv.standard_mg_per_kg": 0.85}}
    )
    assert status == 422 and "above this protocol's maximum" in body["detail"], body
    assert not ClinicSetting.objects.filter(key="treatment.dosing.iv.standard_mg_per_kg").exists()
    page = director.get("/clinic/protocol/").content.decode()
    assert "Treatment protocol: Dosing" in page and f'id="{key}"' in page
    # a rule's severity is a choice on the page; an optional cap is not listed as required
    assert 'name="value:treatment.eligibility.severity.bp.uncontrolled_hypertension"' in page
    unconfigured = call(director, "get", settings_url)[1]["unconfigured"]
    assert "treatment.dosing.iv.max_session_dose_mg" not in unconfigured
    assert "treatment.trd.required_adequate_trials" in unconfigured
