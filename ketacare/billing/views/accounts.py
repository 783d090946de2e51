"""The patient's account: balance, ledger, charges, payments, packages, the sliding scale and
prior authorisations, with a form for each thing billing records, and the documents."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.billing import coverage, documents, selectors, statements
from ketacare.billing.models import Payment, SlidingScaleAssessment
from ketacare.billing.models.authorisations import PriorAuthorisation
from ketacare.billing.models.setup import SERVICE_CHOICES
from ketacare.billing.services import authorisations, payments, sliding_scale
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services.accounts import account_set_medicare
from ketacare.billing.views.common import (
    account_form,
    back_to_account,
    date_field,
    form_key,
    int_field,
    period,
    today,
)
from ketacare.clinical.billing import POVERTY_GUIDELINES
from ketacare.core.access import require_capability
from ketacare.core.actions import Action, action, audit_read
from ketacare.core.pages import flash_back, form_post, page_errors, posted
from ketacare.core.roles import Capability
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentCourse

C = Capability


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


@account_form(C.PAYMENT_RECORD)
def payment_create(request: HttpRequest, act: Action, patient: Patient) -> str:
    payment = payments.payment_record(
        patient=patient,
        **posted(request, "method", "amount", "reference", "payer", "note", "idempotency_key"),
        purpose=request.POST.get("purpose", "payment"),
        **act.stamp,
    )
    return f"{payment.get_purpose_display()} of ${payment.amount:,.2f} recorded."


@account_form(C.PAYMENT_RECORD)
def package_sell(request: HttpRequest, act: Action, patient: Patient) -> str:
    purchase = payments.package_sell(
        patient=patient,
        package=selectors.package_get(act.access, int_field(request, "package_id")),
        **posted(request, "method", "reference", "idempotency_key"),
        **act.stamp,
    )
    return f"Package ‘{purchase.name}’ sold and prepaid."


@form_post(C.PAYMENT_REFUND, flash_back(lambda request, payment_id: back_to_account(
    request, selectors.payment_get(request.access, payment_id).patient_id)))
def refund_create(request: HttpRequest, payment_id: int) -> HttpResponse:
    act = action(request)
    payment = selectors.payment_get(act.access, payment_id)
    payments.refund_record(
        payment=payment, **posted(request, "amount", "reason", "idempotency_key"), **act.stamp
    )
    messages.success(request, "Refund recorded.")
    return redirect("billing:account", patient_id=payment.patient_id)


@account_form(C.PAYMENT_REFUND)
def adjustment_create(request: HttpRequest, act: Action, patient: Patient) -> str:
    payments.adjustment_post(
        patient=patient, **posted(request, "amount", "reason", "idempotency_key"), **act.stamp
    )
    return "Adjustment posted."


@form_post(C.CHARGE_POST, flash_back(back_to_account))
def charge_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Enter a charge for a visit without a session; billing reviews it on its own page next."""
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


@account_form(C.CHARGE_POST)
def medicare_set(request: HttpRequest, act: Action, patient: Patient) -> str:
    account_set_medicare(
        patient=patient,
        medicare_primary=request.POST.get("medicare_primary") == "yes",
        **act.stamp,
    )
    return "Primary payer saved."


@account_form(C.SLIDING_SCALE_ASSESS)
def assessment_create(request: HttpRequest, act: Action, patient: Patient) -> str:
    assessment = sliding_scale.assessment_record(
        patient=patient,
        household_size=int_field(request, "household_size"),
        **posted(request, "annual_income", "proof", "proof_note"),
        assessed_on=date_field(request, "assessed_on", default=today(act)),
        guideline_year=int_field(request, "guideline_year", required=False),
        **act.stamp,
    )
    return (f"{assessment.description}: band ‘{assessment.band_label}’ until "
            f"{assessment.valid_until:%Y-%m-%d}.")


@account_form(C.PRIOR_AUTH_MANAGE)
def authorisation_create(request: HttpRequest, act: Action, patient: Patient) -> str:
    course_id = int_field(request, "course_id", required=False)
    authorisations.authorisation_submit(
        patient=patient,
        course=TreatmentCourse.objects.filter(pk=course_id, patient=patient).first(),
        **posted(request, "payer", "payer_reference", "note"),
        submitted_on=date_field(request, "submitted_on", default=today(act)),
        **act.stamp,
    )
    return "Prior authorisation request recorded."


@form_post(C.PRIOR_AUTH_MANAGE, flash_back(lambda request, authorisation_id: back_to_account(
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
