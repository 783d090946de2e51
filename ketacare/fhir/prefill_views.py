"""The small import: ``POST /fhir/r4/$prefill`` takes a Bundle (a Patient with Conditions,
MedicationStatements, AllergyIntolerances) and answers 201 with the address of the review page;
staff upload a Bundle on ``/fhir/r4/prefill/`` too. On the review page staff correct the
registration, keep or drop each intake item, and confirm (the patient is registered) or discard.
Nothing reaches the record before the confirmation."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from pydantic import ValidationError

from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import BadRequest, DomainError, Forbidden, Invalid
from ketacare.core.pages import page_errors
from ketacare.core.roles import Capability
from ketacare.fhir import selectors, services
from ketacare.fhir.access import caller
from ketacare.fhir.http import fhir_endpoint, fhir_response, outcome, outcome_response
from ketacare.fhir.models import PrefillDraft
from ketacare.patients.forms import PATIENT_LABELS, parse_patient
from ketacare.patients.intake import IntakeData
from ketacare.patients.models import Patient
from ketacare.patients.schemas import PatientIn
from ketacare.patients.services import DuplicatePatient

MAX_BUNDLE_BYTES = 1_000_000
FIELD_TYPES = {"date_of_birth": "date", "email": "email", "phone": "tel",
               "emergency_contact_phone": "tel"}
REQUIRED = ("first_name", "last_name", "date_of_birth", "sex_at_birth")


def _bundle(raw: bytes) -> Any:
    if len(raw) > MAX_BUNDLE_BYTES:
        raise Invalid(f"The Bundle is larger than {MAX_BUNDLE_BYTES // 1000} kB.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"The body is not JSON: {error}.") from None


@fhir_endpoint
def prefill_submit(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/r4/$prefill``: a Bundle becomes a registration draft for staff to review."""
    if request.method != "POST":
        return outcome_response("Send the Bundle with POST.", status=405, Allow="POST")
    who = caller(request, write=True)
    if who.patient_id is not None:
        raise Forbidden("A patient's token cannot register patients.")
    who.access.require(Capability.INTAKE_EDIT)
    draft = services.prefill_create(
        access=who.access, bundle=_bundle(request.body), origin=who.act.origin, at=who.act.at
    )
    review = request.build_absolute_uri(reverse("fhir:prefill_review", args=[draft.pk]))
    body = outcome(
        f"Read into a registration draft for {draft.name}; nothing is saved until staff "
        f"confirm it at {review}.",
        status=201,
        severity="information",
    )
    body["issue"][0]["code"] = "informational"
    body["issue"] += [
        {"severity": "warning", "code": "informational", "diagnostics": note}
        for note in draft.notes
    ]
    return fhir_response(body, status=201, Location=review)


def _upload_page(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    drafts = selectors.prefills_pending(request.access)[:50]
    return render(
        request,
        "fhir/prefill_list.html",
        {"drafts": drafts, "error": error, "bundle_text": request.POST.get("bundle", "")},
        status=error.status if error else 200,
    )


@require_capability(Capability.INTAKE_EDIT)
@page_errors(lambda request, error: _upload_page(request, error))
def prefill_list(request: HttpRequest) -> HttpResponse:
    """Drafts waiting for review, and a form to read a Bundle (pasted or as a file)."""
    if request.method == "POST":
        act = action(request)
        upload = request.FILES.get("file")
        pasted = request.POST.get("bundle", "").encode()
        raw = upload.read(MAX_BUNDLE_BYTES + 1) if upload else pasted
        draft = services.prefill_create(
            access=act.access,
            bundle=_bundle(raw),
            **act.stamp,
        )
        return redirect("fhir:prefill_review", draft_id=draft.pk)
    return _upload_page(request)


def _lists(draft: PrefillDraft) -> dict[str, list[dict]]:
    return {name: draft.intake.get(name, []) for name in services.INTAKE_LISTS}


def _review_page(
    request: HttpRequest,
    draft: PrefillDraft,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    duplicates: list | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    values = values if values is not None else draft.registration
    fields = [
        {"name": name, "label": PATIENT_LABELS.get(name, name.replace("_", " ").capitalize()),
         "value": values.get(name, ""), "type": FIELD_TYPES.get(name, "text"),
         "error": (errors or {}).get(name), "required": name in REQUIRED}
        for name in PatientIn.model_fields
        if name not in ("sex_at_birth", "allow_duplicate")
    ]
    return render(
        request,
        "fhir/prefill_review.html",
        {"draft": draft, "fields": fields, "values": values, "errors": errors or {},
         "sexes": Patient.SexAtBirth.choices, "lists": _lists(draft),
         "duplicates": duplicates or [], "error": error},
        status=status,
    )


def _kept_intake(request: HttpRequest, draft: PrefillDraft) -> IntakeData:
    kept = {
        name: [item for position, item in enumerate(items)
               if str(position) in request.POST.getlist(name)]
        for name, items in _lists(draft).items()
    }
    try:
        return IntakeData(**kept)
    except ValidationError as error:
        raise Invalid(f"The intake items cannot be kept as they are: {error}") from None


def _on_refusal(request: HttpRequest, error: DomainError, draft_id: uuid.UUID) -> HttpResponse:
    draft = selectors.prefill_get(request.access, draft_id)
    return _review_page(request, draft, values=request.POST.dict(), error=error,
                        status=error.status)


@require_capability(Capability.INTAKE_EDIT)
@page_errors(_on_refusal)
def prefill_review(request: HttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """Review a draft: correct, keep or drop, then confirm (register) or discard."""
    act = action(request)
    draft = selectors.prefill_get(act.access, draft_id)
    if request.method != "POST":
        audit_read(
            act,
            object_type="fhir.prefill",
            record=draft,
            summary=f"Viewed the FHIR registration draft "
                   f"for {draft.name}",
        )
        return _review_page(request, draft)
    if request.POST.get("decision") == "discard":
        services.prefill_discard(draft=draft, **act.stamp)
        messages.success(request, "The draft is discarded; its details are deleted.")
        return redirect("fhir:prefill_list")
    registration, values, errors = parse_patient(request.POST)
    if registration is None:
        return _review_page(request, draft, values=values, errors=errors, status=422)
    try:
        patient = services.prefill_confirm(
            draft=draft,
            registration=registration,
            intake=_kept_intake(request, draft),
            **act.stamp,
        )
    except DuplicatePatient as refused:
        return _review_page(request, draft, values=values,
                            duplicates=refused.details["existing"], status=409)
    messages.success(request, f"Registered {patient.full_name} with MRN {patient.mrn}.")
    return redirect("patients:detail", patient_id=patient.pk)
