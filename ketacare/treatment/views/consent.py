"""Consent forms: the clinic's documents per route, publishing a version, countersigning."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.clinical.common import Route
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import flash_back, form_post, posted
from ketacare.core.roles import Capability
from ketacare.treatment import selectors, services
from ketacare.treatment.models import (
    ROUTE_CHOICES,
    ConsentDocument,
    ConsentSignature,
)


@require_capability(Capability.CONSENT_MANAGE)
def consent_documents(request: HttpRequest) -> HttpResponse:
    act = action(request)
    clinic = request.access.clinic
    services.consent_documents_ensure(clinic=clinic, on=timezone.localdate(), origin=act.origin)
    now = timezone.now()
    current = []
    for route in Route:
        document = selectors.consent_document_current(clinic, route, at=now)
        if document:
            current.append(document)
    awaiting = (
        ConsentSignature.objects.filter(
            document__clinic=clinic, clinician_signed_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("patient", "document")
        .order_by("patient_signed_at")
    )
    return render(
        request,
        "treatment/consents.html",
        {"documents": current, "awaiting": awaiting, "routes": ROUTE_CHOICES},
    )


@form_post(Capability.PROTOCOL_EDIT, flash_back(lambda request: reverse("treatment:consents")))
def consent_publish(request: HttpRequest) -> HttpResponse:
    act = action(request)
    document = services.consent_document_publish(
        clinic=request.access.clinic, **posted(request, "route", "title", "body"), **act.stamp
    )
    messages.success(request, f"Published version {document.version}.")
    return redirect("treatment:consents")


@require_capability(Capability.CONSENT_MANAGE)
def consent_document(request: HttpRequest, document_id: int) -> HttpResponse:
    document = get_object_or_404(ConsentDocument, pk=document_id, clinic=request.access.clinic)
    return render(request, "treatment/consent_document.html", {"document": document})


def _back_to_patient(request: HttpRequest, signature_id: int) -> str:
    """The page the form came from (same site only), else the patient's treatment page."""
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return back
    signature = get_object_or_404(
        ConsentSignature, pk=signature_id, patient__clinic=request.access.clinic
    )
    return reverse("treatment:patient", args=[signature.patient_id])


@form_post(Capability.CONSENT_MANAGE, flash_back(_back_to_patient))
def consent_countersign(request: HttpRequest, signature_id: int) -> HttpResponse:
    act = action(request)
    signature = get_object_or_404(
        ConsentSignature, pk=signature_id, patient__clinic=request.access.clinic
    )
    services.consent_countersign(signature=signature, **act.stamp)
    messages.success(request, "Consent countersigned.")
    return redirect(_back_to_patient(request, signature_id))
