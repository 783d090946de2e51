"""A patient's treatment page and eligibility screening."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.regimens import templates_for
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import flash_back, form_post, posted
from ketacare.core.roles import Capability
from ketacare.patients.selectors import intake_current, patient_get
from ketacare.treatment import presenters, selectors, services
from ketacare.treatment.models import (
    INDICATION_CHOICES,
    ROUTE_CHOICES,
    ConsentSignature,
)
from ketacare.treatment.views.common import (
    _audit_view,
)


def _to_patient(request: HttpRequest, patient_id: int) -> str:
    return reverse("treatment:patient", args=[patient_id])


def _consent_rows(patient, now):
    rows = []
    for route in Route:
        document = selectors.consent_document_current(patient.clinic, route, at=now)
        if document is None:
            continue
        signature = (
            ConsentSignature.objects.filter(
                document=document, patient=patient, revoked_at__isnull=True
            )
            .select_related("clinician")
            .order_by("-patient_signed_at")
            .first()
        )
        if signature is None and not patient.courses.filter(route=route.value).exists():
            continue
        rows.append({"route": ROUTE_LABELS[route], "document": document, "signature": signature})
    return rows


@require_capability(Capability.CHART_VIEW)
def patient_treatment(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get(request.access, patient_id)
    _audit_view(request, patient_id=patient.pk, clinic_id=patient.clinic_id, what="treatment")
    now = timezone.now()
    return render(
        request,
        "treatment/patient.html",
        {
            "patient": patient,
            "intake": intake_current(patient),
            "screenings": [
                presenters.screening_dict(s) for s in selectors.screenings_for(patient)[:20]
            ],
            "courses": selectors.courses_for(patient),
            "consents": _consent_rows(patient, now),
            "routes": ROUTE_CHOICES,
            "indications": INDICATION_CHOICES,
            "appointments": selectors.upcoming_appointments(patient, now=now)[:20],
        },
    )


@form_post(Capability.ELIGIBILITY_SCREEN, flash_back(_to_patient))
def screen(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = patient_get(request.access, patient_id)
    result = services.screening_run(
        patient=patient, **posted(request, "route", "indication"), **act.stamp
    )
    return redirect("treatment:screening", screening_id=result.pk)


@require_capability(Capability.CHART_VIEW)
def screening_detail(request: HttpRequest, screening_id: int) -> HttpResponse:
    result = selectors.screening_get(request.access, screening_id)
    _audit_view(request, patient_id=result.patient_id, clinic_id=result.clinic_id, what="screening")
    intake = intake_current(result.patient)
    protocol = selectors.clinic_protocol(result.clinic)
    templates = templates_for(
        protocol.templates.values(), indication=result.indication, route=result.route
    )
    return render(
        request,
        "treatment/screening.html",
        {
            "patient": result.patient,
            "result": presenters.screening_dict(result),
            "stale": intake is not None and intake.number != result.intake_number,
            "intake": intake,
            "templates": templates,
        },
    )
