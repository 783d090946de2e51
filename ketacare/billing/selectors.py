"""Billing reads the pages, the API and the panels share, always scoped to the clinic in use."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value, When

from ketacare.billing.models import (
    Account,
    Charge,
    FeeScheduleItem,
    LedgerEntry,
    Package,
    Payment,
    PriorAuthorisation,
    SlidingScaleAssessment,
)
from ketacare.clinical.patient_account import BALANCE_SIGN
from ketacare.core.access import Access
from ketacare.core.errors import NotFound
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.patients.selectors import patients_in_scope

REEVALUATE_WITHIN_DAYS = 30  # list households whose yearly assessment ends within a month


def _clinic_id(access: Access) -> int:
    return access.clinic.pk if access.clinic is not None else -1


def charges_in_scope(access: Access) -> QuerySet[Charge]:
    return Charge.objects.filter(clinic_id=_clinic_id(access)).select_related("patient")


def charge_get(access: Access, charge_id: int) -> Charge:
    try:
        return charges_in_scope(access).select_related("session", "rendering_provider").get(
            pk=charge_id)
    except Charge.DoesNotExist as missing:
        raise NotFound("No such charge at this clinic.") from missing


def charges_to_review(access: Access) -> QuerySet[Charge]:
    """Charges waiting for billing: those needing attention first, oldest visit first."""
    open_ = charges_in_scope(access).filter(
        status__in=[Charge.Status.NEEDS_ATTENTION, Charge.Status.TO_REVIEW])
    rank = Case(When(status=Charge.Status.NEEDS_ATTENTION, then=Value(0)), default=Value(1))
    return open_.annotate(_rank=rank).order_by("_rank", "date_of_service", "pk")


def patient_for_billing(access: Access, patient_id: int) -> Patient:
    try:
        return patients_in_scope(access).select_related("clinic").get(pk=patient_id)
    except Patient.DoesNotExist as missing:
        raise NotFound("No such patient at this clinic.") from missing


def payment_get(access: Access, payment_id: int) -> Payment:
    try:
        return Payment.objects.select_related("patient").get(
            pk=payment_id, clinic_id=_clinic_id(access))
    except Payment.DoesNotExist as missing:
        raise NotFound("No such payment at this clinic.") from missing


def package_get(access: Access, package_id: int) -> Package:
    try:
        return Package.objects.get(pk=package_id, clinic_id=_clinic_id(access))
    except Package.DoesNotExist as missing:
        raise NotFound("No such package at this clinic.") from missing


def authorisation_get(access: Access, authorisation_id: int) -> PriorAuthorisation:
    try:
        return PriorAuthorisation.objects.select_related("patient", "course").get(
            pk=authorisation_id, clinic_id=_clinic_id(access))
    except PriorAuthorisation.DoesNotExist as missing:
        raise NotFound("No such prior authorisation at this clinic.") from missing


def fee_schedule(clinic: Clinic) -> QuerySet[FeeScheduleItem]:
    return FeeScheduleItem.objects.filter(clinic=clinic).order_by("service")


def packages(clinic: Clinic) -> QuerySet[Package]:
    return Package.objects.filter(clinic=clinic).order_by("-active", "name")


def _signed_amount() -> Case:
    """The ledger's own sign rule (``patient_account.BALANCE_SIGN``) as SQL, for lists."""
    money = DecimalField(max_digits=12, decimal_places=2)
    return Case(
        *(When(kind=kind.value, then=F("amount") * Value(sign)) for kind, sign
          in BALANCE_SIGN.items()),
        output_field=money,
    )


def balances(clinic: Clinic) -> QuerySet[Account]:
    """Accounts with their balance (what is owed; negative is a credit)."""
    per_account = (
        LedgerEntry.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum(_signed_amount()))
        .values("total")
    )
    return Account.objects.filter(clinic=clinic).annotate(
        balance=Subquery(per_account, output_field=DecimalField(max_digits=12, decimal_places=2))
    ).select_related("patient")


def unpaid_balances(clinic: Clinic) -> QuerySet[Account]:
    return balances(clinic).filter(balance__gt=0).order_by("-balance")


def credit_balances(clinic: Clinic) -> QuerySet[Account]:
    return balances(clinic).filter(balance__lt=0).order_by("balance")


def reassessments_due(clinic: Clinic, *, today: dt.date) -> list[SlidingScaleAssessment]:
    """Households whose newest assessment ends within a month, or has ended: assess again."""
    newest = SlidingScaleAssessment.objects.filter(patient=OuterRef("patient")).order_by(
        "-assessed_on", "-pk").values("pk")[:1]
    return list(
        SlidingScaleAssessment.objects.filter(clinic=clinic, pk=Subquery(newest),
                                              valid_until__lte=today + dt.timedelta(
                                                  days=REEVALUATE_WITHIN_DAYS))
        .select_related("patient")
        .order_by("valid_until")[:50]
    )


def payments_of(patient: Patient) -> QuerySet[Payment]:
    return Payment.objects.filter(patient=patient).prefetch_related("refunds").order_by(
        "-created_at", "-pk")
