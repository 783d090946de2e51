"""Charges from what happened: a signed session's lines, billing's review, posting and voiding.

``charges_from_signed_session`` subscribes to ``sessions.events.SESSION_SIGNED``: it runs in the
signature's transaction and never stops a signature for a billing reason — when the lines cannot
be made (a price missing from the fee schedule, no infusion time) the charge waits as "needs
attention" with the reason, and billing recomputes it once the cause is fixed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import Account, Charge, ChargeLine
from ketacare.billing.services.ledger import account_lock, ledger_post
from ketacare.billing.services.pricing import (
    Pricing,
    fee_items,
    manual_lines,
    priced_from_core,
    with_discounts,
)
from ketacare.billing.services.setup import fee_schedule_prices
from ketacare.clinical.billing import (
    SessionChargeFacts,
    billable_infusion_minutes,
    charge_lines_for_session,
)
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.intake import normalise_icd10
from ketacare.clinical.patient_account import EntryKind
from ketacare.core.errors import DomainError, Invalid, Refused
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.sessions.models import TreatmentSession
from ketacare.sessions.selectors.administration import administration_summary

MAX_DIAGNOSES = 12  # the claim form's diagnosis slots (A–L)


def chart_diagnoses(patient: Patient) -> list[str]:
    """ICD-10-CM codes of the patient's latest signed intake (the chart's diagnoses)."""
    intake = (
        IntakeVersion.objects.filter(patient=patient, status=IntakeVersion.Status.SIGNED)
        .order_by("-number")
        .first()
    )
    codes = []
    for row in (intake.data.get("diagnoses", []) if intake else []):
        try:
            codes.append(normalise_icd10(str(row.get("code", ""))))
        except ClinicalRuleError:
            continue  # a malformed historic entry is left for billing to add by hand
    return list(dict.fromkeys(codes))[:MAX_DIAGNOSES]


def diagnoses_clean(codes: list[str]) -> list[str]:
    clean = []
    for number, code in enumerate(codes, 1):
        if not str(code).strip():
            continue
        try:
            clean.append(normalise_icd10(str(code)))
        except ClinicalRuleError as refused:
            raise Invalid.field(f"diagnosis_codes.{number}", str(refused)) from None
    if len(clean) > MAX_DIAGNOSES:
        raise Invalid.field("diagnosis_codes", f"At most {MAX_DIAGNOSES} diagnoses fit a claim.")
    return list(dict.fromkeys(clean))


def date_of_service(session: TreatmentSession) -> dt.date:
    started = session.dosing_started_at or session.checked_in_at or session.appointment.starts_at
    return started.astimezone(session.clinic.zone).date()


def session_facts(session: TreatmentSession, *, medicare: bool) -> SessionChargeFacts:
    """Everything the core needs, read once from the signed record."""
    route = Route(session.route)
    doses = [e.dose_mg for e in session.administration.all() if e.kind == "dose" and e.dose_mg]
    minutes = None
    if route is Route.RACEMIC_IV:
        summary = administration_summary(session, now=session.signed_at or session.state_changed_at)
        minutes = billable_infusion_minutes(running_minutes=summary.running_minutes or 0)
    # Esketamine is billed per mg given (the devices' doses); other routes need no dose here.
    dose = sum(doses, Decimal(0)).normalize() if doses and route.is_esketamine else None
    return SessionChargeFacts(
        route=route,
        date_of_service=date_of_service(session),
        fee_schedule=fee_schedule_prices(session.clinic),
        dose_mg=dose,
        infusion_minutes=minutes,
        medicare=medicare,
    )


def _session_pricing(
    session: TreatmentSession, account: Account, charge: Charge | None
) -> Pricing:
    facts = session_facts(session, medicare=account.medicare_primary)
    lines = priced_from_core(charge_lines_for_session(facts), fee_items(session.clinic))
    return with_discounts(lines, patient=session.patient, day=facts.date_of_service,
                          route=session.route, excluding=charge)


def _write_lines(charge: Charge, pricing: Pricing) -> None:
    charge.lines.all().delete()
    ChargeLine.objects.bulk_create([
        ChargeLine(charge=charge, position=n, service=line.service, code=line.code,
                   units=line.units, unit_price=line.unit_price, amount=line.amount,
                   discount=line.discount, fee=line.fee, code_verified=line.code_verified,
                   code_source=line.code_source)
        for n, line in enumerate(pricing.lines, 1)
    ])
    charge.list_total, charge.discount_total = pricing.list_total, pricing.discount_total
    charge.total = pricing.list_total - pricing.discount_total
    charge.explanation = pricing.explanation[:400]
    charge.sliding_scale = pricing.sliding_scale
    charge.package_purchase = pricing.package_purchase
    charge.package_session_number = pricing.package_session_number


def _price(charge: Charge, pricing_of) -> None:
    """Price ``charge`` with ``pricing_of()``; a billing refusal leaves it needing attention."""
    try:
        with transaction.atomic():
            pricing = pricing_of()
            _write_lines(charge, pricing)
    except (ClinicalRuleError, DomainError) as problem:
        _write_lines(charge, Pricing(()))
        charge.status, charge.problem = Charge.Status.NEEDS_ATTENTION, str(problem)
        return
    charge.status = Charge.Status.TO_REVIEW
    charge.problem = "; ".join(pricing.notes)


def _audit(charge: Charge, origin: RequestOrigin, at: dt.datetime, action: str, summary: str,
           **changes) -> None:
    audit_record(origin=origin, action=action, object_type="charge", record=charge, summary=summary,
                 changes=changes, at=at)


def charges_from_signed_session(*, session: TreatmentSession, origin: RequestOrigin,
                                at: dt.datetime, **_: object) -> Charge:
    """``SESSION_SIGNED`` handler: the session's charge, made once."""
    return charge_for_session(session=session, origin=origin, at=at)


@transaction.atomic
def charge_for_session(
    *, session: TreatmentSession, origin: RequestOrigin, at: dt.datetime
) -> Charge:
    """The signed session's charge, to review: made on first call, returned on every retry."""
    existing = Charge.objects.filter(session=session).first()
    if existing is not None:
        return existing
    if not session.is_locked:
        raise Refused("Only a signed session is charged")
    account = account_lock(session.patient, at=at)
    if existing := Charge.objects.filter(session=session).first():
        return existing
    charge = Charge(
        clinic_id=session.clinic_id, patient_id=session.patient_id, session=session,
        source=Charge.Source.SESSION, status=Charge.Status.TO_REVIEW,
        date_of_service=date_of_service(session), diagnosis_codes=chart_diagnoses(session.patient),
        rendering_provider=session.order.signed_by if session.order_id else None,
        created_at=at, created_by=origin.actor,
    )
    charge.save()
    _price(charge, lambda: _session_pricing(session, account, charge))
    charge.save()
    _audit(charge, origin, at, "create", "Charge made from the signed session",
           session=session.pk, status=charge.status, total=charge.total, problem=charge.problem)
    return charge


@transaction.atomic
def charge_create(
    *, patient: Patient, date_of_service: dt.date, services: list[tuple[str, int]],
    diagnosis_codes: list[str], origin: RequestOrigin, at: dt.datetime,
) -> Charge:
    """A charge billing enters for a visit without a session (consultation, follow-up,
    integration therapy): priced from the fee schedule, sliding scale applied, to review."""
    if not services:
        raise Invalid.field("lines", "Add at least one service.")
    if date_of_service > at.astimezone(patient.clinic.zone).date():
        raise Invalid.field("date_of_service", "A charge is for a visit that happened.")
    codes = diagnoses_clean(diagnosis_codes) or chart_diagnoses(patient)
    account_lock(patient, at=at)
    lines = manual_lines(fee_items(patient.clinic), services)
    pricing = with_discounts(lines, patient=patient, day=date_of_service, route=None)
    charge = Charge(clinic_id=patient.clinic_id, patient=patient, source=Charge.Source.MANUAL,
                    status=Charge.Status.TO_REVIEW, date_of_service=date_of_service,
                    diagnosis_codes=codes, created_at=at, created_by=origin.actor)
    charge.save()
    _write_lines(charge, pricing)
    charge.save()
    _audit(charge, origin, at, "create", "Charge entered by billing",
           services=services, total=charge.total)
    return charge


def _open(charge: Charge) -> Charge:
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if not charge.is_open:
        raise Refused(f"This charge is {charge.get_status_display().lower()} and cannot change; "
                      "post an adjustment to correct a posted charge.")
    return charge


@transaction.atomic
def charge_update(
    *, charge: Charge, diagnosis_codes: list[str] | None = None,
    line_codes: dict[int, str] | None = None, review_note: str | None = None,
    origin: RequestOrigin, at: dt.datetime,
) -> Charge:
    """Billing's corrections before posting: diagnoses, a line's code (e.g. the payer's drug
    code), a note. Units and prices come from the record and the fee schedule: to change them,
    fix the source and recompute."""
    charge = _open(charge)
    changes: dict = {}
    if diagnosis_codes is not None:
        clean = diagnoses_clean(diagnosis_codes)
        changes["diagnosis_codes"] = {"before": charge.diagnosis_codes, "after": clean}
        charge.diagnosis_codes = clean
    for position, code in (line_codes or {}).items():
        line = charge.lines.filter(position=position).first()
        code = (code or "").strip().upper()
        if line is None:
            raise Invalid.field(f"lines.{position}.code", f"The charge has no line {position}.")
        if code and not (code.isalnum() and 4 <= len(code) <= 7):
            raise Invalid.field(f"lines.{position}.code",
                                "A CPT/HCPCS code is 5 letters or digits.")
        if code != line.code or not line.code_verified:
            # Sending a line's code is billing's word on it: changed, or confirmed as it stands.
            source = "set by billing" if code != line.code else "confirmed by billing"
            changes[f"line {position} code"] = {"before": line.code, "after": code,
                                                "source": source}
            line.code, line.code_verified, line.code_source = code, True, source
            line.save(update_fields=["code", "code_verified", "code_source"])
    if review_note is not None:
        charge.review_note = review_note.strip()[:300]
    charge.save()
    _audit(charge, origin, at, "update", "Charge corrected before posting", **changes)
    return charge


@transaction.atomic
def charge_recompute(*, charge: Charge, origin: RequestOrigin, at: dt.datetime) -> Charge:
    """Make a session charge's lines again (after the fee schedule or a package changed)."""
    charge = _open(charge)
    if charge.session_id is None:
        raise Refused("Only a charge made from a session can be recomputed; void and re-enter it.")
    account = account_lock(charge.patient, at=at)
    session = TreatmentSession.objects.select_related("clinic", "order", "appointment").get(
        pk=charge.session_id)
    before = charge.total
    _price(charge, lambda: _session_pricing(session, account, charge))
    if not charge.diagnosis_codes:
        charge.diagnosis_codes = chart_diagnoses(charge.patient)
    charge.save()
    _audit(charge, origin, at, "update", "Charge recomputed", status=charge.status,
           total={"before": before, "after": charge.total}, problem=charge.problem)
    return charge


@transaction.atomic
def charge_post(*, charge: Charge, origin: RequestOrigin, at: dt.datetime) -> Charge:
    """Post a reviewed charge to the patient's ledger. Posting again returns it unchanged."""
    stored = Charge.objects.get(pk=charge.pk)
    if stored.status == Charge.Status.POSTED:
        return stored
    account = account_lock(stored.patient, at=at)
    charge = _open(stored)
    if charge.status == Charge.Status.NEEDS_ATTENTION:
        raise Refused(f"This charge needs attention first: {charge.problem}")
    if not charge.lines.exists():
        raise Refused("A charge without lines cannot be posted.")
    if not charge.diagnosis_codes:
        raise Invalid.field("diagnosis_codes", "Add at least one ICD-10-CM diagnosis before "
                            "posting: the superbill and any claim need one.")
    unverified = [ln.code for ln in charge.lines.all() if not ln.code_verified]
    charge.status, charge.posted_at, charge.posted_by = Charge.Status.POSTED, at, origin.actor
    charge.save()
    if charge.total > 0:
        ledger_post(account=account, reference=charge.ledger_reference, kind=EntryKind.CHARGE,
                    amount=charge.total, description=describe(charge), origin=origin, at=at,
                    charge=charge)
    _audit(charge, origin, at, "update", "Charge posted", total=charge.total,
           unverified_codes_confirmed=unverified)
    return charge


@transaction.atomic
def charge_void(*, charge: Charge, reason: str, origin: RequestOrigin, at: dt.datetime) -> Charge:
    """Void a charge that was never posted (with the reason). A voided session charge is not
    made again; a package session it drew down is free again."""
    charge = _open(charge)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", "Give the reason for voiding the charge.")
    charge.status, charge.void_reason = Charge.Status.VOIDED, reason[:300]
    charge.voided_at, charge.voided_by = at, origin.actor
    charge.save()
    _audit(charge, origin, at, "update", "Charge voided", reason=reason)
    return charge


def describe(charge: Charge) -> str:
    codes = ", ".join(f"{ln.code or ln.get_service_display()} × {ln.units}"
                      for ln in charge.lines.all())
    return f"{charge.date_of_service:%Y-%m-%d} {codes}"[:300]

