"""The calendar pages: day and week views with chairs as columns, the day sheet, moving by form
and by drop (htmx), a series move that says what else must move, cancel and no-show, the
booking page, and flat query counts with hundreds of appointments a week."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.scheduling.models import Booking
from ketacare.scheduling.services import SlotChoice, series_book
from ketacare.treatment.models import Appointment
from tests.web.scheduling.conftest import at, monday_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(ready, eligible_course, clinic, staff):
    """Six infusions Mon/Wed/Fri at 09:00 in Chair 2, from a Monday at least a week ahead."""
    monday = monday_in()
    days = (0, 2, 4, 7, 9, 11)
    return series_book(
        course=eligible_course,
        phase="induction",
        slots=[
            SlotChoice(at(monday + dt.timedelta(days=d), "09:00", clinic.zone), ready["Chair 2"].pk)
            for d in days
        ],
        origin=RequestOrigin(actor=staff["front_desk"], actor_label="front desk"),
        at=timezone.now(),
    )


def test_the_day_view_has_chairs_as_columns_with_sessions_blocks_and_free_time(
    client_for, series, clinic
):
    day = series[0].starts_at.astimezone(clinic.zone).date()
    page = client_for("front_desk").get(f"/scheduling/?day={day.isoformat()}")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("Chair 1", "Chair 2", "Chair 3"):
        assert f'<h3 class="cal-chair">{name}</h3>' in html
    assert "09:00–10:40" in html and series[0].patient.display_name in html
    assert "IV ketamine infusion #1" in html
    assert 'draggable="true"' in html
    assert "cal-item free" in html  # free time inside opening hours


def test_the_week_view_shows_the_weeks_sessions(client_for, series, clinic):
    day = series[0].starts_at.astimezone(clinic.zone).date()
    html = client_for("nurse").get(f"/scheduling/?view=week&day={day.isoformat()}").content
    assert html.decode().count("IV ketamine infusion #") == 3  # Mon, Wed, Fri of that week


def test_the_day_sheet_prints_each_chairs_sessions(client_for, series, clinic):
    day = series[0].starts_at.astimezone(clinic.zone).date()
    html = client_for("nurse").get(f"/scheduling/day-sheet/?day={day.isoformat()}").content
    text = html.decode()
    assert "Chair 2" in text and series[0].patient.mrn in text and "@media print" not in text


def test_moving_by_the_form_checks_like_booking(client_for, series, clinic, ready):
    first = series[0]
    day = first.starts_at.astimezone(clinic.zone).date()
    client = client_for("front_desk")
    response = client.post(
        f"/scheduling/appointments/{first.pk}/move/",
        {"date": day.isoformat(), "time": "11:00", "chair": ready["Chair 1"].pk},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert f"{first.starts_at.astimezone(clinic.zone):%H:%M}" == "11:00"
    assert first.chair_id == ready["Chair 1"].pk
    refused = client.post(
        f"/scheduling/appointments/{first.pk}/move/",
        {"date": day.isoformat(), "time": "11:00", "chair": ready["Chair 3"].pk},
    )
    assert refused.status_code == 422
    assert "Chair 3 has no IV infusion pump" in refused.content.decode()


def test_dropping_on_the_calendar_moves_and_redraws_or_says_why(client_for, series, clinic, ready):
    first = series[0]
    day = first.starts_at.astimezone(clinic.zone).date()
    client = client_for("nurse")
    moved = client.post(
        f"/scheduling/appointments/{first.pk}/move/",
        {
            "date": day.isoformat(),
            "time": "13:00",
            "chair": ready["Chair 2"].pk,
            "view": "day",
            "day": day.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert moved.status_code == 200
    assert 'id="calendar"' in moved.content.decode() and "Moved to" in moved.content.decode()
    refused = client.post(
        f"/scheduling/appointments/{first.pk}/move/",
        {"date": day.isoformat(), "time": "17:30", "chair": ready["Chair 2"].pk},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422
    assert "Not moved." in refused.content.decode() and "Start by 16:20" in refused.content.decode()


def test_moving_one_session_of_a_series_says_what_else_must_move(client_for, series, clinic):
    second = series[1]  # Wednesday
    thursday = second.starts_at.astimezone(clinic.zone).date() + dt.timedelta(days=1)
    response = client_for("front_desk").post(
        f"/api/v1/scheduling/appointments/{second.pk}/move",
        data={"start": at(thursday, "09:00", clinic.zone).isoformat()},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 422
    assert "consecutive days" in body["detail"]
    assert "Move session 3" in body["detail"] and "Sat" in body["detail"]
    assert body["details"]["must_move"][0]["appointment_id"] == series[2].pk


def test_cancelling_late_is_recorded_and_frees_the_chair(client_for, series, staff):
    from ketacare.scheduling.models import Occupancy
    from ketacare.scheduling.services import appointment_cancel

    origin = RequestOrigin(actor=staff["front_desk"], actor_label="front desk")
    first, second = series[0], series[1]
    appointment_cancel(  # the clinic's window is 24 h: two hours before is late
        appointment=first,
        reason="Unwell",
        origin=origin,
        at=first.starts_at - dt.timedelta(hours=2),
    )
    appointment_cancel(
        appointment=second,
        reason="Away",
        origin=origin,
        at=second.starts_at - dt.timedelta(hours=30),
    )
    assert Booking.objects.get(appointment=first).late_cancel
    assert not Booking.objects.get(appointment=second).late_cancel
    assert Booking.objects.get(appointment=first).cancel_reason == "Unwell"
    assert not Occupancy.objects.filter(appointment__in=[first, second]).exists()
    page = client_for("front_desk").post(f"/scheduling/appointments/{series[2].pk}/cancel/", {})
    assert page.status_code == 302  # back to the appointment: a reason is required
    assert Appointment.objects.get(pk=series[2].pk).status == "booked"


def test_a_no_show_before_the_appointment_is_refused(client_for, series):
    response = client_for("nurse").post(f"/api/v1/scheduling/appointments/{series[0].pk}/no-show")
    assert response.status_code == 409
    assert "once the appointment time has come" in response.json()["detail"]


def test_the_booking_page_finds_and_books_a_six_infusion_series(
    client_for, ready, eligible_course, clinic
):
    client = client_for("front_desk")
    monday = monday_in()
    page = client.get(
        f"/scheduling/courses/{eligible_course.pk}/book/",
        {"phase": "induction", "from": monday.isoformat(), "weekdays": ["0", "2", "4"]},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Proposal 1" in html
    assert "100 min in the chair" in html
    starts = [line for line in html.split('name="slot_start" value="')[1:4]]
    chairs = html.split('name="slot_chair" value="')[1:7]
    nurses = html.split('name="slot_nurse" value="')[1:7]
    form = {
        "phase": "induction",
        "step": "0",
        "slot_start": [s.split('"')[0] for s in html.split('name="slot_start" value="')[1:7]],
        "slot_chair": [c.split('"')[0] for c in chairs],
        "slot_nurse": [n.split('"')[0] for n in nurses],
    }
    assert len(starts) == 3
    booked = client.post(f"/scheduling/courses/{eligible_course.pk}/book/", form)
    assert booked.status_code == 302
    assert Appointment.objects.filter(course=eligible_course).count() == 6


def test_the_calendar_query_count_does_not_grow_with_the_appointments(
    client_for, ready, clinic, make_patient, staff
):
    def seed(count: int, week: int) -> dt.date:
        monday = monday_in(week)
        rows = []
        for index in range(count):
            patient = make_patient(clinic, last_name=f"Load{week}-{index}")
            day = monday + dt.timedelta(days=index % 5)
            start = at(day, "08:00", clinic.zone) + dt.timedelta(minutes=10 * (index // 5))
            rows.append(
                Appointment(
                    clinic=clinic,
                    patient=patient,
                    kind="consult",
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=10),
                    created_at=timezone.now(),
                )
            )
        Appointment.objects.bulk_create(rows)
        return monday

    client = client_for("front_desk")
    few, many = seed(10, 2), seed(300, 3)
    client.get("/scheduling/")  # the session's first activity time is written once, here
    counts = []
    for monday in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/scheduling/?view=week&day={monday.isoformat()}")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
