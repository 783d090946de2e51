"""Staff pages: due list, a patient's measurements, entry of clinician-rated and paper results,
corrections and the measurement plan. Parse, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.assessments import charts, selectors, services
from ketacare.assessments.forms import (
    form_rows,
    local_input,
    parse_answers,
    parse_local_datetime,
)
from ketacare.assessments.models import AssessmentResponse
from ketacare.assessments.treatments import treatment_times_for
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.models import User
from ketacare.core.roles import Capability, Role
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patient_get


def _audit_view(request: HttpRequest, patient: Patient, what: str, object_id: object = "") -> None:
    audit_read(
        action(request),
        object_type=what,
        object_id=object_id or patient.pk,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        summary=f"Viewed {what.replace('_', ' ')}",
    )


@require_capability(Capability.ASSESSMENT_VIEW)
def due_list(request: HttpRequest) -> HttpResponse:
    """Due and overdue questionnaires across the clinic, overdue first."""
    clinic = request.access.clinic
    now = timezone.now()
    services.due_catch_up(clinic=clinic, at=now)
    due = selectors.DueList(clinic, now=now)
    page = Paginator(due, selectors.DUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/due.html",
        {"page": page, "rows": page.object_list, "counts": due.counts, "clinic": clinic},
    )


def trajectory_context(patient: Patient, treatments) -> list[dict]:
    """Each trajectory with its chart, for the patient page and the chart panel."""
    return [
        {
            "t": t,
            "svg": charts.trajectory_svg(
                t, time_zone=patient.clinic.time_zone, element_id=f"chart-{t.code}"
            ),
        }
        for t in selectors.trajectories(patient, treatments=treatments)
    ]


@require_capability(Capability.ASSESSMENT_VIEW)
def patient_measures(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's measurements: plan, what is due, trajectories with status, every response."""
    patient = patient_get(request.access, patient_id)
    now = timezone.now()
    treatments = treatment_times_for(patient)
    items = selectors.schedule_for(patient, treatments=treatments, now=now)
    _audit_view(request, patient, "assessments")
    return render(
        request,
        "assessments/patient.html",
        {
            "patient": patient,
            "plan": selectors.plan_current(patient),
            "open_rows": [{"item": i} for i in items if i.is_open],
            "schedule_rows": [{"item": i} for i in items],
            "trajectories": trajectory_context(patient, treatments),
            "responses": list(
                AssessmentResponse.objects.filter(patient=patient)
                .select_related("entered_by")
                .order_by("-completed_at", "-version")
            ),
            "staff_instruments": [(c, i.name, i.completed_by) for c, i in INSTRUMENTS.items()],
            "link_instruments": [
                (c, i.name) for c, i in INSTRUMENTS.items() if i.completed_by == "patient"
            ],
            "treatments": treatments,
        },
    )


@require_capability(Capability.ASSESSMENT_ENTER)
def response_enter(request: HttpRequest, patient_id: int, code: str) -> HttpResponse:
    """Staff enter a clinician-rated instrument or a patient's paper questionnaire."""
    act = action(request)
    patient = patient_get(request.access, patient_id)
    if code not in INSTRUMENTS:
        raise Http404("No such instrument.")
    spec = selectors.form_spec(patient.clinic, code)
    zone = patient.clinic.time_zone
    values: dict = {}
    errors: dict = {}
    completed_text = local_input(timezone.now(), zone)
    if request.method == "POST":
        answers, values, errors = parse_answers(code, request.POST)
        completed_text = request.POST.get("completed_at", "")
        try:
            completed_at = parse_local_datetime(completed_text, zone)
        except ValueError:
            errors["completed_at"] = "Use a date and time such as 2026-03-01 09:30."
            completed_at = None
        if answers is not None and not errors:
            source = (
                AssessmentResponse.Source.CLINICIAN_RATED
                if spec.completed_by == "clinician"
                else AssessmentResponse.Source.STAFF_PAPER
            )
            try:
                result = services.response_submit(
                    patient=patient,
                    instrument=code,
                    answers=answers,
                    source=source,
                    completed_at=completed_at,
                    wording_id=spec.wording_id,
                    **act.stamp,
                )
            except services.AssessmentError as refused:
                errors["form"] = str(refused)
            else:
                _flash_result(request, result)
                return redirect("assessments:patient", patient_id=patient.pk)
    return render(
        request,
        "assessments/enter.html",
        {
            "patient": patient,
            "spec": spec,
            "rows": form_rows(spec, values, errors),
            "errors": errors,
            "completed_at": completed_text,
        },
        status=422 if errors else 200,
    )


def _flash_result(request: HttpRequest, result: services.Submitted) -> None:
    response = result.response
    total = f"total {response.total}" if response.total is not None else response.severity
    severity = f" ({response.severity})" if response.severity and response.total is not None else ""
    messages.success(request, f"{INSTRUMENTS[response.instrument].name} saved: {total}{severity}.")
    if result.alert is not None:
        messages.error(
            request,
            f"Safety alert opened: {result.alert.message} It stays open until a clinician "
            "acknowledges it with the action taken.",
        )


@require_capability(Capability.ASSESSMENT_VIEW)
def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.response_in_clinic(request.access, response_id)
    patient = response.patient
    _audit_view(request, patient, "assessment_response", response.pk)
    spec = selectors.form_spec(patient.clinic, response.instrument)
    versions = selectors.response_versions(response)
    return render(
        request,
        "assessments/response.html",
        {
            "patient": patient,
            "response": response,
            "rows": [
                {
                    "ref": item.ref or f"Item {item.number}",
                    "label": item.label,
                    "answer": answer,
                    "answer_label": next((o.label for o in item.options if o.value == answer), ""),
                }
                for item, answer in zip(spec.items, response.answers, strict=True)
            ],
            "versions": versions,
            "latest": versions[-1],
            "current": versions[-1].pk == response.pk,
        },
    )


@require_capability(Capability.ASSESSMENT_ENTER)
def response_correct(request: HttpRequest, response_id: int) -> HttpResponse:
    """Correct a stored response: a new version with a reason; the old one is kept."""
    act = action(request)
    response = selectors.response_in_clinic(request.access, response_id)
    patient = response.patient
    spec = selectors.form_spec(patient.clinic, response.instrument)
    values: dict = {n: str(v) for n, v in enumerate(response.answers, 1)}
    errors: dict = {}
    reason = ""
    if not selectors.is_current(response):
        messages.error(request, "That version has been corrected already; this is the latest.")
        latest = selectors.response_versions(response)[-1]
        return redirect("assessments:correct", response_id=latest.pk)
    if request.method == "POST":
        answers, values, errors = parse_answers(response.instrument, request.POST)
        reason = request.POST.get("reason", "").strip()
        if not reason:
            errors["reason"] = "Say why the answers are corrected."
        if answers is not None and not errors:
            try:
                result = services.response_correct(
                    response=response, answers=answers, reason=reason, **act.stamp
                )
            except (services.AssessmentError, services.AssessmentStateError) as refused:
                errors["form"] = str(refused)
            else:
                _flash_result(request, result)
                return redirect("assessments:response", response_id=result.response.pk)
    return render(
        request,
        "assessments/correct.html",
        {
            "patient": patient,
            "response": response,
            "spec": spec,
            "rows": form_rows(spec, values, errors),
            "errors": errors,
            "reason": reason,
        },
        status=422 if errors else 200,
    )


def _prescribers(patient: Patient) -> list[User]:
    return list(
        User.objects.filter(
            memberships__active=True,
            memberships__clinic=patient.clinic,
            memberships__role__in=(Role.PRESCRIBER, Role.MEDICAL_DIRECTOR),
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


@require_capability(Capability.ASSESSMENT_SCHEDULE)
def plan_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Start, change or end the patient's measurement plan."""
    act = action(request)
    patient = patient_get(request.access, patient_id)
    plan = selectors.plan_current(patient)
    zone = patient.clinic.time_zone
    prescribers = _prescribers(patient)
    values = {
        "started_at": local_input(plan.started_at if plan else timezone.now(), zone),
        "maintenance_started_at": local_input(plan.maintenance_started_at if plan else None, zone),
        "prescriber": str(plan.prescriber_id or "") if plan else str(request.user.pk),
        "end": "",
    }
    errors: dict = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        parsed = {}
        for name in ("started_at", "maintenance_started_at"):
            try:
                parsed[name] = parse_local_datetime(values[name], zone)
            except ValueError:
                errors[name] = "Use a date and time such as 2026-03-01 09:30."
        if not errors and parsed["started_at"] is None:
            errors["started_at"] = "When does the plan start?"
        prescriber = next((u for u in prescribers if str(u.pk) == values["prescriber"]), None)
        if values["prescriber"] and prescriber is None:
            errors["prescriber"] = "Choose a prescriber of this clinic."
        if not errors:
            origin = act.origin
            try:
                if plan is None:
                    services.plan_start(
                        patient=patient,
                        started_at=parsed["started_at"],
                        maintenance_started_at=parsed["maintenance_started_at"],
                        prescriber=prescriber,
                        origin=origin,
                    )
                    messages.success(request, "Measurement plan started.")
                else:
                    services.plan_update(
                        plan=plan,
                        started_at=parsed["started_at"],
                        maintenance_started_at=parsed["maintenance_started_at"],
                        prescriber=prescriber,
                        ended_at=act.at if values["end"] == "on" else None,
                        origin=origin,
                    )
                    messages.success(request, "Measurement plan saved.")
            except (services.AssessmentError, services.AssessmentStateError) as refused:
                errors["form"] = str(refused)
            else:
                return redirect("assessments:patient", patient_id=patient.pk)
    return render(
        request,
        "assessments/plan.html",
        {
            "patient": patient,
            "plan": plan,
            "values": values,
            "errors": errors,
            "prescribers": prescribers,
        },
        status=422 if errors else 200,
    )


@require_POST
@require_capability(Capability.ASSESSMENT_ENTER)
def send_link(request: HttpRequest, patient_id: int) -> HttpResponse:
    """E-mail the patient a one-time link to one questionnaire."""
    act = action(request)
    patient = patient_get(request.access, patient_id)
    code = request.POST.get("instrument", "")
    if code not in INSTRUMENTS:
        messages.error(request, "Choose a questionnaire to send.")
    else:
        try:
            services.questionnaire_link_send(patient=patient, instrument=code, **act.stamp)
        except services.AssessmentError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"{INSTRUMENTS[code].name} link e-mailed to {patient.email}.")
    return redirect("assessments:patient", patient_id=patient.pk)
