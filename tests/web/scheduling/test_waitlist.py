"""The waitlist: clinical priority first, an offer by e-mail when a slot frees, accepting books
through the same checks, declining or letting it expire offers the time to the next patient."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.actions import Actor
from ketacare.core.errors import Forbidden
from ketacare.scheduling.models import WaitlistEntry, WaitlistOffer
from ketacare.scheduling.services import SlotChoice, appointment_cancel, series_book
from ketacare.scheduling.waitlist import offers_expire, waitlist_add
from ketacare.treatment.models import Appointment
from tests.web.scheduling.conftest import at, call, monday_in

pytestmark = pytest.mark.django_db


def _actor(user, role):
    return Actor(user=user, roles=frozenset({role}), clinic_id=None)


@pytest.fixture
def full_monday(ready, make_course, make_patient, clinic, staff):
    """Monday: both IV chairs busy all day except Chair 2 at 09:00, held by Ann's session."""
    origin = RequestOrigin(actor=staff["front_desk"], actor_label="front desk")
    monday = monday_in(2)
    from ketacare.scheduling.resources import chair_block_add

    for chair in ("Chair 1", "Chair 2"):
        for start, end in (("07:00", "09:00"), ("10:40", "18:00")):
            chair_block_add(
                chair=ready[chair],
                starts_at=at(monday, start, clinic.zone),
                ends_at=at(monday, end, clinic.zone),
                reason="Held",
                origin=origin,
                at=timezone.now(),
            )
    chair_block_add(
        chair=ready["Chair 1"],
        starts_at=at(monday, "09:00", clinic.zone),
        ends_at=at(monday, "10:40", clinic.zone),
        reason="Held",
        origin=origin,
        at=timezone.now(),
    )
    ann = make_course(
        make_patient(clinic, first_name="Ann", last_name="Held"), "racemic_iv", "iv-depression"
    )
    [session] = series_book(
        course=ann,
        phase=None,
        slots=[SlotChoice(at(monday, "09:00", clinic.zone), ready["Chair 2"].pk)],
        origin=origin,
        at=timezone.now(),
    )
    return {"monday": monday, "session": session, "origin": origin}


def _join(course, staff, priority=0, reason="", role="front_desk", wants="first_series", **kw):
    return waitlist_add(
        course=course,
        wants=wants,
        priority=priority,
        priority_reason=reason,
        actor=_actor(staff[role], role),
        origin=RequestOrigin(actor=staff[role], actor_label=role),
        at=timezone.now(),
        **kw,
    )


def _token(message) -> str:
    return re.search(r"/scheduling/offers/([^/\s]+)/", message.body).group(1)


def test_only_a_prescriber_sets_clinical_priority(make_course, make_patient, clinic, staff, ready):
    course = make_course(make_patient(clinic, last_name="Wait"), "racemic_iv", "iv-depression")
    with pytest.raises(Forbidden):
        _join(course, staff, priority=2, reason="Suicidal ideation")
    entry = _join(course, staff, priority=2, reason="Suicidal ideation", role="prescriber")
    assert entry.priority == WaitlistEntry.Priority.URGENT


def test_a_freed_slot_is_offered_to_the_urgent_patient_first_and_accepting_books_the_series(
    full_monday,
    make_course,
    make_patient,
    clinic,
    staff,
    client,
    django_capture_on_commit_callbacks,
):
    routine = make_course(make_patient(clinic, last_name="Routine"), "racemic_iv", "iv-depression")
    urgent = make_course(make_patient(clinic, last_name="Urgent"), "racemic_iv", "iv-depression")
    _join(routine, staff)
    _join(urgent, staff, priority=2, reason="Suicidal ideation flagged", role="medical_director")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(
            appointment=full_monday["session"],
            reason="Moved away",
            origin=full_monday["origin"],
            at=timezone.now(),
        )
    offer = WaitlistOffer.objects.get()
    assert offer.entry.course == urgent and len(offer.slots) == 6
    assert [m.to for m in mail.outbox] == [[urgent.patient.email]]
    assert "a series of 6 sessions has become available" in mail.outbox[0].body
    token = _token(mail.outbox[0])

    page = client.get(f"/scheduling/offers/{token}/")
    assert page.status_code == 200 and "Accept" in page.content.decode()
    done = client.post(f"/scheduling/offers/{token}/", {"answer": "accept"})
    assert done.status_code == 200 and "you are booked" in done.content.decode()
    booked = Appointment.objects.filter(course=urgent).order_by("starts_at")
    assert booked.count() == 6
    assert booked[0].starts_at == full_monday["session"].starts_at
    assert WaitlistEntry.objects.get(course=urgent).status == "booked"
    again = client.post(f"/scheduling/offers/{token}/", {"answer": "accept"})
    assert again.status_code == 410  # one-time link


def test_an_expired_offer_goes_to_the_next_patient(
    full_monday, make_course, make_patient, clinic, staff, django_capture_on_commit_callbacks
):
    first = make_course(make_patient(clinic, last_name="First"), "racemic_iv", "iv-depression")
    second = make_course(make_patient(clinic, last_name="Second"), "racemic_iv", "iv-depression")
    _join(first, staff)
    _join(second, staff)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(
            appointment=full_monday["session"],
            reason="Unwell",
            origin=full_monday["origin"],
            at=timezone.now(),
        )
    offer = WaitlistOffer.objects.get()
    assert offer.entry.course == first
    assert offers_expire(at=offer.expires_at - dt.timedelta(minutes=1)) == 0
    assert offers_expire(at=offer.expires_at) == 1
    offer.refresh_from_db()
    assert offer.status == "expired"
    assert WaitlistEntry.objects.get(course=first).status == "waiting"
    latest = WaitlistOffer.objects.latest("created_at")
    assert latest.entry.course == second and latest.status == "open"
    assert mail.outbox[-1].to == [second.patient.email]


def test_an_earlier_slot_moves_the_booked_session_and_a_taken_slot_is_refused_kindly(
    full_monday,
    make_course,
    make_patient,
    clinic,
    staff,
    ready,
    client,
    django_capture_on_commit_callbacks,
):
    later = make_course(make_patient(clinic, last_name="Later"), "racemic_iv", "iv-depression")
    weeks_later = full_monday["monday"] + dt.timedelta(days=14)
    [session] = series_book(
        course=later,
        phase=None,
        slots=[SlotChoice(at(weeks_later, "09:00", clinic.zone), ready["Chair 2"].pk)],
        origin=full_monday["origin"],
        at=timezone.now(),
    )
    _join(later, staff, wants="earlier", appointment=session)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(
            appointment=full_monday["session"],
            reason="Unwell",
            origin=full_monday["origin"],
            at=timezone.now(),
        )
    offer = WaitlistOffer.objects.get()
    assert "an earlier appointment has become available" in mail.outbox[0].body
    # Someone books the freed time before the patient answers.
    other = make_course(make_patient(clinic, last_name="Quick"), "racemic_iv", "iv-depression")
    series_book(
        course=other,
        phase=None,
        slots=[SlotChoice(offer.starts_at, ready["Chair 2"].pk)],
        origin=full_monday["origin"],
        at=timezone.now(),
    )
    answer = client.post(f"/scheduling/offers/{_token(mail.outbox[0])}/", {"answer": "accept"})
    assert answer.status_code == 409 and "taken before you answered" in answer.content.decode()
    session.refresh_from_db()
    assert session.starts_at == at(weeks_later, "09:00", clinic.zone)  # unchanged
    assert WaitlistEntry.objects.get(course=later).status == "waiting"


def test_the_waitlist_api_paths(client_for, make_course, make_patient, clinic, ready):
    course = make_course(make_patient(clinic, last_name="Api"), "racemic_iv", "iv-depression")
    desk = client_for("front_desk")
    status, entry = call(
        desk,
        "post",
        "/api/v1/scheduling/waitlist",
        {"course_id": course.pk, "wants": "first_series"},
    )
    assert status == 201 and entry["status"] == "waiting"
    status, _ = call(
        desk,
        "post",
        f"/api/v1/scheduling/waitlist/{entry['id']}/priority",
        {"priority": 2, "reason": "SI"},
    )
    assert status == 403
    status, raised = call(
        client_for("prescriber"),
        "post",
        f"/api/v1/scheduling/waitlist/{entry['id']}/priority",
        {"priority": 2, "reason": "Suicidal ideation"},
    )
    assert status == 200 and raised["priority"] == 2
    status, again = call(
        desk,
        "post",
        "/api/v1/scheduling/waitlist",
        {"course_id": course.pk, "wants": "first_series"},
    )
    assert status == 409 and "already on the waitlist" in again["detail"]
    assert call(desk, "delete", f"/api/v1/scheduling/waitlist/{entry['id']}")[0] == 200


def test_the_dashboard_counts_the_waitlist_and_its_urgent_entries(
    make_course, make_patient, clinic, staff, ready, client_for
):
    for n, (priority, role) in enumerate([(0, "front_desk"), (2, "prescriber"), (0, "nurse")]):
        course = make_course(
            make_patient(clinic, last_name=f"Wait{n}"), "racemic_iv", "iv-depression"
        )
        _join(
            course,
            staff,
            priority=priority,
            reason="Suicidal ideation" if priority else "",
            role=role,
        )
    dashboard = client_for("front_desk").get("/").content.decode()
    assert "Today: 0 booked" in dashboard
    assert "Waitlist: 3 (1 urgent)" in dashboard
