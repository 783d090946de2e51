"""The patient's account: balance, ledger, charges, payments, packages, the sliding scale and
prior authorisations, with a form for each thing billing records, and the documents."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketacare.billing import coverage, documents, selectors, statements
from ketacare.billing.models import Payment, SlidingScaleAssessment
from ketacare.billing.models.authorisations import PriorAuthorisation
from ketacare.billing.models.setup import SERVICE_CHOICES
from ketacare.billing.services import authorisations, payments, sliding_scale
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services.accounts import account_set_medicare
from ketacare.billing.views.common import (
    back_to_account,
    date_field,
    form_key,
    int_field,
    period,
    today,
)
from ketacare.clinical.billing import POVERTY_GUIDELINES
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.pages import flash_back, page_errors, posted
from ketacare.core.roles import Capability
from ketacare.treatment.models import TreatmentCourse

C = Capability
back = page_errors(flash_back(back_to_account))


@require_capability(C.BILLING_VIEW)
def account(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = selectors.patient_for_billing(act.access, patient_id)
    audit_read(
        act,
        object_type="patient_account",
        patient=patient,
        summary="Viewed the patient account",
    )
    day = today(act)
    auths = PriorAuthorisation.objects.filter(patient=patient).select_related("course", "clinic")
    return render(request, "billing/account.html", {
        "patient": patient,
        "view": statements.account_view(patient, today=day),
        "today": day,
        "month_start": day.replace(day=1),
        "key": form_key,
        "methods": [m for m in Payment.Method.choices if m[0] != Payment.Method.ONLINE_CARD],
        "proofs": SlidingScaleAssessment.Proof.choices,
        "packages": selectors.packages(act.clinic).filter(active=True),
        "services": SERVICE_CHOICES,
        "guideline_years": sorted(POVERTY_GUIDELINES, reverse=True),
        "guideline_year": sliding_scale.guideline_year_for(day),
        "coverage": coverage.coverages(auths, clinic=act.clinic, today=day),
        "courses": TreatmentCourse.objects.filter(patient=patient, route="esketamine_nasal"),
    })


@require_POST
@require_capability(C.PAYMENT_RECORD)
@back
def payment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    payment = payments.payment_record(
        patient=selectors.patient_for_billing(act.access, patient_id),
        **posted(request, "method", "amount", "reference", "payer", "note", "idempotency_key"),
        purpose=request.POST.get("purpose", "payment"),
        **act.stamp,
    )
    messages.success(request, f"{payment.get_purpose_display()} of ${payment.amount:,.2f} "
                              "recorded.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.PAYMENT_RECORD)
@back
def package_sell(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    purchase = payments.package_sell(
        patient=selectors.patient_for_billing(act.access, patient_id),
        package=selectors.package_get(act.access, int_field(request, "package_id")),
        **posted(request, "method", "reference", "idempotency_key"),
        **act.stamp,
    )
    messages.success(request, f"Package ‘{purchase.name}’ sold and prepaid.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.PAYMENT_REFUND)
@page_errors(flash_back(lambda request, payment_id: back_to_account(
    request, selectors.payment_get(request.access, payment_id).patient_id)))
def refund_create(request: HttpRequest, payment_id: int) -> HttpResponse:
    act = action(request)
    payment = selectors.payment_get(act.access, payment_id)
    payments.refund_record(
        payment=payment, **posted(request, "amount", "reason", "idempotency_key"), **act.stamp
    )
    messages.success(request, "Refund recorded.")
    return redirect("billing:account", patient_id=payment.patient_id)


@require_POST
@require_capability(C.PAYMENT_REFUND)
@back
def adjustment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    payments.adjustment_post(
        patient=selectors.patient_for_billing(act.access, patient_id),
        **posted(request, "amount", "reason", "idempotency_key"),
        **act.stamp,
    )
    messages.success(request, "Adjustment posted.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.CHARGE_POST)
@back
def charge_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    units = int_field(request, "units", required=False) or 1
    charge = charge_services.charge_create(
        patient=selectors.patient_for_billing(act.access, patient_id),
        date_of_service=date_field(request, "date_of_service", default=today(act)),
        services=[(request.POST.get("service", ""), units)],
        diagnosis_codes=request.POST.get("diagnosis_codes", "").replace(",", " ").split(),
        **act.stamp,
    )
    messages.success(request, "Charge entered: review and post it.")
    return redirect("billing:charge", charge_id=charge.pk)


@require_POST
@require_capability(C.CHARGE_POST)
@back
def medicare_set(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    account_set_medicare(
        patient=selectors.patient_for_billing(act.access, patient_id),
        medicare_primary=request.POST.get("medicare_primary") == "yes",
        **act.stamp,
    )
    messages.success(request, "Primary payer saved.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.SLIDING_SCALE_ASSESS)
@back
def assessment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    assessment = sliding_scale.assessment_record(
        patient=selectors.patient_for_billing(act.access, patient_id),
        household_size=int_field(request, "household_size"),
        **posted(request, "annual_income", "proof", "proof_note"),
        assessed_on=date_field(request, "assessed_on", default=today(act)),
        guideline_year=int_field(request, "guideline_year", required=False),
        **act.stamp,
    )
    messages.success(request, f"{assessment.description}: band ‘{assessment.band_label}’ until "
                              f"{assessment.valid_until:%Y-%m-%d}.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.PRIOR_AUTH_MANAGE)
@back
def authorisation_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = selectors.patient_for_billing(act.access, patient_id)
    course_id = int_field(request, "course_id", required=False)
    course = TreatmentCourse.objects.filter(pk=course_id, patient=patient).first()
    authorisations.authorisation_submit(
        patient=patient,
        course=course,
        **posted(request, "payer", "payer_reference", "note"),
        submitted_on=date_field(request, "submitted_on", default=today(act)),
        **act.stamp,
    )
    messages.success(request, "Prior authorisation request recorded.")
    return redirect("billing:account", patient_id=patient_id)


@require_POST
@require_capability(C.PRIOR_AUTH_MANAGE)
@page_errors(flash_back(lambda request, authorisation_id: back_to_account(
    request, selectors.authorisation_get(request.access, authorisation_id).patient_id)))
def authorisation_decide(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    act = action(request)
    authorisation = authorisations.authorisation_decide(
        authorisation=selectors.authorisation_get(act.access, authorisation_id),
        **posted(request, "status", "denial_reason", "payer_reference", "note"),
        on=date_field(request, "on", default=today(act)),
        starts_on=date_field(request, "starts_on"),
        ends_on=date_field(request, "ends_on"),
        approved_units=int_field(request, "approved_units", required=False),
        **act.stamp,
    )
    messages.success(request, f"Authorisation {authorisation.status}.")
    return redirect("billing:account", patient_id=authorisation.patient_id)


@require_capability(C.BILLING_VIEW)
@page_errors()
def document(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    """``superbill.pdf`` or ``statement.pdf`` for ``?from=YYYY-MM-DD&to=YYYY-MM-DD``."""
    act = action(request)
    patient = selectors.patient_for_billing(act.access, patient_id)
    starts_on, ends_on = period(request, act)
    return documents.document_download(
        kind=kind,
        patient=patient,
        starts_on=starts_on,
        ends_on=ends_on,
        issued_on=today(act),
        **act.stamp,
    )
