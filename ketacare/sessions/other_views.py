"""The today board, the monitoring-protocol page, at-home logs (staff and portal), REMS pages."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.audit.services import audit_record
from ketacare.clinical.common import ROUTE_LABELS, ClinicalRuleError, Route
from ketacare.clinical.session_flow import SideEffect, SideEffectSeverity
from ketacare.core.access import require_capability, require_patient
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.roles import Capability
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patients_in_scope
from ketacare.sessions import athome, remsforms
from ketacare.sessions.forms import Parsed
from ketacare.sessions.protocol import keys_set_elsewhere, protocol_for, protocol_update
from ketacare.sessions.selectors import (
    at_home_in_scope,
    session_get,
    today_appointments_without_chair,
    today_board,
)

# --- the today board --------------------------------------------------------------------------


def _board_context(request) -> dict:
    now = timezone.now()
    return {
        "rows": today_board(request.access, now=now),
        "unplaced": today_appointments_without_chair(request.access, now=now),
        "now": now,
        "clinic": request.access.clinic,
    }


@require_GET
@require_capability(Capability.SESSION_DOCUMENT)
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/board.html", _board_context(request))


@require_GET
@require_capability(Capability.SESSION_DOCUMENT)
def board_live(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/_board.html", _board_context(request))


# --- the monitoring protocol ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_capability(Capability.PROTOCOL_VIEW)
def protocol(request: HttpRequest) -> HttpResponse:
    act = action(request)
    route = request.GET.get("route") or request.POST.get("route") or Route.RACEMIC_IV.value
    try:
        route = Route(route)
    except ValueError:
        route = Route.RACEMIC_IV
    clinic = request.access.clinic
    errors: dict[str, str] = {}
    if request.method == "POST":
        request.access.require(Capability.PROTOCOL_EDIT)
        p = Parsed(request.POST)
        current = protocol_for(clinic, route)
        values = {s.key: p.int(s.key, s.label) for s in current.settings()}
        errors = dict(p.errors)
        if not errors:
            try:
                protocol_update(
                    clinic=clinic,
                    route=route,
                    values=values,
                    origin=act.origin,
                    at=act.at,
                )
            except ClinicalRuleError as bad:
                errors["form"] = str(bad)
            else:
                messages.success(request, f"{ROUTE_LABELS[route]} monitoring protocol saved.")
                return redirect(f"{request.path}?route={route.value}")
    current = protocol_for(clinic, route)
    return render(
        request,
        "sessions/protocol.html",
        {
            "route": route,
            "routes": [(r.value, ROUTE_LABELS[r]) for r in Route],
            "protocol": current,
            "settings": current.settings(),
            "errors": errors,
            "editable": request.access.can(Capability.PROTOCOL_EDIT),
            "elsewhere": keys_set_elsewhere(),
            "elsewhere_url": _url_or_none("treatment:protocol"),
        },
        status=422 if errors else 200,
    )


def _url_or_none(name: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# --- at-home sessions -------------------------------------------------------------------------


@require_GET
@require_capability(Capability.CHART_VIEW)
def at_home_list(request: HttpRequest) -> HttpResponse:
    rows = list(at_home_in_scope(request.access)[:100])
    return render(request, "sessions/at_home_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@require_patient
def portal_at_home(request: HttpRequest) -> HttpResponse:
    act = action(request)
    patient = Patient.objects.select_related("clinic").get(pk=request.access.patient_id)
    course = athome.at_home_course(patient)
    errors: dict[str, str] = {}
    if request.method == "POST" and course is not None:
        p = Parsed(request.POST)
        zone = patient.clinic.zone
        started = p.local_datetime("started_at", zone, "Start")
        ended = p.local_datetime("ended_at", zone, "End")
        sys_ = p.int("systolic_mmhg", "Systolic", low=20, high=300)
        dia = p.int("diastolic_mmhg", "Diastolic", low=10, high=250)
        phq9 = [p.int(f"phq9_{i}", f"Question {i}", low=0, high=3) for i in range(1, 10)]
        effects = [
            {"effect": e, "severity": request.POST.get(f"severity_{e}", "mild")}
            for e in request.POST.getlist("side_effects")
        ]
        sitter = request.POST.get("sitter_present")
        for name, value, label in (
            ("started_at", started, "the start"),
            ("ended_at", ended, "the end"),
        ):
            if value is None and name not in p.errors:
                p.errors[name] = f"Give {label} time"
        if any(v is None for v in phq9):
            p.errors.setdefault("phq9", "Answer all nine questions")
        if sitter not in ("yes", "no"):
            p.errors["sitter_present"] = "Say whether a sitter was with you"
        errors = dict(p.errors)
        if not errors:
            try:
                athome.at_home_log(
                    patient=patient,
                    entry=athome.AtHomeEntry(
                        started_at=started,
                        ended_at=ended,
                        sitter_present=sitter == "yes",
                        dose_taken_mg=p.text("dose_taken_mg"),
                        phq9_answers=phq9,
                        systolic_mmhg=sys_,
                        diastolic_mmhg=dia,
                        side_effects=effects,
                    ),
                    origin=act.origin,
                    now=act.at,
                )
            except DomainError as bad:
                errors.update(bad.fields or {"form": bad.message})
            else:
                messages.success(
                    request, "Thank you — your session log was sent to your care team."
                )
                return redirect("sessions:portal_at_home")
    from ketacare.clinical.instruments import get_instrument

    return render(
        request,
        "sessions/portal_at_home.html",
        {
            "patient": patient,
            "course": course,
            "logs": list(athome.AtHomeSession.objects.filter(patient=patient)[:10]),
            "errors": errors,
            "values": request.POST if errors else {},
            "phq9_items": list(enumerate((i.label for i in get_instrument("phq9").items), 1)),
            "side_effects": [
                (e.value, e.value.replace("_", " ").capitalize())
                for e in SideEffect
                if e is not SideEffect.OTHER
            ],
            "severities": [s.value for s in SideEffectSeverity],
        },
        status=422 if errors else 200,
    )


# --- REMS -------------------------------------------------------------------------------------


@require_GET
@require_capability(Capability.REMS_VIEW)
def rems_due(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(request.access.clinic.zone).date()
    forms = remsforms.forms_due(request.access, today=today)
    return render(request, "sessions/rems_due.html", {"forms": forms, "today": today})


def _form_or_404(request, session_id):
    act = action(request)
    session = session_get(request.access, session_id)
    view = remsforms.form_view(session)
    if view is None:
        from django.http import Http404

        raise Http404("No REMS Patient Monitoring Form for this session.")
    audit_record(
        origin=act.origin,
        at=act.at,
        action="view",
        object_type="rems_form",
        object_id=session.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary="Viewed the REMS Patient Monitoring Form",
    )
    return session, view


@require_GET
@require_capability(Capability.REMS_VIEW)
def rems_form(request: HttpRequest, session_id: int) -> HttpResponse:
    session, view = _form_or_404(request, session_id)
    data = view.form.to_dict()
    record = getattr(session, "rems_form", None)
    return render(
        request,
        "sessions/rems_form.html",
        {
            "session": session,
            "view": view,
            "rows": [(k, data[k]) for k in data],
            "answer_keys": [
                (k, (record.answers.get(k, "") if record else "")) for k in remsforms.ANSWER_KEYS
            ],
        },
    )


@require_GET
@require_capability(Capability.REMS_VIEW)
def rems_form_export(request: HttpRequest, session_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "json"):
        from django.http import Http404

        raise Http404("Export as .csv or .json")
    session, view = _form_or_404(request, session_id)
    name = f"rems-monitoring-form-session-{session.pk}"
    if fmt == "json":
        body = json.dumps(
            {
                "form": view.form.to_dict(),
                "missing_fields": view.missing,
                "problems": view.problems,
            },
            indent=2,
        )
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(remsforms.csv_text([view.form]), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_POST
@require_capability(Capability.SESSION_DOCUMENT)
def rems_answers(request: HttpRequest, session_id: int) -> HttpResponse:
    act = action(request)
    session = session_get(request.access, session_id)
    answers = {k: request.POST.get(k, "") for k in remsforms.ANSWER_KEYS if k in request.POST}
    try:
        remsforms.rems_answers_update(
            session=session,
            answers=answers,
            origin=act.origin,
            now=act.at,
        )
    except DomainError as bad:
        messages.error(request, str(bad))
    else:
        messages.success(request, "REMS answers saved.")
    return redirect("sessions:rems_form", session_id=session.pk)


@require_POST
@require_capability(Capability.SESSION_DOCUMENT)
def rems_submitted(request: HttpRequest, session_id: int) -> HttpResponse:
    act = action(request)
    session = session_get(request.access, session_id)
    p = Parsed(request.POST)
    raw = p.text("submitted_on")
    try:
        day = (
            dt.date.fromisoformat(raw)
            if raw
            else timezone.now().astimezone(session.clinic.zone).date()
        )
        remsforms.rems_form_submitted(
            session=session,
            submitted_on=day,
            origin=act.origin,
            now=act.at,
        )
    except ValueError:
        messages.error(request, "Give the submission date as YYYY-MM-DD.")
    except DomainError as bad:
        messages.error(request, str(bad))
    else:
        messages.success(request, "Form marked as submitted to the REMS.")
    return redirect("sessions:rems_form", session_id=session.pk)


@require_POST
@require_capability(Capability.SESSION_DOCUMENT)
def rems_enrolment(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = get_object_or_404(patients_in_scope(request.access), pk=patient_id)
    raw = (request.POST.get("enrolled_on") or "").strip()
    try:
        remsforms.rems_enrolment_set(
            patient=patient,
            status=request.POST.get("status", ""),
            enrolled_on=dt.date.fromisoformat(raw) if raw else None,
            note=request.POST.get("note", ""),
            origin=act.origin,
            now=act.at,
        )
    except DomainError as bad:
        messages.error(request, str(bad))
    except ValueError:
        messages.error(request, "Give the enrolment date as YYYY-MM-DD.")
    else:
        messages.success(request, "REMS enrolment recorded.")
    return redirect("patients:detail", patient_id=patient.pk)
