"""The nurse's session screen and its actions: parse the post, call a service, render.

Every action redirects back to the screen (or returns the live partial to htmx); a refusal
re-renders the screen with the reason (409), bad input with the field errors (422)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketacare.assessments.selectors import form_spec as cadss_form_spec
from ketacare.clinical.session_flow import ABORTABLE_STATES, CANCELLABLE_STATES
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DOMAIN_ERRORS, DomainError, Invalid, as_domain_error
from ketacare.core.pages import flash_back, form_post, page_errors, posted
from ketacare.core.roles import Capability
from ketacare.sessions import forms as f
from ketacare.sessions import services
from ketacare.sessions.chart import vitals_chart
from ketacare.sessions.records import InvalidEntry
from ketacare.sessions.selectors import (
    ACK_ACTIONS,
    DOCUMENTING_STATES,
    RECORDING_STATES,
    administration_summary,
    appointment_get,
    first_treatment,
    form_view,
    is_esketamine,
    rems_enrolled,
    session_alert_get,
    session_get,
    session_page_get,
    session_screen,
)
from ketacare.sessions.services import administration_record


def _context(request, session, **extra) -> dict:
    now = timezone.now()
    screen = session_screen(session, now=now)
    context = {
        "screen": screen,
        "session": session,
        "now": now,
        "chart": vitals_chart(
            [r.entry for r in screen.rows],
            screen.protocol,
            start=session.dosing_started_at or session.checked_in_at,
        ),
        "ack_actions": ACK_ACTIONS.items(),
        "pump_adjustable": ("running", "paused"),
        "crisis_choices": f.CRISIS_CHOICES,
        "answer_choices": f.ANSWER_CHOICES,
        "flags": {
            "recording": session.state in RECORDING_STATES,
            "documenting": session.state in DOCUMENTING_STATES,
            "cancellable": session.state in CANCELLABLE_STATES,
            "abortable": session.state in ABORTABLE_STATES,
            "addenda": session.state in services.ADDENDUM_STATES,
        },
        "values": {},
        "errors": {},
    }
    return context | extra


def _questions(questions, values) -> list[tuple[str, str, str]]:
    return [(name, label, (values.get(name) or "unknown")) for name, label in questions]


def _render(request, session, *, status=200, template="sessions/session.html", **extra):
    context = _context(request, session, **extra)
    if template == "sessions/session.html":
        context |= {
            "precheck_questions": _questions(f.PRECHECK_QUESTIONS, context["values"]),
            "discharge_questions": _questions(f.DISCHARGE_QUESTIONS, context["values"]),
            "side_effect_choices": f.SIDE_EFFECT_CHOICES,
            "severity_choices": f.SEVERITY_CHOICES,
            "first_dose_default": f.first_dose_default(
                session.route, session.order.dose_mg if session.order_id else None
            ),
            "bag_diluent_default": f.bag_diluent_default(
                session.order if session.order_id else None
            ),
            "instructions_default": f.discharge_instructions_default(session.clinic),
            "side_effects": list(session.side_effects.select_related("recorded_by")),
            "observations": list(session.observations.all()),
            # CADSS-6 items with the clinic's loaded wording (their CADSS numbers until then).
            "cadss": cadss_form_spec(session.clinic, "cadss6"),
            "addenda": list(session.addenda.select_related("created_by")),
            "admin_events": list(session.administration.all()),
            "esketamine": is_esketamine(session),
        }
        if is_esketamine(session):
            context["rems"] = {
                "first_treatment": first_treatment(session),
                "enrolled": rems_enrolled(session),
                "form": form_view(session),
            }
    return render(request, template, context, status=status)


def _refused(request, error: DomainError, session, *args, **kwargs) -> HttpResponse:
    """The screen again with the refusal (409) or the field errors (422)."""
    if isinstance(error, Invalid):
        errors = error.fields or {"form": error.message}
        return _render(request, session, status=error.status, errors=errors, values=request.POST)
    return _render(
        request, session, status=error.status, refusal=error.message, refusal_details=error.details
    )


def session_action(view):
    """Find the session in the caller's clinic and run the action; refusals are mapped once, by
    ``page_errors``, to the screen with the reason."""
    mapped = page_errors(_refused)(view)

    @wraps(view)
    def wrapped(request, session_id: int, *args, **kwargs):
        return mapped(request, session_get(request.access, session_id), *args, **kwargs)

    return wrapped


def session_post(capability: Capability):
    """A form's POST on the session page: POST only, the role must hold ``capability``, then
    ``session_action``."""

    def decorator(view):
        return require_POST(require_capability(capability)(session_action(view)))

    return decorator


def _back(session, anchor: str = "") -> HttpResponse:
    return redirect(
        reverse("sessions:detail", args=[session.pk]) + (f"#{anchor}" if anchor else "")
    )


@require_GET
@require_capability(Capability.CHART_VIEW)
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    act = action(request)
    session = session_page_get(act.access, session_id)
    audit_read(
        act,
        object_type="treatment_session",
        record=session,
        clinic_id=session.clinic_id,
        summary="Viewed the session record",
    )
    return _render(request, session)


@require_GET
@require_capability(Capability.CHART_VIEW)
def session_live(request: HttpRequest, session_id: int) -> HttpResponse:
    """The polled part of the screen: status, alerts, schedule, administration, flowsheet."""
    session = session_page_get(request.access, session_id)
    return _render(request, session, template="sessions/_live.html")


@form_post(
    Capability.SESSION_DOCUMENT,
    flash_back(lambda request, appointment_id: reverse("sessions:board")),
)
def appointment_check_in(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = appointment_get(request.access, appointment_id)
    act = action(request)
    session = services.session_open(appointment=appointment, **act.stamp)
    if session.state == "scheduled":
        services.session_check_in(session=session, **act.stamp)
    messages.success(request, f"{appointment.patient.full_name} checked in.")
    return _back(session)


@session_post(Capability.SESSION_DOCUMENT)
def check_in(request, session):
    act = action(request)
    services.session_check_in(session=session, **act.stamp)
    return _back(session)


@session_post(Capability.SESSION_DOCUMENT)
def prechecks(request, session):
    act = action(request)
    now = act.at
    p = f.Parsed(request.POST)
    entry = services.PrecheckInput(
        last_food_at=p.hours_ago("food_hours", "Hours since food", now),
        last_liquid_at=p.hours_ago("liquid_hours", "Hours since liquids", now),
        vitals={k: v for k, v in f.parse_vitals(p, "pre_").items() if k != "moaas_level"},
        **{name: p.answer(name) for name, _ in f.PRECHECK_QUESTIONS},
    )
    if p.errors:
        return _render(request, session, status=422, errors=p.errors, values=request.POST)
    failures = services.session_prechecks(session=session, entry=entry, origin=act.origin, at=now)
    if failures:
        session.refresh_from_db()
        return _render(
            request,
            session,
            status=409,
            refusal=f"{len(failures)} pre-check(s) failed: dosing is blocked.",
        )
    messages.success(request, "Pre-checks passed.")
    return _back(session)


@session_post(Capability.SESSION_OVERRIDE)
def override(request, session):
    act = action(request)
    services.session_override(
        session=session,
        actor=act.actor,
        reason=request.POST.get("reason", ""),
        **act.stamp,
    )
    messages.success(request, "Failed pre-checks overridden; dosing may start.")
    return _back(session)


@session_post(Capability.SESSION_DOCUMENT)
def start_dosing(request, session):
    act = action(request)
    p = f.Parsed(request.POST)
    kwargs = {
        "vial_concentration_mg_per_ml": p.decimal(
            "vial_concentration_mg_per_ml", "Vial concentration"
        ),
        "bag_drug_mg": p.decimal("bag_drug_mg", "Drug in the bag"),
        "bag_diluent_ml": p.decimal("bag_diluent_ml", "Diluent"),
        "bag_volume_ml": p.decimal("bag_volume_ml", "Final bag volume"),
        "rate_ml_per_h": p.decimal("rate_ml_per_h", "Rate"),
        "dose_mg": p.decimal("dose_mg", "Dose"),
    }
    if p.errors:
        return _render(request, session, status=422, errors=p.errors, values=request.POST)
    services.session_start_dosing(
        session=session,
        lot_number=p.text("lot_number"),
        **act.stamp,
        **kwargs,
    )
    messages.success(request, "Dosing started.")
    return _back(session, "vitals")


@session_post(Capability.SESSION_DOCUMENT)
def administration(request, session):
    act = action(request)
    p = f.Parsed(request.POST)
    rate = p.decimal("rate_ml_per_h", "Rate")
    dose = p.decimal("dose_mg", "Dose")
    if p.errors:
        return _render(request, session, status=422, errors=p.errors, values=request.POST)
    now = act.at
    administration_record(
        session=session,
        kind=p.text("kind"),
        given_at=now,
        origin=act.origin,
        at=now,
        rate_ml_per_h=rate,
        dose_mg=dose,
        reason=p.text("reason"),
    )
    return _back(session, "administration")


@session_post(Capability.SESSION_DOCUMENT)
def end_dosing(request, session):
    act = action(request)
    services.session_end_dosing(
        session=session,
        **act.stamp,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, "Dosing ended: recovery observation started.")
    summary = administration_summary(session, now=act.at)
    if summary.undelivered_mg:
        messages.warning(
            request,
            f"{summary.undelivered_mg:.2f} mg was made up but not given: record the waste with a "
            "second licensed witness.",
        )
    return _back(session, "vitals")


@session_post(Capability.SESSION_DOCUMENT)
def vitals(request, session):
    act = action(request)
    p = f.Parsed(request.POST)
    values = f.parse_vitals(p)
    asked = request.POST.get("crisis_asked") == "yes"
    symptoms = request.POST.getlist("crisis_symptoms") if asked else None
    now = act.at
    try:
        if p.errors:
            raise InvalidEntry(" ".join(p.errors.values()), next(iter(p.errors)))
        _, opened, _ = services.vitals_record(
            session=session,
            values=values,
            taken_at=now,
            origin=act.origin,
            at=now,
            crisis_symptoms=symptoms,
        )
    except DOMAIN_ERRORS as raised:
        problem = as_domain_error(raised)
        if not request.htmx and not isinstance(problem, Invalid):
            raise  # a refusal (e.g. a locked record) is the whole screen's, shown at the top
        # Shown inside "Record vitals" only: the other forms' errors stay out of it.
        return _render(
            request,
            session,
            status=problem.status,
            template="sessions/_vitals_saved.html" if request.htmx else "sessions/session.html",
            vitals_errors=problem.fields or {"form": problem.message},
            vitals_values=request.POST,
        )
    if request.htmx:
        return _render(request, session, template="sessions/_vitals_saved.html")
    for alert in opened:
        messages.error(request, f"Alert: {alert.message}")
    return _back(session, "vitals")


@session_post(Capability.ALERT_ACKNOWLEDGE)
def acknowledge(request, session, alert_id: int):
    act = action(request)
    alert = session_alert_get(session, alert_id)
    p = f.Parsed(request.POST)
    slowed_to = p.decimal("rate_ml_per_h", "New rate")
    if p.errors:
        raise InvalidEntry(" ".join(p.errors.values()), "rate_ml_per_h")
    services.vitals_alert_acknowledge(
        session=session,
        alert=alert,
        actions=request.POST.getlist("actions"),
        note=request.POST.get("note", ""),
        **act.stamp,
        slowed_to_ml_per_h=slowed_to,
    )
    if request.htmx:
        return _render(request, session, template="sessions/_live.html")
    messages.success(request, "Alert acknowledged.")
    return _back(session, "alerts")


@session_post(Capability.SESSION_DOCUMENT)
def observation(request, session):
    act = action(request)
    p = f.Parsed(request.POST)
    answers = [p.int(f"cadss_{i}", f"CADSS-6 item {i}", low=0, high=4) for i in range(1, 7)]
    if p.errors or any(a is None for a in answers):
        raise InvalidEntry("Rate all six CADSS-6 items (0–4)", "cadss")
    now = act.at
    services.observation_record(
        session=session,
        instrument="cadss6",
        answers=answers,
        observed_at=now,
        origin=act.origin,
        at=now,
    )
    return _back(session, "observations")


@session_post(Capability.SESSION_DOCUMENT)
def side_effect(request, session):
    act = action(request)
    now = act.at
    row = services.side_effect_record(
        session=session,
        **posted(request, "effect", "severity", "note", "intervention"),
        observed_at=now,
        origin=act.origin,
        at=now,
        serious_adverse_event=request.POST.get("serious") == "yes",
    )
    if row.serious_adverse_event:
        messages.error(request, "Serious adverse event recorded and flagged for reporting.")
    return _back(session, "observations")


@session_post(Capability.SESSION_DOCUMENT)
def discharge(request, session):
    act = action(request)
    p = f.Parsed(request.POST)
    answers = {name: p.answer(name) for name, _ in f.DISCHARGE_QUESTIONS}
    ready = p.local_datetime("ready_to_leave_at", session.clinic.zone, "Ready to leave")
    if p.errors:
        return _render(request, session, status=422, errors=p.errors, values=request.POST)
    override_reason = p.text("override_reason")
    services.session_discharge(
        session=session,
        answers=answers,
        instructions=p.text("instructions"),
        **act.stamp,
        actor=act.actor,
        override_reason=override_reason,
        ready_to_leave_at=ready,
    )
    messages.success(request, "Patient discharged.")
    return _back(session)


def _record(request, session, service, done: str, anchor: str = "", **fields) -> HttpResponse:
    """Call ``service`` for the session with the action context, say ``done``, back to the
    screen (refusals are mapped by ``session_action``)."""
    act = action(request)
    service(session=session, **act.stamp, **fields)
    messages.success(request, done)
    return _back(session, anchor)


@session_post(Capability.SESSION_DOCUMENT)
def sign(request, session):
    return _record(
        request, session, services.session_sign, "Session signed. The record is now locked."
    )


@session_post(Capability.SESSION_COSIGN)
def cosign(request, session):
    return _record(request, session, services.session_cosign, "Session co-signed.")


@session_post(Capability.SESSION_DOCUMENT)
def cancel(request, session):
    fields = posted(request, "reason")
    return _record(request, session, services.session_cancel, "Session cancelled.", **fields)


@session_post(Capability.SESSION_DOCUMENT)
def abort(request, session):
    fields = posted(request, "reason")
    return _record(request, session, services.session_abort, "Session aborted.", **fields)


@session_post(Capability.SESSION_DOCUMENT)
def addendum(request, session):
    fields = posted(request, "text", "reason")
    return _record(
        request, session, services.session_addendum, "Addendum added.", "addenda", **fields
    )
