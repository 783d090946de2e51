"""Planning a course on a screening, its lifecycle through regimens.next_phase, the checklist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.treatment.selectors import course_checklist
from tests.web.treatment.conftest import UNCONTROLLED, call

pytestmark = pytest.mark.django_db

COURSE = {"route": "racemic_iv", "indication": "depression", "regimen_key": "iv-depression"}


def _screen(client, patient, route="racemic_iv"):
    return call(
        client,
        "post",
        f"/api/v1/treatment/patients/{patient.pk}/screenings",
        {"route": route, "indication": "depression"},
    )


def _plan(client, patient, **extra):
    return call(
        client, "post", f"/api/v1/treatment/patients/{patient.pk}/courses", {**COURSE, **extra}
    )


def test_a_course_needs_an_allowing_screening_of_the_current_signed_intake(
    client_for, patient, protocol_ready, enter_intake
):
    doctor = client_for("prescriber")
    status, body = _plan(doctor, patient)
    assert status == 409 and "Screen the patient" in body["detail"]
    enter_intake(patient, **UNCONTROLLED)
    _screen(doctor, patient)
    status, body = _plan(doctor, patient)
    assert status == 409 and "does not allow treatment" in body["detail"]
    enter_intake(patient, signed=False)
    status, body = _plan(doctor, patient)
    assert status == 409 and "screen the patient again" in body["detail"]
    _screen(doctor, patient)
    status, body = _plan(doctor, patient)
    assert status == 409 and "awaits a prescriber's signature" in body["detail"]


def test_cautions_need_a_documented_risk_benefit_decision(
    client_for, patient, protocol_ready, enter_intake
):
    doctor = client_for("prescriber")
    enter_intake(patient, medications=[{"name": "sertraline"}, {"name": "lorazepam"}])
    status, screening = _screen(doctor, patient)
    assert screening["outcome"] == "eligible_with_cautions"
    status, body = _plan(doctor, patient)
    assert status == 422 and "risk_benefit_note" in body["fields"]
    status, course = _plan(doctor, patient, risk_benefit_note="Taper lorazepam; benefit outweighs")
    assert status == 201 and course["phase"] == "planned"
    assert course["next_phases"] == ["induction", "completed"]
    status, body = _plan(doctor, patient, risk_benefit_note="again")
    assert status == 409 and "already has an open course" in body["detail"]


def test_regimen_must_match_the_route(client_for, patient, protocol_ready, enter_intake):
    doctor = client_for("prescriber")
    enter_intake(patient)
    _screen(doctor, patient)
    status, body = _plan(doctor, patient, regimen_key="esketamine-trd")
    assert status == 422 and "regimen_key" in body["fields"]


def test_a_depression_screening_offers_no_crps_regimen(
    client_for, patient, protocol_ready, enter_intake
):
    doctor = client_for("prescriber")
    enter_intake(patient)
    status, screening = _screen(doctor, patient)
    assert status == 201, screening
    page = doctor.get(f"/treatment/screenings/{screening['id']}/").content.decode()
    assert "IV ketamine infusion" in page or "iv-depression" in page
    assert "crps-daily-10" not in page and "CRPS" not in page
    new_course = doctor.get(
        f"/treatment/patients/{patient.pk}/courses/new/?route=racemic_iv&indication=depression"
    ).content.decode()
    assert "crps-daily-10" not in new_course and "crps-continuous-4-day" not in new_course
    status, body = _plan(doctor, patient, regimen_key="crps-daily-10")
    assert status == 422 and body["fields"]["regimen_key"] == "Does not match the indication."


def test_lifecycle_through_maintenance_booster_and_pause(client_for, eligible_course):
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{eligible_course.pk}/phase"

    def move(to, reason=""):
        return call(doctor, "post", url, {"to": to, "reason": reason})

    status, body = move("maintenance")
    assert status == 409 and "starts with induction" in body["detail"]
    status, body = move("induction")
    assert status == 200 and body["started_on"] == timezone.localdate().isoformat()
    assert move("evaluation")[1]["phase"] == "evaluation"
    assert move("maintenance")[1]["phase"] == "maintenance"
    status, body = move("booster")
    assert status == 409 and "relapse" in body["detail"]
    status, body = move("booster", "PHQ-9 back to 18 at two visits")
    assert status == 200 and body["phase"] == "booster"
    assert move("maintenance")[1]["phase"] == "maintenance"
    status, body = move("paused", "Travelling for a month")
    assert body["phase"] == "paused" and body["paused_from"] == "maintenance"
    assert body["next_phases"] == ["maintenance", "completed"]
    assert move("maintenance")[1]["phase"] == "maintenance"
    status, body = move("completed")
    assert body["phase"] == "completed" and body["ended_on"]
    status, body = move("maintenance")
    assert status == 409


def test_checklist_reads_the_record_and_takes_confirmations(client_for, eligible_course):
    doctor = client_for("prescriber")
    entries = {e.key: e for e in course_checklist(eligible_course, at=timezone.now())}
    assert set(entries) == {"screening", "medical_exam", "baseline_scores", "consent", "escort"}
    assert entries["screening"].done and not entries["consent"].done
    assert "ecg" not in entries  # hypertension and heart disease answered no
    url = f"/api/v1/treatment/courses/{eligible_course.pk}/checklist"
    assert call(doctor, "post", f"{url}/escort", {"note": "Partner drives"})[0] == 200
    assert call(doctor, "post", f"{url}/consent", {"note": "x"})[0] == 409  # read, not ticked
    status, rows = call(doctor, "get", url)
    assert status == 200
    escort = next(r for r in rows if r["key"] == "escort")
    assert escort["done"] and escort["detail"] == "Partner drives"


def test_esketamine_checklist_asks_for_rems_enrolment(client_for, patient, make_course):
    course = make_course(patient, "esketamine_nasal", "esketamine-trd")
    entries = {e.key: e for e in course_checklist(course, at=timezone.now())}
    assert not entries["rems_enrolment"].done
    status, body = call(
        client_for("prescriber"),
        "put",
        f"/api/v1/treatment/courses/{course.pk}/rems",
        {"enrolled_on": timezone.localdate().isoformat(), "enrolment_id": "RMS-123"},
    )
    assert status == 200 and body["rems_enrolment_id"] == "RMS-123"
    course.refresh_from_db()
    entries = {e.key: e for e in course_checklist(course, at=timezone.now())}
    assert entries["rems_enrolment"].done


def test_rems_enrolment_is_one_record_per_patient_read_by_course_session_and_billing(
    client_for, patient, make_course
):
    """Recorded from the course or from the chart, it is the patient's one record: a later
    "not enrolled" on the chart undoes the course's checklist item, the session's REMS step and
    billing's coverage line alike."""
    from ketacare.billing.coverage import rems_status
    from ketacare.treatment.models import RemsEnrolment

    course = make_course(patient, "esketamine_nasal", "esketamine-trd")
    prescriber = client_for("prescriber")
    today = timezone.localdate().isoformat()
    url = f"/api/v1/treatment/courses/{course.pk}/rems"
    assert call(prescriber, "put", url, {"enrolled_on": today, "enrolment_id": "RMS-9"})[0] == 200
    row = RemsEnrolment.objects.get(patient=patient)
    assert (row.status, row.enrolment_id) == ("enrolled", "RMS-9")
    assert rems_status(patient.pk).enrolled is True
    status, body = call(
        client_for("nurse"), "put", f"/api/v1/sessions/rems/enrolment/{patient.pk}",
        {"status": "not_enrolled", "note": "Enrolment withdrawn"},
    )  # fmt: skip
    assert status == 200 and body["status"] == "not_enrolled", body
    assert RemsEnrolment.objects.filter(patient=patient).count() == 1
    entries = {e.key: e for e in course_checklist(course, at=timezone.now())}
    assert not entries["rems_enrolment"].done
    assert rems_status(patient.pk).enrolled is False
    status, body = call(prescriber, "get", f"/api/v1/treatment/courses/{course.pk}")
    assert status == 200 and body["rems_enrolled_on"] is None and body["rems_enrolment_id"] == ""
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    status, body = call(prescriber, "put", url, {"enrolled_on": future, "enrolment_id": ""})
    assert status == 422 and "future" in body["detail"], body


def test_ecg_applies_when_the_clinic_says_always(eligible_course, set_protocol):
    set_protocol("checklist.ecg", "always")
    keys = {e.key for e in course_checklist(eligible_course, at=timezone.now())}
    assert "ecg" in keys


def test_a_relapse_the_outcome_rules_detect_allows_a_booster(
    client_for, eligible_course, monkeypatch, clinic
):
    import datetime as dt

    from ketacare.assessments import selectors as assessment_selectors
    from ketacare.clinical.outcomes import DatedScore
    from ketacare.treatment.models import Appointment

    first = timezone.now() - dt.timedelta(days=40)
    Appointment.objects.create(
        clinic=clinic,
        patient=eligible_course.patient,
        course=eligible_course,
        chair=clinic.chairs.first(),
        starts_at=first,
        ends_at=first + dt.timedelta(hours=2),
        status="completed",
        created_at=first,
    )
    totals = [(0, 20), (7, 8), (14, 7), (28, 16), (35, 17)]  # response, then lost twice
    scores = [
        DatedScore("phq9", total, first + dt.timedelta(days=day, hours=-1 if day == 0 else 3))
        for day, total in totals
    ]
    monkeypatch.setattr(
        assessment_selectors, "dated_scores", lambda patient, *, code: scores, raising=False
    )
    doctor = client_for("prescriber")
    url = f"/api/v1/treatment/courses/{eligible_course.pk}/phase"
    for phase in ("induction", "evaluation", "maintenance"):
        assert call(doctor, "post", url, {"to": phase})[0] == 200
    status, body = call(doctor, "post", url, {"to": "booster"})
    assert status == 200, body
    assert body["phase"] == "booster"
