"""The patient's side: a waitlist offer and a reminder opened from their one-time links (no
sign-in), the portal's appointments page with preparation and iCalendar files, a change request;
and the staff feed served by its private token."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import Route
from ketacare.core.access import require_patient
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError, NotFound, Refused
from ketacare.core.pages import page_errors, posted
from ketacare.patients.models import Patient
from ketacare.scheduling import feeds, reminders, waitlist
from ketacare.scheduling.models import ChangeRequest
from ketacare.scheduling.protocol import scheduling_protocol
from ketacare.treatment.models import Appointment
from ketacare.treatment.preparation import instructions


def _link_invalid(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "scheduling/link_invalid.html", {"reason": error.message}, status=410)


def offer_page(request: HttpRequest, token: str) -> HttpResponse:
    """A waitlist offer: the time(s) offered, accept or decline (works once)."""
    act = action(request)
    try:
        offer = waitlist.offer_resolve(token, at=act.at)
        if request.method == "POST":
            answer = request.POST.get("answer")
            offer = waitlist.offer_answer(token=token, accept=answer == "accept", **act.stamp)
            return render(request, "scheduling/offer_done.html", {"offer": offer})
    except waitlist.OfferInvalid as invalid:
        return _link_invalid(request, invalid)
    except Refused as taken:
        return render(request, "scheduling/offer_done.html", {"error": taken.message}, status=409)
    zone = offer.clinic.zone
    slots = [dt.datetime.fromisoformat(s["start"]).astimezone(zone) for s in offer.slots]
    return render(request, "scheduling/offer.html", {"offer": offer, "slots": slots})


def reminder_page(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a reminder: confirm, or ask for another time (works once)."""
    act = action(request)
    try:
        link = reminders.reminder_link_resolve(token, at=act.at)
        if request.method == "POST":
            link = reminders.reminder_answer(
                token=token, **posted(request, "answer", "note"), **act.stamp
            )
            return render(request, "scheduling/reminder_done.html", {"link": link})
    except (reminders.ReminderLinkInvalid, Refused) as invalid:
        return _link_invalid(request, invalid)
    return render(request, "scheduling/reminder.html", {"appointment": link.appointment})


def _patient(request: HttpRequest) -> Patient:
    return Patient.objects.select_related("clinic").get(pk=request.access.patient_id)


def _upcoming(patient: Patient, at: dt.datetime):
    return (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, ends_at__gte=at
        )
        .select_related("course", "clinic", "booking")
        .order_by("starts_at")
    )


def _audit_patient(request, patient: Patient, summary: str, act) -> None:
    audit_read(
        act,
        object_type="portal_appointments",
        patient=patient,
        clinic_id=patient.clinic_id,
        summary=summary,
    )


@require_patient
def portal_appointments(request: HttpRequest) -> HttpResponse:
    act = action(request)
    patient = _patient(request)
    rows = list(_upcoming(patient, act.at))
    protocol = scheduling_protocol(patient.clinic)
    preparation = {}
    for route in {a.course.route for a in rows if a.course_id}:
        preparation[route] = instructions(route, protocol.treatment.monitoring[Route(route)])
    _audit_patient(request, patient, "The patient viewed their appointments", act)
    return render(
        request,
        "scheduling/portal.html",
        {
            "patient": patient,
            "appointments": [
                (a, preparation.get(a.course.route, []) if a.course_id else []) for a in rows
            ],
            "requested": set(
                ChangeRequest.objects.filter(
                    appointment__in=rows, handled_at__isnull=True
                ).values_list("appointment_id", flat=True)
            ),
        },
    )


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_patient
def portal_ics(request: HttpRequest, appointment_id: int | None = None) -> HttpResponse:
    """One appointment, or every upcoming one, as an iCalendar file."""
    act = action(request)
    patient = _patient(request)
    rows = _upcoming(patient, act.at)
    if appointment_id is not None:
        rows = rows.filter(pk=appointment_id)
        if not rows:
            raise NotFound("No such appointment.")
    _audit_patient(request, patient, "The patient downloaded their appointments (iCalendar)", act)
    name = f"appointment-{appointment_id}.ics" if appointment_id else "appointments.ics"
    return _ics(feeds.patient_ics(rows, at=act.at), name)


def _portal_back(request, error: DomainError, appointment_id: int) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("scheduling:portal")


@require_POST
@require_patient
@page_errors(_portal_back)
def portal_change_request(request: HttpRequest, appointment_id: int) -> HttpResponse:
    act = action(request)
    patient = _patient(request)
    appointment = _upcoming(patient, act.at).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound("No such appointment.")
    reminders.change_request_create(
        appointment=appointment,
        note=request.POST.get("note", ""),
        source=ChangeRequest.Source.PORTAL,
        origin=RequestOrigin(
            actor=request.user,
            actor_label=f"patient {patient.mrn} (portal)",
            ip_address=act.origin.ip_address,
            user_agent=act.origin.user_agent,
        ),
        at=act.at,
    )
    messages.success(request, "Thank you: the clinic will contact you to find another time.")
    return redirect("scheduling:portal")


def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """A staff member's private feed (initials and MRN only); 404 once revoked."""
    act = action(request)
    feed = feeds.feed_resolve(token)
    body, rows = feeds.staff_ics(feed, at=act.at)
    audit_record(
        origin=RequestOrigin(
            actor=feed.user,
            actor_label=f"calendar feed of {feed.user}",
            ip_address=act.origin.ip_address,
            user_agent=act.origin.user_agent,
        ),
        action="view",
        object_type="calendar_feed",
        object_id=feed.pk,
        clinic_id=feed.clinic_id,
        summary=f"Calendar feed fetched ({len(rows)} sessions)",
        changes={"patient_ids": sorted({a.patient_id for a in rows})},
        at=act.at,
    )
    return _ics(body, "sessions.ics")
