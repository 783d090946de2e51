"""The prescriber's decisions: continuation reviews and take-home dispensing limits, and the
limit's check on each ledger dispensing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin
from ketacare.clinical import longterm as core
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.actions import Actor
from ketacare.core.errors import Invalid, Refused
from ketacare.longterm import selectors
from ketacare.longterm.models import (
    ContinuationReview,
    DispensingLimit,
)
from ketacare.longterm.services.common import audited, decimal_of, require_prescriber, required_text
from ketacare.longterm.services.signals import signal_raise
from ketacare.patients.models import Patient

# --- continuation review and dispensing limits --------------------------------------------------


@transaction.atomic
def continuation_review_sign(
    *,
    patient: Patient,
    decision: str,
    rationale: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ContinuationReview:
    """The prescriber's signed decision, with the benefit and risks as they stand now."""
    require_prescriber(actor, "sign a continuation review")
    if decision not in ContinuationReview.Decision.values:
        raise Invalid.field("decision", "Choose continue, taper, pause or stop")
    rationale = required_text(rationale, "rationale", "the reasons for the decision")
    view = selectors.overview(patient, at=at)
    risks = {
        "cumulative_mg": {p.period: p.total_mg for p in view.exposure.periods},
        "open_signals": [s.summary for s in view.open_signals],
        "due": [d.label for d in view.due_now],
        "urinary_positive_checks": sum(1 for c in view.urinary if c.positive),
        "abnormal_liver_results": sum(1 for r in view.liver if r.abnormal_reasons),
    }
    review = ContinuationReview.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        decision=decision,
        rationale=rationale,
        benefit=view.benefit,
        risks=risks,
        signed_at=at,
        signed_by=actor.user,
    )
    audited(
        origin,
        "create",
        "longterm_continuation_review",
        review,
        patient,
        f"Continuation review signed: {decision}",
        at,
        {"decision": decision},
    )
    return review


@transaction.atomic
def dispensing_limit_set(
    *,
    patient: Patient,
    max_mg,
    period_days: int,
    on_exceed: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
    note: str = "",
) -> DispensingLimit:
    """The prescriber's take-home limit (mg per period) for the patient; it replaces any earlier
    one, which stays on record."""
    require_prescriber(actor, "set a dispensing limit")
    amount = decimal_of(max_mg, "max_mg", "the limit in mg")
    if amount <= 0:
        raise Invalid.field("max_mg", "The limit must be above 0 mg")
    if not isinstance(period_days, int) or period_days <= 0:
        raise Invalid.field("period_days", "The period must be a whole number of days above 0")
    if on_exceed not in DispensingLimit.OnExceed.values:
        raise Invalid.field("on_exceed", "Choose to refuse or to warn")
    limit = DispensingLimit.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        max_mg=amount,
        period_days=period_days,
        on_exceed=on_exceed,
        note=(note or "").strip(),
        set_at=at,
        set_by=actor.user,
    )
    audited(
        origin,
        "create",
        "longterm_dispensing_limit",
        limit,
        patient,
        f"Take-home limit set: {amount:f} mg per {period_days} days ({on_exceed})",
        at,
    )
    return limit


def dispensing_checked(*, entry, origin: RequestOrigin, at: dt.datetime) -> None:
    """Called for each ledger dispensing inside its transaction: above the prescriber's limit it
    is refused (the whole dispensing rolls back) or raises a signal, as the limit says."""
    patient = entry.patient
    limit = selectors.dispensing_limit_for(patient)
    if limit is None:
        return
    earlier = [d for d in selectors.dispensed_to(patient) if d.ref != f"ledger:{entry.pk}"]
    try:
        check = core.dispensing_limit_check(
            earlier=earlier,
            this_mg=float(entry.quantity_mg),
            at=entry.occurred_at,
            limit_mg=float(limit.max_mg),
            period_days=limit.period_days,
        )
    except ClinicalRuleError as wrong:
        raise Refused(str(wrong)) from None
    if check.within:
        return
    if limit.on_exceed == DispensingLimit.OnExceed.REFUSE:
        raise Refused(f"Not dispensed: {check.message}.")
    signal_raise(
        patient=patient,
        finding=core.Finding(
            core.Category.MISUSE,
            "dispense_limit_exceeded",
            f"ledger:{entry.pk}",
            entry.occurred_at,
            f"Dispensed above the take-home limit: {check.message}",
            {
                "dispensing": f"ledger:{entry.pk}",
                "period_total_mg": check.period_total_mg,
                "limit_mg": check.limit_mg,
                "period_days": check.period_days,
            },
            core.ABUSE_SOURCE,
        ),
        origin=origin,
        at=at,
    )
