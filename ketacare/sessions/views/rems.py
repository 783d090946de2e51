"""REMS pages: forms due, one session's Patient Monitoring Form (view, answers, export,
submission) and the patient's enrolment."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError
from ketacare.core.pages import posted
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patients_in_scope
from ketacare.sessions import selectors, services
from ketacare.sessions.clinical_records import rems_form_record
from ketacare.sessions.forms import Parsed
from ketacare.sessions.selectors import (
    session_get,
)
from ketacare.treatment.services import rems_enrolment_set


@require_GET
@require_capability(Capability.REMS_VIEW)
def rems_due(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(request.access.clinic.zone).date()
    forms = selectors.forms_due(request.access, today=today)
    return render(request, "sessions/rems_due.html", {"forms": forms, "today": today})


def _form_or_404(request, session_id):
    act = action(request)
    session = session_get(request.access, session_id)
    view = selectors.form_view(session)
    if view is None:
        from django.http import Http404

        raise Http404("No REMS Patient Monitoring Form for this session.")
    audit_read(
        act,
        object_type="rems_form",
        record=session,
        clinic_id=session.clinic_id,
        summary="Viewed the REMS Patient Monitoring Form",
    )
    return session, view


@require_GET
@require_capability(Capability.REMS_VIEW)
def rems_form(request: HttpRequest, session_id: int) -> HttpResponse:
    session, view = _form_or_404(request, session_id)
    data = rems_form_record(view.form)
    record = getattr(session, "rems_form", None)
    return render(
        request,
        "sessions/rems_form.html",
        {
            "session": session,
            "view": view,
            "rows": [(k, data[k]) for k in data],
            "answer_keys": [
                (k, (record.answers.get(k, "") if record else "")) for k in selectors.ANSWER_KEYS
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
                "form": rems_form_record(view.form),
                "missing_fields": view.missing,
                "problems": view.problems,
            },
            indent=2,
        )
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(selectors.csv_text([view.form]), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_POST
@require_capability(Capability.SESSION_DOCUMENT)
def rems_answers(request: HttpRequest, session_id: int) -> HttpResponse:
    act = action(request)
    session = session_get(request.access, session_id)
    answers = {k: request.POST.get(k, "") for k in selectors.ANSWER_KEYS if k in request.POST}
    try:
        services.rems_answers_update(
            session=session,
            answers=answers,
            **act.stamp,
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
        day = dt.date.fromisoformat(raw) if raw else act.at.astimezone(session.clinic.zone).date()
        services.rems_form_submitted(
            session=session,
            submitted_on=day,
            **act.stamp,
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
        rems_enrolment_set(
            patient=patient,
            **posted(request, "status", "enrolment_id", "note"),
            enrolled_on=dt.date.fromisoformat(raw) if raw else None,
            **act.stamp,
        )
    except DomainError as bad:
        messages.error(request, str(bad))
    except ValueError:
        messages.error(request, "Give the enrolment date as YYYY-MM-DD.")
    else:
        messages.success(request, "REMS enrolment recorded.")
    return redirect("patients:detail", patient_id=patient.pk)
