"""At-home sessions: the staff list and the patient's own log in the portal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.clinical.session_flow import SideEffect, SideEffectSeverity
from ketacare.core.access import require_capability, require_patient
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.roles import Capability
from ketacare.patients.models import Patient
from ketacare.sessions import selectors, services
from ketacare.sessions.forms import Parsed
from ketacare.sessions.models import AtHomeSession
from ketacare.sessions.selectors import (
    at_home_in_scope,
)


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
    course = selectors.at_home_course(patient)
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
                services.at_home_log(
                    patient=patient,
                    entry=services.AtHomeEntry(
                        started_at=started,
                        ended_at=ended,
                        sitter_present=sitter == "yes",
                        dose_taken_mg=p.text("dose_taken_mg"),
                        phq9_answers=phq9,
                        systolic_mmhg=sys_,
                        diastolic_mmhg=dia,
                        side_effects=effects,
                    ),
                    **act.stamp,
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
            "logs": list(AtHomeSession.objects.filter(patient=patient)[:10]),
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
