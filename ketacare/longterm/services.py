"""Every write of long-term safety: one transaction each, audited, with ``at`` passed in.

Signals are raised once per fact (``Signal`` is unique per patient, kind and key), so syncing
again, or a retried request, never raises one twice. Reviews, checks and results are written
once; corrections are addenda.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from ketacare.alerts import services as alert_services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical import longterm as core
from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.longterm import settings as keys
from ketacare.core.actions import Actor
from ketacare.core.errors import Forbidden, Invalid, Refused
from ketacare.core.events import emit
from ketacare.longterm import selectors
from ketacare.longterm.events import SIGNAL_RAISED, SIGNAL_REVIEWED
from ketacare.longterm.models import (
    Addendum,
    CognitiveScreen,
    ContinuationReview,
    DispensingLimit,
    LiverResult,
    Signal,
    SignalReview,
    UrinaryCheck,
)
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentCourse

logger = logging.getLogger(__name__)


def _audit(origin, action, kind, obj, patient, summary, at, changes=None) -> None:
    audit_record(
        origin=origin,
        action=action,
        object_type=kind,
        object_id=obj.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=summary,
        changes=changes,
        at=at,
    )


def _text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid.field(field, f"Write {what}")
    return value


def _decimal(value, field: str, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, f"Give {what} as a number") from None
    if not number.is_finite():
        raise Invalid.field(field, f"Give {what} as a number")
    return number


def _require_prescriber(actor: Actor, what: str) -> None:
    if not actor.is_prescriber:
        raise Forbidden(f"Only a prescriber may {what}.")


# --- signals ------------------------------------------------------------------------------------


def signal_raise(
    *, patient: Patient, finding: core.Finding, origin: RequestOrigin, at: dt.datetime
) -> Signal | None:
    """Raise ``finding`` as a signal unless it was raised already (then None)."""
    if Signal.objects.filter(patient=patient, kind=finding.kind, key=finding.key).exists():
        return None
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                clinic_id=patient.clinic_id,
                patient=patient,
                category=finding.category.value,
                kind=finding.kind,
                key=finding.key[:120],
                raised_at=finding.at,
                recorded_at=at,
                summary=finding.summary[:400],
                evidence=finding.evidence,
                sources=finding.provenance.cite()[:200],
            )
    except IntegrityError:  # raised by a concurrent request a moment ago
        return None
    _audit(
        origin,
        "create",
        "longterm_signal",
        signal,
        patient,
        f"Long-term safety signal raised: {finding.kind}",
        at,
        {"kind": finding.kind, "key": finding.key},
    )
    emit(SIGNAL_RAISED, signal=signal, origin=origin, at=at)
    return signal


@transaction.atomic
def signals_sync(*, patient: Patient, origin: RequestOrigin, at: dt.datetime) -> list[Signal]:
    """Raise the exposure and misuse signals the history holds and were not raised yet."""
    raised = []
    for finding in selectors.derived_findings(patient, at=at):
        signal = signal_raise(patient=patient, finding=finding, origin=origin, at=at)
        if signal is not None:
            raised.append(signal)
    return raised


def signals_sync_after_commit(patient_id: int, label: str) -> None:
    """Sync once the caller's transaction has committed; a failure here is logged and never
    undoes the session or ledger entry that triggered it (the next read syncs again)."""

    def run() -> None:
        from django.utils import timezone

        try:
            patient = Patient.objects.select_related("clinic").get(pk=patient_id)
            signals_sync(patient=patient, origin=RequestOrigin.system(label), at=timezone.now())
        except Exception:
            logger.exception("Long-term safety signals could not be synced for %s", patient_id)

    transaction.on_commit(run)


@transaction.atomic
def signal_review(
    *,
    signal: Signal,
    decision: str,
    note: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
) -> SignalReview:
    """The prescriber's documented decision closes the signal; a second review is refused."""
    _require_prescriber(actor, "review a long-term safety signal")
    if decision not in SignalReview.Decision.values:
        raise Invalid.field("decision", "Choose one of the listed decisions")
    note = _text(note, "note", "what you decided and why")
    signal = Signal.objects.select_for_update().get(pk=signal.pk)
    if SignalReview.objects.filter(signal=signal).exists():
        raise Refused("This signal is already reviewed; add an addendum to its review instead.")
    review = SignalReview.objects.create(
        signal=signal, decision=decision, note=note, reviewed_at=at, reviewed_by=actor.user
    )
    _audit(
        origin,
        "update",
        "longterm_signal",
        signal,
        signal.patient,
        f"Long-term safety signal reviewed: {decision}",
        at,
        {"status": {"before": "open", "after": "reviewed"}, "decision": decision},
    )
    emit(SIGNAL_REVIEWED, review=review, origin=origin, at=at)
    return review


@transaction.atomic
def addendum_add(
    *,
    text: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
    signal_review: SignalReview | None = None,
    continuation_review: ContinuationReview | None = None,
) -> Addendum:
    """A correction or later note to a review, which itself stays as signed."""
    _require_prescriber(actor, "add to a review")
    target = signal_review or continuation_review
    if target is None or (signal_review and continuation_review):
        raise Invalid("Add the addendum to one review")
    addendum = Addendum.objects.create(
        signal_review=signal_review,
        continuation_review=continuation_review,
        text=_text(text, "text", "the addendum"),
        created_at=at,
        created_by=actor.user,
    )
    patient = signal_review.signal.patient if signal_review else continuation_review.patient
    _audit(
        origin,
        "create",
        "longterm_addendum",
        addendum,
        patient,
        "Addendum to a long-term safety review",
        at,
    )
    return addendum


# --- checks and results -------------------------------------------------------------------------


def _prescribers_of(patient: Patient) -> list:
    courses = (
        TreatmentCourse.objects.filter(patient=patient)
        .exclude(phase__in=("completed",))
        .select_related("created_by")
    )
    return list({c.created_by_id: c.created_by for c in courses}.values())


@transaction.atomic
def urinary_check_record(
    *,
    patient: Patient,
    answers: Mapping[str, bool],
    origin: RequestOrigin,
    at: dt.datetime,
    asked_at: dt.datetime | None = None,
    note: str = "",
    session=None,
) -> UrinaryCheck:
    """Record the clinic's checklist as answered. Every question must be answered; any "yes"
    raises a signal and alerts the prescriber with the recommended action."""
    items = selectors.checklist_of(clinic_protocol(patient.clinic))
    missing = [q for q in items if q not in answers]
    if missing:
        raise Invalid.field("answers", "Answer every question: " + ", ".join(missing))
    unknown = [q for q in answers if q not in items]
    if unknown:
        raise Invalid.field("answers", "Not on the clinic's checklist: " + ", ".join(unknown))
    asked_at = asked_at or at
    if asked_at > at:
        raise Invalid.field("asked_at", "The check cannot be in the future")
    ordered = {q: bool(answers[q]) for q in items}
    positive = list(core.urinary_positive(ordered))
    check = UrinaryCheck.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        session=session,
        asked_at=asked_at,
        answers=ordered,
        positive=positive,
        note=(note or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    _audit(
        origin,
        "create",
        "longterm_urinary_check",
        check,
        patient,
        "Urinary symptom check: " + ("positive" if positive else "negative"),
        at,
        {"positive": positive},
    )
    if positive:
        finding = core.Finding(
            core.Category.URINARY,
            "urinary_symptoms",
            f"urinary:{check.pk}",
            asked_at,
            "Urinary symptoms reported: " + ", ".join(positive),
            {"check": check.pk, "positive": positive},
            core.URINARY_SOURCE,
        )
        signal_raise(patient=patient, finding=finding, origin=origin, at=at)
        alert_services.alert_open(
            patient=patient,
            kind=Alert.Kind.OTHER,
            level=Alert.Level.WARNING,
            code="urinary_symptoms",
            message="Urinary symptoms reported: " + ", ".join(positive),
            recommended_action=core.URINARY_ACTION,
            source_type="longterm_urinary_check",
            source_id=check.pk,
            details={
                "positive": positive,
                "sources": list(core.URINARY_SOURCE.sources),
                "action_sources": core.URINARY_ACTION_SOURCE.cite(),
            },
            notify=True,
            notify_users=_prescribers_of(patient),
            origin=origin,
            at=at,
        )
    return check


@transaction.atomic
def cognitive_screen_record(
    *,
    patient: Patient,
    score,
    administered_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    instrument: str = "",
    note: str = "",
) -> CognitiveScreen:
    """Record a score on the clinic's own screen (the first is the baseline). When the clinic has
    said which direction is worse and by how much, a worse score than baseline raises a signal."""
    protocol = clinic_protocol(patient.clinic)
    instrument = (instrument or "").strip() or (
        selectors.setting(protocol, keys.COGNITION_INSTRUMENT) or ""
    )
    if not instrument:
        raise Invalid.field(
            "instrument",
            "Name the cognitive screen used (the clinic has not set one; the reference names none)",
        )
    if administered_at > at:
        raise Invalid.field("administered_at", "The screen cannot be in the future")
    screen = CognitiveScreen.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        instrument=instrument[:120],
        score=_decimal(score, "score", "the score"),
        administered_at=administered_at,
        note=(note or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    _audit(
        origin,
        "create",
        "longterm_cognitive_screen",
        screen,
        patient,
        f"Cognitive screen recorded ({instrument})",
        at,
    )
    view = selectors.cognition_view(patient, protocol)
    if view.change is not None and view.change.worse and view.screens[0].pk == screen.pk:
        signal_raise(
            patient=patient,
            finding=core.Finding(
                core.Category.COGNITION,
                "cognition_worse",
                f"cognition:{screen.pk}",
                administered_at,
                f"Cognitive screen worse than baseline: {view.change.reason}",
                {"screen": screen.pk, "change": view.change.change, "instrument": instrument},
                Provenance(("S14",), True, "label warning; direction and points: clinic"),
            ),
            origin=origin,
            at=at,
        )
    return screen


@transaction.atomic
def liver_result_record(
    *,
    patient: Patient,
    analyte: str,
    value,
    collected_on: dt.date,
    origin: RequestOrigin,
    at: dt.datetime,
    unit: str = "",
    lab_flag: str = "",
    lab_lower=None,
    lab_upper=None,
) -> LiverResult:
    """Record one liver-function result with its date; abnormal (the lab's flag or range, or
    the clinic's limit) raises a signal for review."""
    if analyte not in keys.LIVER_ANALYTES:
        raise Invalid.field("analyte", "Choose ALT, AST, ALP, GGT or total bilirubin")
    if lab_flag not in LiverResult.Flag.values:
        raise Invalid.field("lab_flag", "Choose the lab's flag from the list")
    if collected_on > at.astimezone(patient.clinic.zone).date():
        raise Invalid.field("collected_on", "The sample cannot be collected in the future")
    number = _decimal(value, "value", "the result")
    lower = None if lab_lower in (None, "") else _decimal(lab_lower, "lab_lower", "the range")
    upper = None if lab_upper in (None, "") else _decimal(lab_upper, "lab_upper", "the range")
    clinic_upper = selectors.setting(clinic_protocol(patient.clinic), keys.LIVER_UPPER[analyte])
    reasons = list(
        core.liver_abnormal(
            value=float(number),
            lab_flag=lab_flag,
            lab_lower=None if lower is None else float(lower),
            lab_upper=None if upper is None else float(upper),
            clinic_upper=clinic_upper,
        )
    )
    result = LiverResult.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        analyte=analyte,
        value=number,
        unit=(unit or "").strip() or keys.LIVER_UNITS[analyte],
        lab_flag=lab_flag,
        lab_lower=lower,
        lab_upper=upper,
        collected_on=collected_on,
        abnormal_reasons=reasons,
        recorded_at=at,
        recorded_by=origin.actor,
    )
    _audit(
        origin,
        "create",
        "longterm_liver_result",
        result,
        patient,
        f"Liver result recorded: {keys.LIVER_ANALYTES[analyte]}",
        at,
        {"abnormal": reasons},
    )
    if reasons:
        label = keys.LIVER_ANALYTES[analyte]
        signal_raise(
            patient=patient,
            finding=core.Finding(
                core.Category.LIVER,
                "liver_abnormal",
                f"liver:{result.pk}",
                dt.datetime.combine(collected_on, dt.time.min, patient.clinic.zone),
                f"{label} {number:f} {result.unit} on {collected_on:%Y-%m-%d}: "
                + "; ".join(reasons),
                {
                    "result": result.pk,
                    "analyte": analyte,
                    "value": float(number),
                    "reasons": reasons,
                },
                core.LIVER_SOURCE,
            ),
            origin=origin,
            at=at,
        )
    return result


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
    _require_prescriber(actor, "sign a continuation review")
    if decision not in ContinuationReview.Decision.values:
        raise Invalid.field("decision", "Choose continue, taper, pause or stop")
    rationale = _text(rationale, "rationale", "the reasons for the decision")
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
    _audit(
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
    _require_prescriber(actor, "set a dispensing limit")
    amount = _decimal(max_mg, "max_mg", "the limit in mg")
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
    _audit(
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


def signals_scan(*, at: dt.datetime) -> tuple[int, int]:
    """``signals_sync`` for every patient with a dose, an at-home log or a dispensing; returns
    (patients scanned, signals raised)."""
    from ketacare.controlled_substances.models import LedgerEntry
    from ketacare.sessions.models import AtHomeSession, TreatmentSession

    ids = (
        set(
            TreatmentSession.objects.filter(dosing_started_at__isnull=False).values_list(
                "patient_id", flat=True
            )
        )
        | set(AtHomeSession.objects.values_list("patient_id", flat=True))
        | set(
            LedgerEntry.objects.filter(patient__isnull=False).values_list("patient_id", flat=True)
        )
    )
    origin = RequestOrigin.system("ketacare longterm_scan")
    raised = 0
    for patient in Patient.objects.filter(pk__in=ids).select_related("clinic").order_by("pk"):
        raised += len(signals_sync(patient=patient, origin=origin, at=at))
    return len(ids), raised
