"""The staff pages end to end: screening with its reasons, planning, the dose calculator (also
as an htmx partial), booking, the protocol page, the chart and dashboard panels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketacare.treatment.models import AftercarePlan, Order, TreatmentCourse
from tests.web.treatment.conftest import CONTROLLED, UNCONTROLLED

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[3] / "ketacare" / "treatment" / "templates"


def _screen(client, patient):
    return client.post(
        f"/treatment/patients/{patient.pk}/screen/",
        {"route": "racemic_iv", "indication": "depression"},
        follow=True,
    )


def test_screening_page_shows_the_block_then_offers_a_plan(
    client_for, patient, protocol_ready, enter_intake
):
    doctor = client_for("prescriber")
    enter_intake(patient, **UNCONTROLLED)
    page = _screen(doctor, patient).content.decode()
    assert "Not eligible" in page and "162/98 mmHg is above 140/90 mmHg" in page
    assert "Treat and recheck blood pressure" in page
    assert "unverified" in page
    assert "Plan a course" not in page
    enter_intake(patient, **CONTROLLED)
    page = _screen(doctor, patient).content.decode()
    assert "Plan a course" in page and "IV racemic ketamine for depression" in page
    overview = doctor.get(f"/treatment/patients/{patient.pk}/").content.decode()
    assert overview.count("Not eligible") == 1 and "v2" in overview


def test_screening_without_intake_says_so(client_for, patient):
    page = _screen(client_for("prescriber"), patient).content.decode()
    assert "No intake" in page


def test_plan_page_creates_the_course(client_for, patient, protocol_ready, enter_intake):
    doctor = client_for("prescriber")
    enter_intake(patient)
    _screen(doctor, patient)
    response = doctor.post(
        f"/treatment/patients/{patient.pk}/courses/new/",
        {"route": "racemic_iv", "indication": "depression", "regimen_key": "iv-depression"},
        follow=True,
    )
    assert b"Planned the IV ketamine infusion course." in response.content
    course = TreatmentCourse.objects.get(patient=patient)
    assert course.phase == "planned" and course.screening is not None


def test_dose_calculator_previews_saves_and_refuses(client_for, eligible_course):
    doctor = client_for("prescriber")
    url = f"/treatment/courses/{eligible_course.pk}/order/"
    form = doctor.get(url).content.decode()
    assert 'value="0.5"' in form and "basis" in form
    body = {"dose_mg_per_kg": "0.5", "concentration_mg_per_ml": "10", "bag_volume_ml": "100"}
    preview = doctor.post(url, {**body, "action": "preview"}).content.decode()
    assert "41 mg IV (0.5 mg/kg × 82 kg actual body weight)" in preview
    assert "156.2 mL/h" in preview
    partial = doctor.post(
        url, {**body, "dose_mg_per_kg": "2", "action": "preview"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200  # htmx swaps 2xx only: the refusal is in the partial
    assert b"Refused" in partial.content and b"<html" not in partial.content
    refused = doctor.post(url, {**body, "dose_mg_per_kg": "2", "action": "save"})
    assert refused.status_code == 422 and not Order.objects.exists()
    bad = doctor.post(url, {**body, "bag_volume_ml": "lots", "action": "save"})
    assert bad.status_code == 422 and b"Enter a number" in bad.content
    saved = doctor.post(url, {**body, "action": "save"}, follow=True)
    assert b"Draft order saved" in saved.content and b"Sign order" in saved.content
    assert Order.objects.get().status == "draft"


def test_the_retired_booking_and_schedule_pages_lead_to_scheduling(client_for, eligible_course):
    desk = client_for("front_desk")
    book = desk.get(f"/treatment/courses/{eligible_course.pk}/book/")
    assert book["Location"] == f"/scheduling/courses/{eligible_course.pk}/book/"
    schedule = desk.get("/treatment/schedule/?day=2026-03-02")
    assert schedule["Location"] == "/scheduling/?day=2026-03-02"


def test_aftercare_page_saves_the_plan(client_for, eligible_course):
    doctor = client_for("prescriber")
    url = f"/treatment/courses/{eligible_course.pk}/aftercare/"
    assert b"Psychotherapy or integration sessions" in doctor.get(url).content
    doctor.post(url, {"sleep": "Regular bedtime", "psychotherapy": "Weekly integration"})
    plan = AftercarePlan.objects.get(course=eligible_course)
    assert plan.sleep == "Regular bedtime" and plan.updated_by is not None


def test_protocol_page_for_the_director_links_to_the_settings_page_and_lists_unset(
    client_for, clinic
):
    page = client_for("medical_director").get("/treatment/protocol/").content.decode()
    assert "To be set by the clinic" in page
    assert 'id="trd.required_adequate_trials"' in page
    assert 'name="value' not in page  # values are changed on the one settings page
    assert "/clinic/protocol/#treatment.trd.required_adequate_trials" in page
    assert "/clinic/protocol/#treatment.eligibility.severity.bp.uncontrolled_hypertension" in page
    assert "eligibility.severity.esk.aneurysm" not in page  # label: never lowered


def test_chart_panel_for_clinicians_and_dashboard_for_the_day(client_for, world, patient):
    chart = client_for("nurse").get(f"/patients/{patient.pk}/").content.decode()
    assert "Treatment" in chart and "IV ketamine infusion course" in chart
    desk_chart = client_for("front_desk").get(f"/patients/{patient.pk}/").content.decode()
    assert "IV ketamine infusion course" not in desk_chart
    dashboard = client_for("prescriber").get("/").content.decode()
    assert "Orders awaiting your signature" in dashboard
    assert "Consents awaiting countersignature" in dashboard
    director = client_for("medical_director").get("/").content.decode()
    assert "not set yet" in director


def test_templates_have_no_inline_scripts_styles_or_handlers():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
