"""The front desk finds the earliest slots for a six-infusion series and books it in one step,
moves one session by dragging it on the calendar and another with the form, then the reminder
job runs and the reminder is in the clinic's outbox (and in the patient's e-mail). Real
Chromium, real pages."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command

from ketacare.audit.services import RequestOrigin
from ketacare.treatment.models import Appointment
from tests.browser.conftest import sign_in
from tests.web.scheduling.conftest import configure_scheduling, monday_in
from tests.web.treatment.conftest import (  # noqa: F401 (fixtures)
    enter_intake,
    make_course,
    protocol_ready,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course(clinic, staff, make_patient, make_course):  # noqa: F811
    configure_scheduling(
        clinic, RequestOrigin(actor=staff["medical_director"], actor_label="director")
    )
    patient = make_patient(clinic, first_name="Sam", last_name="Rivera", email="sam@example.org")
    return make_course(patient, "racemic_iv", "iv-depression")


def test_find_book_move_and_see_the_reminder(new_page, staff, clinic, course):
    monday = monday_in()
    desk = new_page()
    sign_in(desk, staff["front_desk"].username)
    desk.goto("/scheduling/")
    desk.get_by_role("link", name="Find slots for Rivera, Sam").click()
    desk.get_by_label("From").fill(monday.isoformat())
    desk.get_by_role("button", name="Find slots").click()
    proposal = desk.locator("form.proposal").first
    assert proposal.locator("tbody tr").count() == 6
    assert "6 sessions, 3 a week within 21 days" in desk.locator("main").inner_text()
    proposal.get_by_role("button", name="Book proposal 1").click()
    desk.get_by_text("Booked 6 sessions").wait_for()
    sessions = list(Appointment.objects.filter(course=course).order_by("starts_at"))
    assert len(sessions) == 6 and all(a.nurse_id for a in sessions)

    # Drag the first session two hours later in its chair: the calendar redraws with it there.
    first = sessions[0]
    local = first.starts_at.astimezone(clinic.zone)
    item = desk.locator(f'.cal-item[data-move="/scheduling/appointments/{first.pk}/move/"]')
    lane = desk.locator(f'.cal-lane[data-chair="{first.chair_id}"]')
    rows = int(next(c for c in lane.get_attribute("class").split() if c.startswith("rows-"))[5:])
    row_px = lane.bounding_box()["height"] / rows  # one row is 5 minutes
    top = item.bounding_box()["y"] - lane.bounding_box()["y"]
    item.drag_to(lane, target_position={"x": 20, "y": top + row_px * 24.5})
    desk.get_by_text("Moved to").wait_for()
    first.refresh_from_db()
    moved = first.starts_at.astimezone(clinic.zone)
    assert moved.date() == local.date() and moved.hour == local.hour + 2

    # Move the second session by its form; a chair that cannot take IV is refused with why.
    second = sessions[1]
    desk.goto(f"/scheduling/appointments/{second.pk}/")
    desk.get_by_label("Time").fill("10:30")
    desk.get_by_label("Chair").select_option(label="Chair 3")
    desk.get_by_role("button", name="Move").click()
    desk.get_by_text("Chair 3 has no IV infusion pump").wait_for()
    desk.get_by_label("Chair").select_option(label="Chair 2")
    desk.get_by_role("button", name="Move").click()
    desk.get_by_text("Moved to").wait_for()

    # The reminder job runs 47 hours before the first session.
    at = first.starts_at - dt.timedelta(hours=47)
    call_command("send_appointment_reminders", "--now", at.isoformat(), stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]
    desk.goto("/scheduling/outbox/")
    row = desk.locator("table.outbox tbody tr").first
    assert "Rivera, Sam" in row.inner_text() and "E-mail" in row.inner_text()
    row.locator("summary").click()
    text = row.locator("pre").inner_text()
    assert moved.strftime("%H:%M") in text and "An adult must take you home" in text
