"""Reminders: at the clinic's hours before (elapsed time, right across the week clocks change),
written in the clinic's own zone, by e-mail and (with consent) SMS with the route's
preparation, each sent once; the command with --dry-run; confirm or ask to reschedule."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.scheduling.models import Booking, ChangeRequest, OutboundMessage
from ketacare.scheduling.reminders import reminders_due, reminders_send
from ketacare.scheduling.resources import preferences_set
from ketacare.scheduling.sms import LocmemSmsBackend, SmsError, TwilioSmsBackend
from ketacare.treatment.models import Appointment

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "ketacare.scheduling.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def book_at(ready, eligible_course, clinic):
    """``book_at(start)``: a treatment of the course at ``start``, written straight to the table
    (reminders only read it; the start may be in the test's past)."""

    def book(start: dt.datetime, *, course=None) -> Appointment:
        course = course or eligible_course
        appointment = Appointment.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            course=course,
            kind="treatment",
            chair=ready["Chair 2"],
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=100),
            sequence=1,
            preparation_instructions="Preparing for your IV ketamine infusion\n- Getting home: An "
            "adult must take you home.",
            created_at=start - dt.timedelta(days=10),
        )
        Booking.objects.create(appointment=appointment, booked_at=appointment.created_at)
        return appointment

    return book


def test_the_48_hour_reminder_in_the_week_clocks_go_forward_counts_elapsed_hours(book_at, clinic):
    # Monday 9 March 2026 09:00 EDT (clocks went forward on Sunday 8 March) is 13:00 UTC; 48
    # elapsed hours earlier is Saturday 7 March 13:00 UTC, i.e. 08:00 EST on the clinic's clock.
    appointment = book_at(dt.datetime(2026, 3, 9, 9, 0, tzinfo=clinic.zone))
    assert appointment.starts_at.astimezone(UTC) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert reminders_due(at=dt.datetime(2026, 3, 7, 12, 59, tzinfo=UTC)) == []
    [due] = reminders_due(at=dt.datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    assert due.hours == 48 and due.channel == "email"
    sent = reminders_send(at=dt.datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    assert len(sent) == 1
    body = mail.outbox[0].body
    assert "Monday 09 March 2026 at 09:00 (EDT)" in body
    assert "An adult must take you home" in body
    assert "Your clinic will tell you whether to stop eating" in body  # racemic: clinic setting
    assert re.search(r"/scheduling/r/[\w-]+/", body)


def test_in_the_week_clocks_go_back_the_reminder_reads_standard_time(book_at, clinic):
    appointment = book_at(dt.datetime(2026, 11, 2, 9, 0, tzinfo=clinic.zone))  # Monday, EST
    at = appointment.starts_at.astimezone(UTC) - dt.timedelta(hours=48)  # Saturday, still EDT
    reminders_send(at=at)
    assert "Monday 02 November 2026 at 09:00 (EST)" in mail.outbox[0].body


def test_each_clinic_writes_its_own_zone(make_patient, other_clinic, book_at, staff):
    other_clinic.time_zone = "America/Los_Angeles"
    other_clinic.save()
    from ketacare.treatment.models import TreatmentCourse

    patient = make_patient(other_clinic, last_name="West")
    course = TreatmentCourse.objects.create(
        clinic=other_clinic,
        patient=patient,
        route="racemic_iv",
        indication="depression",
        regimen_key="iv-depression",
        phase="induction",
        created_at=timezone.now(),
        created_by=staff["prescriber"],
    )
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=other_clinic.zone)
    book_at(start, course=course)
    reminders_send(at=start - dt.timedelta(hours=2))
    assert "Monday 01 June 2026 at 09:00 (PDT)" in mail.outbox[0].body


def test_each_reminder_goes_once_and_only_the_latest_due(book_at, clinic):
    start = dt.datetime(2026, 5, 4, 10, 0, tzinfo=clinic.zone)
    book_at(start)
    ten_hours_before = start - dt.timedelta(hours=10)  # booked late: the 48 h one is due now
    assert [d.hours for d in reminders_send(at=ten_hours_before)] == [48]
    assert reminders_send(at=ten_hours_before + dt.timedelta(minutes=5)) == []  # sent already
    assert [d.hours for d in reminders_send(at=start - dt.timedelta(hours=2))] == [2]
    assert reminders_send(at=start - dt.timedelta(hours=1)) == []
    assert OutboundMessage.objects.filter(kind="reminder").count() == 2


def test_a_moved_appointment_is_reminded_again(book_at, clinic):
    start = dt.datetime(2026, 5, 4, 10, 0, tzinfo=clinic.zone)
    appointment = book_at(start)
    reminders_send(at=start - dt.timedelta(hours=3))
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=start + dt.timedelta(days=1), ends_at=start + dt.timedelta(days=1, minutes=100)
    )
    assert len(reminders_send(at=start + dt.timedelta(hours=20))) == 1


def test_sms_goes_only_with_consent_and_carries_the_preparation(book_at, clinic, patient):
    start = dt.datetime(2026, 5, 4, 10, 0, tzinfo=clinic.zone)
    book_at(start)
    reminders_send(at=start - dt.timedelta(hours=3))
    assert LocmemSmsBackend.outbox == []  # no consent yet
    patient.phone = "+15105550101"
    patient.save()
    preferences_set(
        patient=patient,
        weekdays=[],
        earliest=None,
        latest_start=None,
        email_reminders=False,
        sms_reminders=True,
        origin=RequestOrigin.system("test"),
        at=timezone.now(),
    )
    reminders_send(at=start - dt.timedelta(hours=1))
    [sms] = LocmemSmsBackend.outbox
    assert sms.to == "+15105550101"
    assert "Monday 04 May 2026 at 10:00 (EDT)" in sms.body
    assert "An adult must take you home" in sms.body and "/scheduling/r/" in sms.body
    assert len(mail.outbox) == 1  # e-mail switched off after the first


def test_the_command_dry_run_sends_nothing_and_the_run_sends(book_at, clinic):
    start = dt.datetime(2026, 5, 4, 10, 0, tzinfo=clinic.zone)
    appointment = book_at(start)
    now = (start - dt.timedelta(hours=30)).isoformat()
    out = io.StringIO()
    call_command("send_appointment_reminders", "--dry-run", "--now", now, stdout=out)
    assert f"Would send 48 h reminder by email to {appointment.patient.mrn}" in out.getvalue()
    assert mail.outbox == [] and not OutboundMessage.objects.exists()
    out = io.StringIO()
    call_command("send_appointment_reminders", "--now", now, stdout=out)
    assert "Sent 1 reminder;" in out.getvalue() and len(mail.outbox) == 1


def _link(message) -> str:
    return re.search(r"(/scheduling/r/[\w-]+/)", message.body).group(1)


def test_the_patient_confirms_from_the_reminder(book_at, clinic, client):
    start = timezone.now() + dt.timedelta(hours=30)
    appointment = book_at(start)
    reminders_send(at=timezone.now())
    link = _link(mail.outbox[0])
    assert client.get(link).status_code == 200
    done = client.post(link, {"answer": "confirm"})
    assert done.status_code == 200 and "confirmed" in done.content.decode()
    assert Booking.objects.get(appointment=appointment).confirmed_at is not None
    assert client.post(link, {"answer": "confirm"}).status_code == 410


def test_the_patient_asks_to_reschedule_and_the_front_desk_sees_it(
    book_at, clinic, client, client_for
):
    appointment = book_at(timezone.now() + dt.timedelta(hours=30))
    reminders_send(at=timezone.now())
    client.post(_link(mail.outbox[0]), {"answer": "reschedule", "note": "Thursday mornings"})
    request = ChangeRequest.objects.get(appointment=appointment)
    assert request.note == "Thursday mornings" and request.source == "reminder"
    dashboard = client_for("front_desk").get("/").content.decode()
    assert "Patients asking to change an appointment" in dashboard
    assert "Thursday mornings" in dashboard


def test_the_twilio_adapter_posts_the_message_and_reports_refusals(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "secret"
    settings.SMS_FROM_NUMBER = "+15105550100"
    seen = {}

    class Answer(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def opener(request, timeout):
        seen["url"], seen["data"] = request.full_url, request.data.decode()
        seen["auth"] = request.get_header("Authorization")
        return Answer(json.dumps({"sid": "SM1"}).encode())

    assert TwilioSmsBackend(opener=opener).send(to="+15105550101", body="Hi") == "SM1"
    assert seen["url"].endswith("/Accounts/AC123/Messages.json")
    assert "To=%2B15105550101" in seen["data"] and seen["auth"].startswith("Basic ")

    def refusing(request, timeout):
        return Answer(json.dumps({"error_code": 21211, "message": "Invalid To"}).encode())

    with pytest.raises(SmsError, match="Invalid To"):
        TwilioSmsBackend(opener=refusing).send(to="nope", body="Hi")
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(SmsError, match="TWILIO_AUTH_TOKEN"):
        TwilioSmsBackend()
