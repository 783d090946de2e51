"""The patient's portal: the treatment plan and signing the current consent."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ketacare.clinical.common import Route
from ketacare.core.access import require_patient
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import DomainError
from ketacare.patients.models import Patient
from ketacare.treatment import selectors, services
from ketacare.treatment.models import (
    AftercarePlan,
    ConsentDocument,
    TreatmentCourse,
)
from ketacare.treatment.preparation import instructions


def _patient(request: HttpRequest) -> Patient:
    return Patient.objects.select_related("clinic").get(pk=request.access.patient_id)


def plan_context(patient: Patient, *, at) -> dict:
    """Everything the portal shows about the patient's treatment."""
    protocol = selectors.clinic_protocol(patient.clinic)
    courses = []
    for course in selectors.courses_for(patient).exclude(phase=TreatmentCourse.Phase.COMPLETED):
        template = protocol.templates.get(course.regimen_key)
        courses.append(
            {
                "course": course,
                "template": template,
                "signed": selectors.signed_order(course),
                "aftercare": AftercarePlan.objects.filter(course=course).first(),
                "consent_current": selectors.consent_is_current(patient, course.route, at=at),
                "preparation": instructions(course.route, protocol.monitoring[Route(course.route)]),
            }
        )
    return {
        "patient": patient,
        "courses": courses,
        "appointments": selectors.upcoming_appointments(patient, now=at),
        "to_sign": selectors.consents_to_sign(patient, at=at),
    }


@require_patient
def plan(request: HttpRequest) -> HttpResponse:
    act = action(request)
    patient = _patient(request)
    audit_read(
        act,
        object_type="portal_plan",
        patient=patient,
        clinic_id=patient.clinic_id,
        summary="Patient viewed their treatment plan",
    )
    return render(request, "treatment/portal_plan.html", plan_context(patient, at=act.at))


@require_patient
def sign_consent(request: HttpRequest, document_id: int) -> HttpResponse:
    act = action(request)
    patient = _patient(request)
    document = get_object_or_404(ConsentDocument, pk=document_id, clinic=patient.clinic)
    errors: dict[str, str] = {}
    error, refused_status = "", 200
    typed = ""
    if request.method == "POST":
        typed = request.POST.get("typed_name", "")
        try:
            services.consent_patient_sign(
                patient=patient,
                document=document,
                typed_name=typed,
                agreed=request.POST.get("agreed") == "on",
                **act.stamp,
            )
        except DomainError as refused:
            error, errors, refused_status = refused.message, refused.fields, refused.status
        else:
            messages.success(
                request, "Thank you: you signed the consent. A clinician will countersign it."
            )
            return redirect("treatment:portal_plan")
    return render(
        request,
        "treatment/portal_consent.html",
        {"document": document, "errors": errors, "error": error, "typed": typed},
        status=refused_status if error else 200,
    )
