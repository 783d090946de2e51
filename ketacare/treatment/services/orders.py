"""Orders: a draft computed by the core, signed by a prescriber (recomputed first), cancelled with
a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.treatment import selectors
from ketacare.treatment.dose import DoseInput
from ketacare.treatment.errors import TreatmentError, TreatmentInvalid
from ketacare.treatment.models import Order, TreatmentCourse
from ketacare.treatment.selectors.dosing import (
    dose_preview,
)


def _decimal(value: float | None, places: int) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, places)))


@transaction.atomic
def order_draft(
    *,
    course: TreatmentCourse,
    inputs: DoseInput,
    titration_reason: str = "",
    sessions_authorised: int | None = None,
    instructions: str = "",
    origin: RequestOrigin,
    at: dt.datetime,
) -> Order:
    """Compute the dose with the core and keep it as a draft order awaiting a prescriber."""
    if course.phase == TreatmentCourse.Phase.COMPLETED:
        raise TreatmentError("The course is completed: plan a new course.")
    try:
        outcome = dose_preview(
            course=course, inputs=inputs, titration_reason=titration_reason, at=at
        )
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused), fields={"dose": str(refused)}) from None
    if sessions_authorised is None:
        template = selectors.clinic_protocol(course.clinic).templates[course.regimen_key]
        planned = template.induction.sessions
        sessions_authorised = planned.value if planned is not None and planned.value else 1
    if sessions_authorised < 1:
        raise TreatmentInvalid("Authorise at least one session.")
    order = Order.objects.create(
        course=course,
        patient=course.patient,
        route=course.route,
        dose_mg=_decimal(outcome.dose_mg, 2),
        dose_mg_per_kg=_decimal(outcome.dose_mg_per_kg, 3),
        dosing_weight_kg=_decimal(outcome.dosing_weight_kg, 1),
        dosing_weight_basis=outcome.dosing_weight_basis,
        concentration_mg_per_ml=_decimal(outcome.concentration_mg_per_ml, 2),
        drug_volume_ml=_decimal(outcome.drug_volume_ml, 2),
        bag_volume_ml=_decimal(outcome.bag_volume_ml, 1),
        infusion_minutes=outcome.infusion_minutes,
        rate_ml_per_h=_decimal(outcome.rate_ml_per_h, 1),
        sessions_authorised=sessions_authorised,
        calculation={
            **outcome.calculation,
            "summary": outcome.summary,
            "warnings": list(outcome.warnings),
        },
        instructions=instructions.strip(),
        titration_reason=titration_reason.strip(),
        created_at=at,
        created_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="order",
        object_id=order.pk,
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        summary=f"Draft order: {outcome.summary}"[:300],
        changes={"dose_mg": order.dose_mg, "warnings": list(outcome.warnings)},
        at=at,
    )
    return order


def _inputs_of(order: Order) -> DoseInput:
    stored = dict(order.calculation.get("input") or {})
    return DoseInput(**stored)


@transaction.atomic
def order_sign(*, order: Order, origin: RequestOrigin, at: dt.datetime) -> Order:
    """A prescriber signs a draft; it becomes the course's actionable order and supersedes the
    previous signed one. The dose is recomputed first: if the protocol or the patient's weight
    changed since the draft, signing is refused so the prescriber reviews a fresh calculation."""
    order = Order.objects.select_for_update().select_related("course", "patient").get(pk=order.pk)
    if order.status != Order.Status.DRAFT:
        raise TreatmentError(f"This order is {order.status}; only a draft can be signed.")
    if origin.actor is None:
        raise TreatmentError("A prescriber must be signed in to sign an order.")
    course = order.course
    try:
        fresh = dose_preview(
            course=course,
            inputs=_inputs_of(order),
            titration_reason=order.titration_reason,
            at=at,
        )
    except ClinicalRuleError as refused:
        raise TreatmentError(f"The dose is no longer allowed: {refused}") from None
    if _decimal(fresh.dose_mg, 2) != order.dose_mg:
        raise TreatmentError(
            f"The dose computes to {fresh.dose_mg:g} mg now (draft: {order.dose_mg} mg): the "
            "protocol or the patient's weight changed. Write a new order."
        )
    previous = selectors.signed_order(course)
    if previous is not None:
        previous.status = Order.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    order.status = Order.Status.SIGNED
    order.signed_at = at
    order.signed_by = origin.actor
    order.supersedes = previous
    order.save(update_fields=["status", "signed_at", "signed_by", "supersedes"])
    audit_record(
        origin=origin,
        action="sign",
        object_type="order",
        object_id=order.pk,
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        summary=f"Signed order: {order.calculation.get('summary', '')}"[:300],
        changes={"supersedes": previous.pk if previous else None},
        at=at,
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, reason: str, origin: RequestOrigin, at: dt.datetime) -> Order:
    """Withdraw a draft or a signed order (a signed order is never edited, only withdrawn)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Order.Status.DRAFT, Order.Status.SIGNED):
        raise TreatmentError(f"This order is {order.status} and cannot be cancelled.")
    if order.status == Order.Status.SIGNED and not reason.strip():
        raise TreatmentInvalid(
            "Say why a signed order is withdrawn.", fields={"reason": "Required."}
        )
    before = order.status
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status"])
    audit_record(
        origin=origin,
        action="update",
        object_type="order",
        object_id=order.pk,
        clinic_id=order.course.clinic_id,
        patient_id=order.patient_id,
        summary=f"Order {before} → cancelled" + (f": {reason.strip()}" if reason.strip() else ""),
        changes={"status": {"before": before, "after": "cancelled"}, "reason": reason.strip()},
        at=at,
    )
    return order
