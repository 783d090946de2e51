"""GET /api/v1/patients/{id}/long-term-safety and the writes below it: cumulative exposure in mg,
clinic limits set and not set, what is due, and every role's access."""

from __future__ import annotations

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def url(patient, tail=""):
    return f"/api/v1/patients/{patient.pk}/long-term-safety{tail}"


def period(body, name):
    return next(p for p in body["cumulative"]["periods"] if p["period"] == name)


def test_cumulative_exposure_in_mg_per_period(patient, make_course, give_dose, api_as):
    course = make_course(patient, "esketamine_nasal", "84")
    for days in (1, 8, 40, 100, 400):
        give_dose(course, days, "84")
    response = api_as("prescriber", "get", url(patient))
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k for k in ("cumulative", "signals", "due")} <= set(body)
    assert period(body, "30d")["total_mg"] == 168.0
    assert period(body, "90d")["total_mg"] == 252.0
    assert period(body, "365d")["total_mg"] == 336.0
    assert period(body, "since_first_dose")["total_mg"] == 420.0
    assert period(body, "30d")["routes"][0]["route"] == "esketamine_nasal"
    assert body["cumulative"]["shortest_interval_hours"] is not None


def test_no_limits_set_means_no_prompt_and_not_configured(patient, make_course, give_dose, api_as):
    course = make_course(patient)
    for days in range(10):
        give_dose(course, days + 0.5)
    body = api_as("prescriber", "get", url(patient)).json()
    assert body["signals"] == []
    assert "Exposure review limits" in body["not_configured"]
    assert all(not limit["configured"] for limit in body["cumulative"]["limits"])
    statuses = {d["item"]: d["status"] for d in body["due"]}
    assert statuses["continuation_review"] == "not_configured"
    assert statuses["liver_tests"] == "not_configured"


def test_limit_set_raises_one_exposure_signal(
    patient, make_course, give_dose, api_as, set_longterm
):
    set_longterm(
        {"exposure_esketamine_nasal_mg_30d": 300.0, "continuation_review_interval_days": 7}
    )
    course = make_course(patient)
    for days in (20, 15, 10, 5, 2, 1):
        give_dose(course, days)
    body = api_as("prescriber", "get", url(patient)).json()
    kinds = [s["kind"] for s in body["signals"]]
    assert kinds == ["exposure_above_limit"]
    assert body["signals"][0]["evidence"]["limit_mg"] == 300.0
    assert body["signals"][0]["open"] is True
    statuses = {d["item"]: d["status"] for d in body["due"]}
    assert statuses["continuation_review"] == "due"
    # Reading again never raises it twice.
    again = api_as("prescriber", "get", url(patient)).json()
    assert len(again["signals"]) == 1


def test_read_is_audited(patient, api_as):
    api_as("nurse", "get", url(patient))
    assert AuditEntry.objects.filter(
        object_type="longterm", patient_id=patient.pk, action="view"
    ).exists()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_or_is_refused(role, patient, api_as):
    response = api_as(role, "get", url(patient))
    allowed = role in MATRIX[Capability.LONGTERM_VIEW]
    assert response.status_code == (200 if allowed else 403)
    if role in ("front_desk", "billing"):
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_every_role_records_or_is_refused(role, patient, api_as):
    body = {"score": 27, "administered_at": "2026-01-05T10:00:00Z", "instrument": "Clinic screen"}
    response = api_as(role, "post", url(patient, "/cognitive-screens"), body)
    assert response.status_code == (201 if role in MATRIX[Capability.LONGTERM_RECORD] else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_prescribers_set_limits(role, patient, api_as):
    body = {"max_mg": 600, "period_days": 30, "on_exceed": "refuse"}
    response = api_as(role, "post", url(patient, "/dispensing-limit"), body)
    assert response.status_code == (201 if role in MATRIX[Capability.LONGTERM_REVIEW] else 403)


def test_another_clinics_patient_is_not_found(make_patient, other_clinic, api_as):
    stranger = make_patient(other_clinic)
    assert api_as("prescriber", "get", url(stranger)).status_code == 404


def test_urinary_check_through_the_api_alerts_on_a_yes(patient, api_as):
    from ketacare.alerts.models import Alert

    answers = {
        "frequency": False,
        "urgency": False,
        "pain on passing urine": True,
        "blood in urine": False,
        "suprapubic pain": False,
    }
    response = api_as("nurse", "post", url(patient, "/urinary-checks"), {"answers": answers})
    assert response.status_code == 201, response.content
    alert = Alert.objects.get(patient=patient, code="urinary_symptoms")
    assert alert.recommended_action.startswith("Assess")
    body = api_as("prescriber", "get", url(patient)).json()
    assert [s["kind"] for s in body["signals"]] == ["urinary_symptoms"]
    assert body["urinary_checks"][0]["positive"] == ["pain on passing urine"]
    bad = api_as("nurse", "post", url(patient, "/urinary-checks"), {"answers": {"urgency": True}})
    assert bad.status_code == 422, bad.content
    assert "Answer every question" in bad.json()["detail"]
