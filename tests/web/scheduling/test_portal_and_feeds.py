"""The patient's appointments in the portal (preparation, iCalendar files, a change request)
and each staff member's private feed (initials and MRN only, revocable)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from icalendar import Calendar

from ketacare.audit.services import RequestOrigin
from ketacare.core.models import User
from ketacare.scheduling.models import ChangeRequest
from ketacare.scheduling.services import SlotChoice, series_book
from tests.web.scheduling.conftest import at, monday_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(ready, eligible_course, clinic, staff):
    monday = monday_in()
    return series_book(
        course=eligible_course,
        phase="induction",
        slots=[
            SlotChoice(at(monday + dt.timedelta(days=d), "09:00", clinic.zone), ready["Chair 2"].pk)
            for d in (0, 2, 4, 7, 9, 11)
        ],
        origin=RequestOrigin(actor=staff["front_desk"], actor_label="front desk"),
        at=timezone.now(),
    )


@pytest.fixture
def portal(client, patient):
    user = User.objects.create_user(username="jane-portal", password="correct-horse-battery")
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    client.force_login(user)
    return client


def test_the_patient_sees_upcoming_appointments_and_how_to_prepare(portal, booked, clinic):
    page = portal.get("/scheduling/portal/").content.decode()
    local = booked[0].starts_at.astimezone(clinic.zone)
    assert local.strftime("%A") in page and "09:00" in page
    assert "An adult must take you home" in page
    assert page.count("Add to my calendar") == 6
    home = portal.get("/portal/").content.decode()
    assert "6 coming up" in home


def test_the_calendar_file_holds_each_appointment_in_utc(portal, booked):
    response = portal.get("/scheduling/portal/appointments.ics")
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 6
    first = events[0]
    assert first.decoded("dtstart") == booked[0].starts_at
    assert "IV ketamine infusion" in str(first["summary"])
    assert "An adult must take you home" in str(first["description"])
    one = portal.get(f"/scheduling/portal/appointments/{booked[1].pk}.ics")
    assert len(Calendar.from_ical(one.content).walk("VEVENT")) == 1


def test_the_patient_asks_to_change_an_appointment(portal, booked):
    response = portal.post(
        f"/scheduling/portal/appointments/{booked[2].pk}/change/", {"note": "Afternoons please"}
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get(appointment=booked[2])
    assert request.source == "portal" and request.note == "Afternoons please"
    assert "You asked to change this" in portal.get("/scheduling/portal/").content.decode()


def test_another_patients_appointment_is_not_found(portal, booked, make_patient, clinic):
    other = make_patient(clinic, last_name="Other")
    user = User.objects.create_user(username="other-portal", password="correct-horse-battery")
    other.portal_user = user
    other.save(update_fields=["portal_user"])
    portal.force_login(user)
    assert portal.get(f"/scheduling/portal/appointments/{booked[0].pk}.ics").status_code == 404
    assert portal.post(f"/scheduling/portal/appointments/{booked[0].pk}/change/").status_code == 404
    assert not ChangeRequest.objects.exists()


def test_a_staff_feed_names_no_patient_and_stops_when_revoked(client_for, booked, patient, client):
    nurse = client_for("nurse")
    page = nurse.post("/scheduling/feeds/", {"what": "create"}).content.decode()
    url = re.search(r'<code class="feed-url">([^<]+)</code>', page).group(1)
    path = url.split("://", 1)[1].split("/", 1)[1]
    feed = client.get(f"/{path}")
    assert feed.status_code == 200
    text = feed.content.decode()
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) == 6
    assert f"J.D. ({patient.mrn})" in str(events[0]["summary"])
    assert patient.first_name not in text and patient.last_name not in text
    feed_id = re.search(
        r'name="feed" value="(\d+)"', nurse.get("/scheduling/feeds/").content.decode()
    )
    nurse.post("/scheduling/feeds/", {"what": "revoke", "feed": feed_id.group(1)})
    assert client.get(f"/{path}").status_code == 404
    assert client.get("/scheduling/feeds/not-a-token.ics").status_code == 404
