"""The patient portal's front page. Other capabilities add their sections (plan, questionnaires)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketacare.core.access import require_patient
from ketacare.core.panels import portal_panels
from ketacare.patients.models import Patient


@require_patient
def portal_home(request: HttpRequest) -> HttpResponse:
    patient = Patient.objects.select_related("clinic").get(pk=request.access.patient_id)
    context = {"patient": patient, "panels": portal_panels(request, patient)}
    return render(request, "core/portal_home.html", context)
