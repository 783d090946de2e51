"""Finding and booking slots for a course in one step, and the patient's scheduling
preferences. The search is a GET (a read); booking a proposal is one POST that checks every
slot again."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError, Invalid, as_domain_error
from ketacare.core.models import User
from ketacare.core.pages import page_errors
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patient_get
from ketacare.scheduling import resources, selectors, services
from ketacare.scheduling.finding import Preferences, slots_find
from ketacare.scheduling.models import WEEKDAY_CHOICES

PHASES = (
    ("induction", "Induction series"),
    ("maintenance", "Maintenance sessions"),
    ("booster", "Booster series"),
    ("single", "One session"),
)


def _time(value: str, field: str, errors: dict) -> dt.time | None:
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        errors[field] = "Give a time such as 09:30."
        return None


def _search_values(request: HttpRequest, errors: dict, zone, stored: Preferences) -> dict:
    data = request.GET
    weekdays = [int(d) for d in data.getlist("weekdays") if d.isdigit() and int(d) <= 6]
    if "phase" not in data:  # first visit: the patient's stored preferences
        weekdays = sorted(stored.weekdays or [])
    sessions = data.get("sessions", "")
    values = {
        "phase": data.get("phase", "induction"),
        "sessions": sessions,
        "step": data.get("step", "0"),
        "from": data.get("from", ""),
        "weekdays": weekdays,
        "earliest": data.get("earliest", f"{stored.earliest:%H:%M}" if stored.earliest else ""),
        "latest": data.get("latest", f"{stored.latest_start:%H:%M}" if stored.latest_start else ""),
    }
    if values["phase"] not in dict(PHASES):
        errors["phase"] = "Choose what to book."
    if sessions and (not sessions.isdigit() or not 1 <= int(sessions) <= 30):
        errors["sessions"] = "Give a number of sessions from 1 to 30."
    if values["from"]:
        try:
            dt.date.fromisoformat(values["from"])
        except ValueError:
            errors["from"] = "Give a date such as 2026-03-02."
    return values


def _book_page(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(act.access, course_id)
    zone = act.clinic.zone
    errors: dict[str, str] = {}
    stored = Preferences.stored(course)
    values = _search_values(request, errors, zone, stored)
    found, error = None, None
    if "phase" in request.GET and not errors:
        earliest = _time(values["earliest"], "earliest", errors)
        latest = _time(values["latest"], "latest", errors)
        start = act.at
        if values["from"]:
            start = max(
                start,
                dt.datetime.combine(
                    dt.date.fromisoformat(values["from"]), dt.time.min, tzinfo=zone
                ),
            )
        if not errors:
            try:
                found = slots_find(
                    course=course,
                    phase=None if values["phase"] == "single" else values["phase"],
                    sessions=int(values["sessions"]) if values["sessions"] else None,
                    step=int(values["step"]) if values["step"].isdigit() else 0,
                    not_before=start,
                    at=act.at,
                    preferences=Preferences(
                        weekdays=frozenset(values["weekdays"]) or None,
                        earliest=earliest,
                        latest_start=latest,
                    ),
                )
            except ClinicalRuleError as refused:
                error = as_domain_error(refused)
            audit_read(
                act, object_type="slot_search", record=course, summary="Searched slots for a course"
            )
    return _render(request, course, values, found=found, error=error, errors=errors)


def _render(request, course, values, *, found=None, error=None, errors=None, status=200):
    chairs = {c.pk: c.name for c in selectors.active_chairs(course.clinic)}
    people = {}
    if found:
        ids = {s.nurse_id for p in found.proposals for s in p} | {
            s.prescriber_id for p in found.proposals for s in p
        }
        people = {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)}
    return render(
        request,
        "scheduling/book.html",
        {
            "course": course,
            "patient": course.patient,
            "values": values,
            "phases": PHASES,
            "weekday_choices": WEEKDAY_CHOICES,
            "found": found,
            "chairs": chairs,
            "people": people,
            "error": error,
            "errors": errors or (error.fields if error else {}),
            "booking_phase": "" if values.get("phase") == "single" else values.get("phase"),
        },
        status=status,
    )


def _book_refused(request, error: DomainError, course_id: int) -> HttpResponse:
    course = selectors.course_get(request.access, course_id)
    values = {"phase": request.POST.get("phase") or "single", "weekdays": []}
    return _render(request, course, values, error=error, status=error.status)


@page_errors(_book_refused)
def _book_post(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(act.access, course_id)
    zone = act.clinic.zone
    starts = request.POST.getlist("slot_start")
    chairs = request.POST.getlist("slot_chair")
    nurses = request.POST.getlist("slot_nurse")
    if not starts or not len(starts) == len(chairs) == len(nurses):
        raise Invalid.field("slots", "Choose a proposal to book.")
    try:
        slots = [
            services.SlotChoice(
                dt.datetime.fromisoformat(s).astimezone(zone),
                int(c),
                int(n) if n else None,
            )
            for s, c, n in zip(starts, chairs, nurses, strict=True)
        ]
    except ValueError:
        raise Invalid.field(
            "slots", "The proposal could not be read; find the slots again."
        ) from None
    phase = request.POST.get("phase") or None
    booked = services.series_book(
        course=course,
        phase=phase,
        step=int(request.POST.get("step", "0") or 0),
        slots=slots,
        **act.stamp,
    )
    first = booked[0].starts_at.astimezone(zone)
    messages.success(
        request,
        f"Booked {len(booked)} session{'s' if len(booked) != 1 else ''} from "
        f"{first:%a %d %b %H:%M}; each carries its preparation instructions.",
    )
    return redirect(f"{reverse('scheduling:calendar')}?day={first.date().isoformat()}")


@require_capability(Capability.APPOINTMENT_BOOK)
def book(request: HttpRequest, course_id: int) -> HttpResponse:
    """Find slots (GET) and book one proposal (POST) for a course."""
    if request.method == "POST":
        return _book_post(request, course_id)
    return _book_page(request, course_id)


def _preferences_refused(request, error: DomainError, patient_id: int) -> HttpResponse:
    messages.error(request, error.message)
    return redirect("scheduling:preferences", patient_id=patient_id)


@require_capability(Capability.APPOINTMENT_BOOK)
@page_errors(_preferences_refused)
def preferences(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The days and times the patient can come, and how they want reminders."""
    act = action(request)
    patient = patient_get(act.access, patient_id)
    if request.method == "POST":
        errors: dict[str, str] = {}
        earliest = _time(request.POST.get("earliest", ""), "earliest", errors)
        latest = _time(request.POST.get("latest", ""), "latest_start", errors)
        if errors:
            raise Invalid("Check the times.", fields=errors)
        resources.preferences_set(
            patient=patient,
            weekdays=[int(d) for d in request.POST.getlist("weekdays") if d.isdigit()],
            earliest=earliest,
            latest_start=latest,
            email_reminders=request.POST.get("email_reminders") == "on",
            sms_reminders=request.POST.get("sms_reminders") == "on",
            **act.stamp,
        )
        messages.success(request, "Preferences saved.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("patients:detail", args=[patient.pk])
        return redirect(target)
    audit_read(
        act,
        object_type="scheduling_preferences",
        patient=patient,
        summary="Viewed scheduling preferences",
    )
    return render(
        request,
        "scheduling/preferences.html",
        {
            "patient": patient,
            "prefs": selectors.preferences_of(patient),
            "weekday_choices": WEEKDAY_CHOICES,
            "next": request.GET.get("next", ""),
        },
    )
