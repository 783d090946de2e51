"""Booking: the regimen's dates as appointments, conflicts refused (chair, nurse, patient),
preparation instructions on every treatment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketacare.treatment.models import Appointment
from ketacare.treatment.selectors import treatment_datetimes
from tests.web.treatment.conftest import call

pytestmark = pytest.mark.django_db


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def _series(client, course, chair, **extra):
    body = {"start": _next_monday().isoformat(), "time": "09:00", "chair_id": chair.pk, **extra}
    return call(client, "post", f"/api/v1/treatment/courses/{course.pk}/appointments", body)


def test_induction_is_booked_three_a_week_with_instructions(
    client_for, eligible_course, clinic, staff
):
    chair = clinic.chairs.first()
    status, booked = _series(
        client_for("front_desk"), eligible_course, chair, nurse_id=staff["nurse"].pk
    )
    assert status == 201, booked
    days = [dt.datetime.fromisoformat(a["starts_at"]).astimezone(clinic.zone) for a in booked]
    assert [d.strftime("%a") for d in days] == ["Mon", "Wed", "Fri"] * 2
    assert {d.strftime("%H:%M") for d in days} == {"09:00"}
    assert [a["sequence"] for a in booked] == [1, 2, 3, 4, 5, 6]
    assert booked[0]["nurse_id"] == staff["nurse"].pk
    ends = dt.datetime.fromisoformat(booked[0]["ends_at"])
    assert ends - dt.datetime.fromisoformat(booked[0]["starts_at"]) == dt.timedelta(minutes=160)
    text = booked[0]["preparation_instructions"]
    assert "An adult must take you home" in text
    assert "next day after a restful night's sleep" in text
    assert "Your clinic will tell you whether to stop eating" in text  # racemic: clinic setting
    assert len(treatment_datetimes(eligible_course.patient)) == 6


def test_clinic_fasting_setting_reaches_the_instructions(
    client_for, eligible_course, clinic, set_protocol
):
    set_protocol("monitoring.racemic_iv.fasting_food_minutes", 360)
    set_protocol("monitoring.racemic_iv.fasting_liquid_minutes", 120)
    status, booked = _series(client_for("nurse"), eligible_course, clinic.chairs.first())
    assert status == 201
    assert (
        "Do not eat for 6 hours and do not drink anything for 2 hours"
        in (booked[0]["preparation_instructions"])
    )


def test_esketamine_instructions_carry_the_label_fasting(client_for, patient, make_course, clinic):
    course = make_course(patient, "esketamine_nasal", "esketamine-trd")
    status, booked = _series(client_for("nurse"), course, clinic.chairs.first())
    assert status == 201 and len(booked) == 8  # weeks 1-4 twice weekly
    text = booked[0]["preparation_instructions"]
    assert "Do not eat for 2 hours and do not drink anything for 30 minutes" in text
    assert "at least 2 hours after your dose" in text


@pytest.mark.parametrize("clash", ["chair", "nurse", "patient"])
def test_overlapping_bookings_are_refused(
    client_for, eligible_course, make_patient, clinic, staff, clash
):
    client = client_for("front_desk")
    chairs = list(clinic.chairs.all())
    other = make_patient(clinic, last_name="Other")
    starts = dt.datetime.combine(_next_monday(), dt.time(10, 0), tzinfo=clinic.zone)
    first = {
        "patient_id": other.pk if clash != "patient" else eligible_course.patient_id,
        "kind": "consult",
        "starts_at": starts.isoformat(),
        "duration_minutes": 60,
        "chair_id": chairs[0].pk if clash == "chair" else None,
        "nurse_id": staff["nurse"].pk if clash == "nurse" else None,
    }
    status, body = call(client, "post", "/api/v1/treatment/appointments", first)
    assert status == 201, body
    status, refused = _series(
        client,
        eligible_course,
        chairs[0] if clash == "chair" else chairs[1],
        nurse_id=staff["nurse"].pk if clash == "nurse" else None,
    )
    assert status == 409 and "was not booked" in refused["detail"]
    assert "10:00" in refused["detail"]
    assert not Appointment.objects.filter(course=eligible_course).exists()  # all or none


def test_single_treatment_needs_a_chair_and_cannot_be_in_the_past(
    client_for, eligible_course, clinic
):
    client = client_for("nurse")
    base = {
        "patient_id": eligible_course.patient_id,
        "course_id": eligible_course.pk,
        "kind": "treatment",
        "duration_minutes": 120,
    }
    tomorrow = timezone.now() + dt.timedelta(days=1)
    status, body = call(
        client,
        "post",
        "/api/v1/treatment/appointments",
        {**base, "starts_at": tomorrow.isoformat()},
    )
    assert status == 409 and "needs a chair" in body["detail"]
    yesterday = timezone.now() - dt.timedelta(days=1)
    status, body = call(
        client,
        "post",
        "/api/v1/treatment/appointments",
        {**base, "starts_at": yesterday.isoformat(), "chair_id": clinic.chairs.first().pk},
    )
    assert status == 409 and "in the past" in body["detail"]


def test_a_cancelled_slot_can_be_booked_again(client_for, world, clinic, make_patient):
    client = client_for("front_desk")
    appointment = world["appointment"]
    other = make_patient(clinic, last_name="Next")
    body = {
        "patient_id": other.pk,
        "kind": "consult",
        "duration_minutes": 30,
        "starts_at": appointment.starts_at.isoformat(),
        "chair_id": world["chair"],
    }
    assert call(client, "post", "/api/v1/treatment/appointments", body)[0] == 409
    status, _ = call(
        client,
        "post",
        f"/api/v1/treatment/appointments/{world['aid']}/cancel",
        {"reason": "Patient unwell"},
    )
    assert status == 200
    assert call(client, "post", "/api/v1/treatment/appointments", body)[0] == 201


def test_the_retired_booking_page_leads_to_slot_finding(client_for, world):
    response = client_for("front_desk").get(f"/treatment/courses/{world['cid']}/book/")
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/courses/{world['cid']}/book/"
