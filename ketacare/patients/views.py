"""Registry, chart and intake pages: parse, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.audit.services import audit_record
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError
from ketacare.core.pages import page_errors
from ketacare.core.panels import chart_panels
from ketacare.core.roles import Capability
from ketacare.patients import selectors, services
from ketacare.patients.forms import PATIENT_FIELDS, parse_patient
from ketacare.patients.intake import CONDITIONS, IntakeData
from ketacare.patients.intake_form import intake_form_context, read_intake_form
from ketacare.patients.intake_labels import changed_labels, review_sections
from ketacare.patients.models import Patient

PAGE_SIZE = 25


@require_capability(Capability.PATIENT_LIST)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = selectors.patient_search(request.access, query)
    page = Paginator(
        results.only("pk", "mrn", "first_name", "last_name", "preferred_name", "date_of_birth"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    act = action(request)
    audit_record(
        action="view",
        object_type="patient_list",
        clinic_id=act.clinic.pk,
        summary=f"Listed {len(page.object_list)} patients on the registry page",
        changes={"query": query, "patient_ids": [p.pk for p in page.object_list]},
        **act.stamp,
    )
    template = "patients/_results.html" if request.htmx else "patients/list.html"
    return render(request, template, {"page": page, "query": query})


@require_capability(Capability.PATIENT_REGISTER)
def patient_register(request: HttpRequest) -> HttpResponse:
    values: dict = {}
    errors: dict = {}
    duplicates: list = []
    if request.method == "POST":
        data, values, errors = parse_patient(request.POST)
        if data is not None:
            act = action(request)
            try:
                patient = services.patient_register(
                    clinic=act.clinic,
                    data=data,
                    **act.stamp,
                )
            except services.DuplicatePatient as refused:
                duplicates = refused.details["existing"]
            else:
                messages.success(
                    request, f"Registered {patient.full_name} with MRN {patient.mrn}."
                )
                return redirect("patients:detail", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {
            "values": values,
            "errors": errors,
            "duplicates": duplicates,
            "sexes": Patient.SexAtBirth.choices,
            "title": "Register a patient",
        },
        status=409 if duplicates else 422 if errors else 200,
    )


@require_capability(Capability.PATIENT_REGISTER)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_get(request.access, patient_id)
    errors: dict = {}
    values = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    if request.method == "POST":
        data, values, errors = parse_patient(request.POST)
        if data is not None:
            act = action(request)
            services.patient_update(patient=patient, data=data, **act.stamp)
            messages.success(request, "Details saved.")
            return redirect("patients:detail", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {
            "values": values,
            "errors": errors,
            "sexes": Patient.SexAtBirth.choices,
            "patient": patient,
            "title": f"Edit {patient.full_name}",
        },
        status=422 if errors else 200,
    )


def _audit_view(request: HttpRequest, patient: Patient, what: str) -> None:
    audit_read(
        action(request),
        object_type=what,
        patient=patient,
        clinic_id=patient.clinic_id,
        summary=f"Viewed {what.replace('_', ' ')}",
    )


@require_capability(Capability.PATIENT_LIST)
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart for clinical roles; demographics only for front desk and billing."""
    access = request.access
    patient = selectors.patient_get(access, patient_id)
    clinical = access.can(Capability.CHART_VIEW)
    _audit_view(request, patient, "chart" if clinical else "demographics")
    context: dict = {
        "patient": patient,
        "clinical": clinical,
        "show_insurance": access.can(Capability.INSURANCE_VIEW),
    }
    # The chart lists every version and shows the newest: one query for both.
    versions = list(selectors.intake_versions(patient)) if clinical else None
    intake = (versions[0] if versions else None) if clinical else selectors.intake_current(patient)
    context["intake"] = intake
    context["portal"] = selectors.portal_status(patient, now=timezone.now())
    context["merged_into"] = patient.merges_out.filter(undone_at__isnull=True).first()
    context["merged_records"] = patient.merges_in.filter(undone_at__isnull=True).select_related(
        "merged", "merged_by"
    )
    if clinical:
        context["header"] = selectors.chart_header(patient, intake, today=timezone.localdate())
        context["measures"] = selectors.body_measures(patient, intake.data if intake else None)
        context["timeline"] = selectors.patient_timeline(patient)
        context["conditions"] = [
            (
                name,
                label,
                (intake.data.get("conditions", {}) if intake else {}).get(name, "unknown"),
            )
            for name, label in CONDITIONS
        ]
        context["trials"] = intake.data.get("antidepressant_trials", []) if intake else []
        context["panels"] = chart_panels(request, patient)
        context["versions"] = versions
    return render(request, "patients/chart.html", context)


@require_capability(Capability.INTAKE_EDIT)
def intake_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Staff enter or revise the intake; saving always makes a new version."""
    patient = selectors.patient_get(request.access, patient_id)
    current = selectors.intake_current(patient)
    errors: dict = {}
    values = current.data if current else IntakeData().model_dump(mode="json")
    blanks = None
    if request.method == "POST":
        data, values, errors, blanks = read_intake_form(request.POST)
        if data is not None:
            act = action(request)
            version = services.intake_submit(
                patient=patient,
                data=data,
                source="staff",
                **act.stamp,
            )
            messages.success(
                request,
                f"Saved as intake version {version.number}; it awaits a prescriber's signature.",
            )
            return redirect("patients:detail", patient_id=patient.pk)
    return render(
        request,
        "patients/intake_form.html",
        intake_form_context(values, errors, blanks=blanks, patient=patient),
        status=422 if errors else 200,
    )


def _intake_review_page(
    request: HttpRequest, error: DomainError | None, patient_id: int, number: int
) -> HttpResponse:
    patient = selectors.patient_get(request.access, patient_id)
    version = selectors.intake_version_get(patient, number)
    previous = patient.intake_versions.filter(number__lt=number).order_by("-number").first()
    _audit_view(request, patient, "intake")
    return render(
        request,
        "patients/intake_review.html",
        {
            "patient": patient,
            "version": version,
            "changes": changed_labels(previous.data if previous else {}, version.data),
            "previous": previous,
            "error": error.message if error else "",
            "measures": selectors.body_measures(patient, version.data),
            "sections": review_sections(version.data),
        },
        status=error.status if error else 200,
    )


@require_capability(Capability.INTAKE_SIGN)
@page_errors(_intake_review_page)
def intake_review(request: HttpRequest, patient_id: int, number: int) -> HttpResponse:
    if request.method != "POST":
        return _intake_review_page(request, None, patient_id, number)
    act = action(request)
    patient = selectors.patient_get(act.access, patient_id)
    version = services.intake_sign(
        version=selectors.intake_version_get(patient, number),
        note=request.POST.get("note", ""),
        **act.stamp,
    )
    messages.success(request, f"Intake version {version.number} signed.")
    return redirect("patients:detail", patient_id=patient.pk)


@require_POST
@require_capability(Capability.INTAKE_SEND_LINK)
def intake_send_link(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = selectors.patient_get(act.access, patient_id)
    try:
        services.intake_link_send(patient=patient, **act.stamp)
    except services.IntakeError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Intake link e-mailed to {patient.email}.")
    return redirect("patients:detail", patient_id=patient.pk)


def intake_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's intake questionnaire, opened from the e-mailed one-time link (no login)."""
    act = action(request)
    try:
        link = services.intake_link_resolve(token, at=act.at)
    except services.LinkInvalid as invalid:
        return render(request, "patients/link_invalid.html", {"reason": str(invalid)}, status=410)
    patient = link.patient
    errors: dict = {}
    values = IntakeData().model_dump(mode="json")
    blanks = None
    if request.method == "POST":
        data, values, errors, blanks = read_intake_form(request.POST, patient_facing=True)
        if data is not None:
            try:
                services.intake_submit_via_link(
                    token=token,
                    data=data,
                    **act.stamp,
                )
            except services.LinkInvalid as invalid:
                return render(
                    request, "patients/link_invalid.html", {"reason": str(invalid)}, status=410
                )
            return render(
                request,
                "patients/intake_thanks.html",
                {"clinic": patient.clinic, "patient": patient},
            )
    context = intake_form_context(
        values, errors, blanks=blanks, patient=patient, public=True, clinic=patient.clinic
    )
    return render(request, "patients/intake_form.html", context, status=422 if errors else 200)
