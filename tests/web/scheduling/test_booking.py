"""Slot finding and one-step booking through the API, the bad-input messages, and the
database's own refusal of a double booking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ketacare.scheduling.models import Booking, Occupancy
from ketacare.treatment.models import Appointment
from tests.web.scheduling.conftest import IV_MINUTES, at, call, monday_in

pytestmark = pytest.mark.django_db


def _search(client, course, **extra):
    body = {"course_id": course.pk, "phase": "induction", **extra}
    return call(client, "post", "/api/v1/scheduling/slots", body)


def _book(client, course, proposal, phase="induction"):
    slots = [{k: s[k] for k in ("start", "chair_id", "nurse_id")} for s in proposal]
    body = {"course_id": course.pk, "phase": phase, "slots": slots}
    return call(client, "post", "/api/v1/scheduling/bookings", body)


def test_six_infusions_are_found_and_booked_in_one_step(client_for, ready, eligible_course, clinic):
    client = client_for("front_desk")
    monday = monday_in()
    status, found = _search(client, eligible_course, not_before=at(monday, "00:00", clinic.zone))
    assert status == 200, found
    assert found["needs"]["chair_minutes"] == IV_MINUTES
    assert found["pattern"].startswith("6 sessions, 3 a week within 21 days")
    first = found["proposals"][0]
    starts = [dt.datetime.fromisoformat(s["start"]).astimezone(clinic.zone) for s in first]
    assert [f"{s:%a %H:%M}" for s in starts] == ["Mon 08:00", "Wed 08:00", "Fri 08:00"] * 2
    assert {s["chair_id"] for s in first} == {ready["Chair 2"].pk}  # leaves Chair 1's extras free

    status, booked = _book(client, eligible_course, first)
    assert status == 201, booked
    assert [a["sequence"] for a in booked] == [1, 2, 3, 4, 5, 6]
    assert len({a["series_id"] for a in booked}) == 1 and booked[0]["series_id"]
    appointments = Appointment.objects.filter(course=eligible_course)
    assert appointments.count() == 6
    assert all(a.nurse_id for a in appointments)  # never without a nurse
    assert "An adult must take you home" in appointments[0].preparation_instructions
    assert Occupancy.objects.filter(appointment__course=eligible_course).count() == 6
    assert Booking.objects.get(appointment=appointments[0]).nurse_minutes == 30


def test_the_same_proposal_cannot_be_booked_twice(
    client_for, ready, eligible_course, make_course, make_patient, clinic
):
    client = client_for("nurse")
    monday = monday_in()
    _, found = _search(client, eligible_course, not_before=at(monday, "00:00", clinic.zone))
    proposal = found["proposals"][0]
    other = make_course(make_patient(clinic, last_name="Other"), "racemic_iv", "iv-depression")
    assert _book(client, other, proposal)[0] == 201
    status, refused = _book(client, eligible_course, proposal)
    assert status == 409
    assert "Session 1" in refused["detail"] and "booked or blocked then" in refused["detail"]
    assert not Appointment.objects.filter(course=eligible_course).exists()  # all or none


@pytest.mark.parametrize(
    ("case", "start", "chair", "message"),
    [
        ("in the past", "past", "Chair 2", "is in the past"),
        ("outside opening hours", "17:00", "Chair 2", "would end at 18:40. Start by 16:20"),
        ("a chair that cannot do IV", "09:00", "Chair 3", "Chair 3 has no IV infusion pump"),
        ("a closed day", "saturday", "Chair 2", "not open on Saturdays"),
    ],
)
def test_bad_slots_say_what_to_change(
    client_for, ready, eligible_course, clinic, case, start, chair, message
):
    monday = monday_in()
    if start == "past":
        when = at(monday, "09:00", clinic.zone) - dt.timedelta(days=14)
    elif start == "saturday":
        when = at(monday + dt.timedelta(days=5), "09:00", clinic.zone)
    else:
        when = at(monday, start, clinic.zone)
    slot = {"start": when.isoformat(), "chair_id": ready[chair].pk, "nurse_id": None}
    status, refused = _book(client_for("front_desk"), eligible_course, [slot], phase=None)
    assert status == 422, refused
    assert message in refused["detail"]


def test_a_series_that_cannot_fit_its_window_is_refused_with_what_to_change(
    client_for, ready, eligible_course
):
    status, refused = _search(client_for("front_desk"), eligible_course, weekdays=[0])
    assert status == 422
    assert "cannot fit on Mon" in refused["detail"]
    assert "Allow more weekdays" in refused["detail"]


def test_a_setting_the_reference_leaves_open_is_named_until_set(
    client_for, clinic, eligible_course
):
    status, refused = _search(client_for("front_desk"), eligible_course)
    assert status == 422
    assert "must set it" in refused["detail"]


def test_a_booked_series_spacing_is_checked_on_booking(client_for, ready, eligible_course, clinic):
    monday = monday_in()
    days = [0, 1, 2, 4, 7, 9]  # Monday and Tuesday: consecutive
    slots = [
        {
            "start": at(monday + dt.timedelta(days=d), "09:00", clinic.zone).isoformat(),
            "chair_id": ready["Chair 2"].pk,
        }
        for d in days
    ]
    status, refused = call(
        client_for("nurse"),
        "post",
        "/api/v1/scheduling/bookings",
        {"course_id": eligible_course.pk, "phase": "induction", "slots": slots},
    )
    assert status == 422
    assert "consecutive days" in refused["detail"]


def test_the_database_refuses_an_overlapping_occupancy(world, clinic, make_patient):
    """Whatever Python does, the database refuses a second row for the same chair and time."""
    appointment = world["appointment"]
    other = make_patient(clinic, last_name="Racer")
    clash = Appointment(
        clinic=clinic,
        patient=other,
        kind="consult",
        starts_at=appointment.starts_at + dt.timedelta(minutes=30),
        ends_at=appointment.ends_at,
        created_at=appointment.created_at,
    )
    Appointment.objects.bulk_create([clash])  # no signal: straight to the table
    clash = Appointment.objects.get(patient=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Occupancy.objects.create(
            appointment=clash,
            clinic=clinic,
            chair_id=appointment.chair_id,
            patient=other,
            starts_at=clash.starts_at,
            ends_at=clash.ends_at,
        )
    # Touching end to start is not an overlap.
    Occupancy.objects.create(
        appointment=clash,
        clinic=clinic,
        chair_id=appointment.chair_id,
        patient=other,
        starts_at=appointment.ends_at,
        ends_at=appointment.ends_at + dt.timedelta(hours=1),
    )


def test_the_old_booking_path_is_guarded_too(client_for, world, clinic, make_patient):
    """An appointment written around the scheduling services still meets the database guard."""
    from ketacare.core.errors import Refused
    from ketacare.scheduling.signals import occupancy_sync

    appointment = world["appointment"]
    other = make_patient(clinic, last_name="Sneak")
    sneak = Appointment(
        clinic=clinic,
        patient=other,
        kind="consult",
        chair_id=appointment.chair_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        created_at=appointment.created_at,
    )
    Appointment.objects.bulk_create([sneak])
    with pytest.raises(Refused, match="just booked by someone else"):
        occupancy_sync(Appointment.objects.get(patient=other))
