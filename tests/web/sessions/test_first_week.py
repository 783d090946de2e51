"""What a nurse met in a clinic's first week: the first reading shown as overdue at check-in,
errors of other forms inside "Record vitals", and "slowed the infusion" leaving the pump rate
unrecorded."""

from __future__ import annotations

import pytest

from ketacare.alerts.models import Alert
from ketacare.sessions.models import AdministrationEvent, TreatmentSession
from tests.web.sessions.conftest import PRECHECKS_OK

pytestmark = pytest.mark.django_db

HIGH_BP = {"systolic_mmhg": "188", "diastolic_mmhg": "104", "heart_rate_bpm": "90"}


@pytest.fixture
def nurse(client_for):
    return client_for("nurse")


@pytest.fixture
def checked_in(nurse, appointment) -> TreatmentSession:
    nurse.post(f"/sessions/appointments/{appointment.pk}/check-in/")
    return TreatmentSession.objects.get(appointment=appointment)


@pytest.fixture
def dosing(nurse, checked_in) -> TreatmentSession:
    url = f"/sessions/{checked_in.pk}/"
    prechecks = {
        **PRECHECKS_OK,
        "food_hours": "6",
        "liquid_hours": "3",
        "pre_systolic_mmhg": "128",
        "pre_diastolic_mmhg": "80",
        "pre_heart_rate_bpm": "72",
        "pre_spo2_percent": "98",
    }
    assert nurse.post(url + "prechecks/", prechecks).status_code == 302
    assert nurse.post(url + "start/", {"lot_number": "K-1"}).status_code == 302
    checked_in.refresh_from_db()
    assert checked_in.state == "dosing"
    return checked_in


def _vitals_section(page: str) -> str:
    start = page.index('id="vitals-entry"')
    return page[start : page.index("</form>", start)]


def test_first_vitals_are_not_overdue_at_check_in(nurse, checked_in):
    page = nurse.get(f"/sessions/{checked_in.pk}/").content.decode()
    assert "OVERDUE" not in page
    assert "Pre-dose vitals due" in page and "before dosing" in page
    board = nurse.get("/sessions/board/live/").content.decode()
    assert "OVERDUE" not in board


def test_end_dosing_error_is_not_shown_inside_record_vitals(nurse, dosing):
    url = f"/sessions/{dosing.pk}/"
    below = nurse.post(url + "end-dosing/", {})
    assert below.status_code == 422
    page = below.content.decode()
    assert "give the reason for ending below the order" in page
    assert "reason for ending below the order" not in _vitals_section(page)


def test_vitals_errors_are_shown_inside_record_vitals(nurse, dosing):
    url = f"/sessions/{dosing.pk}/"
    bad = nurse.post(url + "vitals/", {"systolic_mmhg": "90", "diastolic_mmhg": "120"})
    assert bad.status_code == 422
    section = _vitals_section(bad.content.decode())
    assert "the systolic must be above the diastolic" in section
    assert 'value="90"' in section  # what was typed is kept
    typo = nurse.post(url + "vitals/", {"systolic_mmhg": "12o", "diastolic_mmhg": "80"})
    assert typo.status_code == 422
    assert 'aria-invalid="true"' in _vitals_section(typo.content.decode())


def test_slowed_the_infusion_records_the_new_rate(nurse, dosing):
    url = f"/sessions/{dosing.pk}/"
    nurse.post(url + "vitals/", HIGH_BP)
    alert = Alert.objects.get(kind="vitals", source_id=str(dosing.pk))
    page = nurse.get(url).content.decode()
    assert 'name="rate_ml_per_h"' in page[page.index('class="ack-form"') :]

    missing = nurse.post(url + f"alerts/{alert.pk}/acknowledge/", {"actions": ["slowed"]})
    assert missing.status_code == 422
    assert "Give the rate you slowed the infusion to" in missing.content.decode()
    faster = nurse.post(
        url + f"alerts/{alert.pk}/acknowledge/", {"actions": ["slowed"], "rate_ml_per_h": "200"}
    )
    assert faster.status_code == 422
    alert.refresh_from_db()
    assert alert.status == "open"
    assert not AdministrationEvent.objects.filter(session=dosing, kind="rate_change").exists()

    done = nurse.post(
        url + f"alerts/{alert.pk}/acknowledge/", {"actions": ["slowed"], "rate_ml_per_h": "90"}
    )
    assert done.status_code == 302
    change = AdministrationEvent.objects.get(session=dosing, kind="rate_change")
    assert change.rate_ml_per_h == 90 and "Slowed for the alert" in change.reason
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert "Slowed the infusion to 90 mL/h" in alert.action_note


def test_slowed_through_the_api_records_the_new_rate(client_for, dosing):
    nurse = client_for("nurse")
    nurse.post(f"/sessions/{dosing.pk}/vitals/", HIGH_BP)
    alert = Alert.objects.get(kind="vitals", source_id=str(dosing.pk))
    answer = nurse.post(
        f"/api/v1/sessions/{dosing.pk}/alerts/{alert.pk}/acknowledge",
        {"actions": ["slowed"], "rate_ml_per_h": "75"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert "75 mL/h" in answer.json()["action_note"]
    assert AdministrationEvent.objects.get(session=dosing, kind="rate_change").rate_ml_per_h == 75


def test_cadss6_items_show_the_clinic_wording(client_for, nurse, checked_in, clinic):
    import json

    url = f"/sessions/{checked_in.pk}/"
    before = nurse.get(url).content.decode()
    assert "CADSS item 22" in before and "has not loaded the licensed CADSS wording" in before
    wording = {
        "instrument": "cadss6",
        "language": "en",
        "source": "Licensed CADSS wording (test)",
        "items": [f"Official CADSS-6 item {n}" for n in range(1, 7)],
        "options": [{"value": v, "label": f"Official anchor {v}"} for v in range(5)],
    }
    loaded = client_for("medical_director").post(
        "/assessments/wording/", {"document": json.dumps(wording)}
    )
    assert loaded.status_code == 302
    page = nurse.get(url).content.decode()
    for n in range(1, 7):
        assert f"Official CADSS-6 item {n}" in page
    assert "Official anchor 4" in page and "Licensed CADSS wording (test)" in page
    answers = {f"cadss_{n}": "1" for n in range(1, 7)}
    assert nurse.post(url + "observations/", answers).status_code == 302
    assert "total <strong>6</strong>/24" in nurse.get(url).content.decode()
