"""Billing under /api/v1/billing: the fee schedule, charges, the patient account, payments,
refunds, sliding-scale assessments, statements and superbills, prior authorisations, the daily
close and the card provider's webhook. Every operation states the capability it needs."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from ketacare.billing import coverage, documents, selectors, statements
from ketacare.billing.api_setup import router as setup_router
from ketacare.billing.schemas import (
    AccountIn,
    AccountOut,
    AdjustmentIn,
    AssessmentIn,
    AssessmentOut,
    AuthorisationIn,
    AuthorisationOut,
    BillingReasonIn,
    ChargeCreateIn,
    ChargeOut,
    ChargeUpdateIn,
    DecisionIn,
    LedgerLineOut,
    PackageSaleIn,
    PaymentIn,
    PaymentOut,
    RefundIn,
    RefundOut,
)
from ketacare.billing.services import authorisations, payments, sliding_scale
from ketacare.billing.services import charges as charge_services
from ketacare.billing.services.accounts import account_set_medicare
from ketacare.core.actions import Action, action, audit_list_read, audit_read
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.treatment.models import TreatmentCourse

router = Router(tags=["billing"])
router.add_router("", setup_router)  # fee schedule, bands, details, daily close, webhook
C = Capability


def _today(act: Action) -> dt.date:
    return act.at.astimezone(act.clinic.zone).date()


# --- charges ------------------------------------------------------------------------------------


def _charge_step(request, charge_id: int, step, **details) -> ChargeOut:
    """One step of billing's review (post, void, recompute) on a charge of the clinic."""
    act = action(request, C.CHARGE_POST)
    charge = selectors.charge_get(act.access, charge_id)
    return ChargeOut.of(step(charge=charge, **details, **act.stamp))


@router.get(
    "/charges",
    response={200: list[ChargeOut], **READ_ERRORS},
    summary="Charges; status=open (default) lists those billing must review",
)
def charge_list(request, status: str = "open", limit: int = 100):
    act = action(request, C.BILLING_VIEW)
    rows = (
        selectors.charges_to_review(act.access)
        if status == "open"
        else selectors.charges_in_scope(act.access).filter(status=status)
    )
    rows = list(rows.prefetch_related("lines")[: max(1, min(limit, 500))])
    audit_list_read(
        act, object_type="charge_list", summary=f"Listed {len(rows)} charges", rows=rows
    )
    return [ChargeOut.of(c) for c in rows]


@router.get("/charges/{charge_id}", response={200: ChargeOut, **READ_ERRORS}, summary="A charge")
def charge_detail(request, charge_id: int):
    act = action(request, C.BILLING_VIEW)
    charge = selectors.charge_get(act.access, charge_id)
    audit_read(act, object_type="charge", record=charge, summary="Viewed a charge through the API")
    return ChargeOut.of(charge)


@router.patch(
    "/charges/{charge_id}",
    response={200: ChargeOut, **ERRORS},
    summary="Correct diagnoses, a line's code or the note before posting",
)
def charge_update(request, charge_id: int, payload: ChargeUpdateIn):
    act = action(request, C.CHARGE_POST)
    charge = charge_services.charge_update(
        charge=selectors.charge_get(act.access, charge_id), **payload.dict(), **act.stamp
    )
    return ChargeOut.of(charge)


@router.post(
    "/charges/{charge_id}/post",
    response={200: ChargeOut, **ERRORS},
    summary="Post to the ledger (posting again returns the posted charge)",
)
def charge_post(request, charge_id: int):
    return _charge_step(request, charge_id, charge_services.charge_post)


@router.post(
    "/charges/{charge_id}/void",
    response={200: ChargeOut, **ERRORS},
    summary="Void a charge that was never posted",
)
def charge_void(request, charge_id: int, payload: BillingReasonIn):
    return _charge_step(request, charge_id, charge_services.charge_void, reason=payload.reason)


@router.post(
    "/charges/{charge_id}/recompute",
    response={200: ChargeOut, **ERRORS},
    summary="Make a session charge's lines again from the record and fee schedule",
)
def charge_recompute(request, charge_id: int):
    return _charge_step(request, charge_id, charge_services.charge_recompute)


@router.post(
    "/patients/{patient_id}/charges",
    response={200: ChargeOut, **ERRORS},
    summary="Enter a charge for a visit without a session",
)
def charge_create(request, patient_id: int, payload: ChargeCreateIn):
    act = action(request, C.CHARGE_POST)
    charge = charge_services.charge_create(
        patient=selectors.patient_for_billing(act.access, patient_id),
        date_of_service=payload.date_of_service,
        services=[(line.service, line.units) for line in payload.lines],
        diagnosis_codes=payload.diagnosis_codes,
        **act.stamp,
    )
    return ChargeOut.of(charge)


# --- the patient account ------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/account",
    response={200: AccountOut, **READ_ERRORS},
    summary="Balance, ledger with running balance, open charges, packages, sliding scale",
)
def account(request, patient_id: int):
    act = action(request, C.BILLING_VIEW)
    patient = selectors.patient_for_billing(act.access, patient_id)
    audit_read(
        act,
        object_type="patient_account",
        patient=patient,
        summary="Viewed the patient account through the API",
    )
    return AccountOut.of(statements.account_view(patient, today=_today(act)))


@router.put(
    "/patients/{patient_id}/account",
    response={200: AccountOut, **ERRORS},
    summary="Whether Medicare is the primary payer",
)
def account_put(request, patient_id: int, payload: AccountIn):
    act = action(request, C.CHARGE_POST)
    patient = selectors.patient_for_billing(act.access, patient_id)
    account_set_medicare(patient=patient, medicare_primary=payload.medicare_primary, **act.stamp)
    return AccountOut.of(statements.account_view(patient, today=_today(act)))


@router.post(
    "/patients/{patient_id}/payments",
    response={200: PaymentOut, **ERRORS},
    summary="Record money received (retry with the same idempotency key)",
)
def payment_create(request, patient_id: int, payload: PaymentIn):
    act = action(request, C.PAYMENT_RECORD)
    payment = payments.payment_record(
        patient=selectors.patient_for_billing(act.access, patient_id), **payload.dict(), **act.stamp
    )
    return PaymentOut.of(payment)


@router.get(
    "/patients/{patient_id}/payments",
    response={200: list[PaymentOut], **READ_ERRORS},
    summary="Payments of the patient, newest first",
)
def payment_list(request, patient_id: int):
    act = action(request, C.BILLING_VIEW)
    patient = selectors.patient_for_billing(act.access, patient_id)
    audit_read(
        act,
        object_type="payment_list",
        patient=patient,
        summary="Listed the patient's payments through the API",
    )
    return [PaymentOut.of(p) for p in selectors.payments_of(patient)]


@router.post(
    "/patients/{patient_id}/packages",
    response={200: PaymentOut, **ERRORS},
    summary="Sell a package: its prepayment is received now",
)
def package_sell(request, patient_id: int, payload: PackageSaleIn):
    act = action(request, C.PAYMENT_RECORD)
    purchase = payments.package_sell(
        patient=selectors.patient_for_billing(act.access, patient_id),
        package=selectors.package_get(act.access, payload.package_id),
        method=payload.method,
        reference=payload.reference,
        idempotency_key=payload.idempotency_key,
        **act.stamp,
    )
    return PaymentOut.of(purchase.payment)


@router.post(
    "/payments/{payment_id}/refunds",
    response={200: RefundOut, **ERRORS},
    summary="Refund part or all of a payment (never more than is left of it)",
)
def refund_create(request, payment_id: int, payload: RefundIn):
    act = action(request, C.PAYMENT_REFUND)
    refund = payments.refund_record(
        payment=selectors.payment_get(act.access, payment_id), **payload.dict(), **act.stamp
    )
    return RefundOut.of(refund)


@router.post(
    "/patients/{patient_id}/adjustments",
    response={200: LedgerLineOut, **ERRORS},
    summary="Write off (negative) or correct (positive) the balance",
)
def adjustment_create(request, patient_id: int, payload: AdjustmentIn):
    act = action(request, C.PAYMENT_REFUND)
    patient = selectors.patient_for_billing(act.access, patient_id)
    entry = payments.adjustment_post(
        patient=patient,
        amount=str(payload.amount),
        reason=payload.reason,
        idempotency_key=payload.idempotency_key,
        **act.stamp,
    )
    return LedgerLineOut.of(
        next(ln for ln in statements.ledger_lines(patient) if ln.entry.pk == entry.pk)
    )


@router.post(
    "/patients/{patient_id}/sliding-scale",
    response={200: AssessmentOut, **ERRORS},
    summary="Record household size and income with the proof seen",
)
def assessment_create(request, patient_id: int, payload: AssessmentIn):
    act = action(request, C.SLIDING_SCALE_ASSESS)
    assessment = sliding_scale.assessment_record(
        patient=selectors.patient_for_billing(act.access, patient_id), **payload.dict(), **act.stamp
    )
    return AssessmentOut.of(assessment)


def _period(act: Action, starts_on: dt.date | None, ends_on: dt.date | None):
    ends_on = ends_on or _today(act)
    starts_on = starts_on or ends_on.replace(day=1)
    if starts_on > ends_on:
        raise Invalid.field("starts_on", "The period starts after it ends.")
    return starts_on, ends_on


def _document(request, patient_id: int, kind: documents.Kind, starts_on, ends_on):
    act = action(request, C.BILLING_VIEW)
    patient = selectors.patient_for_billing(act.access, patient_id)
    starts_on, ends_on = _period(act, starts_on, ends_on)
    return documents.document_download(
        kind=kind,
        patient=patient,
        starts_on=starts_on,
        ends_on=ends_on,
        issued_on=_today(act),
        **act.stamp,
    )


@router.get(
    "/patients/{patient_id}/superbill.pdf",
    response={200: None, **READ_ERRORS},
    summary="Superbill PDF for the dates of service in the period",
)
def superbill(
    request, patient_id: int, starts_on: dt.date | None = None, ends_on: dt.date | None = None
):
    return _document(request, patient_id, "superbill", starts_on, ends_on)


@router.get(
    "/patients/{patient_id}/statement.pdf",
    response={200: None, **READ_ERRORS},
    summary="Patient statement PDF for the period",
)
def statement(
    request, patient_id: int, starts_on: dt.date | None = None, ends_on: dt.date | None = None
):
    return _document(request, patient_id, "statement", starts_on, ends_on)


# --- prior authorisation ------------------------------------------------------------------------


@router.get(
    "/authorisations",
    response={200: list[AuthorisationOut], **READ_ERRORS},
    summary="Current authorisations that need action (expiring, over-booked, pending)",
)
def authorisation_list(request):
    act = action(request, C.BILLING_VIEW)
    found = coverage.coverage_needing_action(act.clinic, today=_today(act))
    return [AuthorisationOut.of(c.authorisation, c) for c in found]


@router.post(
    "/patients/{patient_id}/authorisations",
    response={200: AuthorisationOut, **ERRORS},
    summary="Record a prior-authorisation request sent to a payer",
)
def authorisation_create(request, patient_id: int, payload: AuthorisationIn):
    act = action(request, C.PRIOR_AUTH_MANAGE)
    patient = selectors.patient_for_billing(act.access, patient_id)
    course = None
    if payload.course_id is not None:
        course = TreatmentCourse.objects.filter(pk=payload.course_id, patient=patient).first()
        if course is None:
            raise NotFound("No such course for this patient.")
    authorisation = authorisations.authorisation_submit(
        patient=patient,
        course=course,
        payer=payload.payer,
        payer_reference=payload.payer_reference,
        submitted_on=payload.submitted_on,
        note=payload.note,
        **act.stamp,
    )
    return AuthorisationOut.of(
        authorisation, coverage.coverage_of(authorisation, today=_today(act))
    )


@router.post(
    "/authorisations/{authorisation_id}/decision",
    response={200: AuthorisationOut, **ERRORS},
    summary="The payer's decision (approved with period and units, denied) or an appeal",
)
def authorisation_decide(request, authorisation_id: int, payload: DecisionIn):
    act = action(request, C.PRIOR_AUTH_MANAGE)
    authorisation = authorisations.authorisation_decide(
        authorisation=selectors.authorisation_get(act.access, authorisation_id),
        **payload.dict(),
        **act.stamp,
    )
    return AuthorisationOut.of(
        authorisation, coverage.coverage_of(authorisation, today=_today(act))
    )
