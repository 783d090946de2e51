"""Signals: raised once per fact, synced from the record, reviewed and closed by a prescriber."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction

from ketacare.audit.services import RequestOrigin
from ketacare.clinical import longterm as core
from ketacare.core.actions import Actor
from ketacare.core.errors import Invalid, Refused
from ketacare.core.events import emit
from ketacare.longterm import selectors
from ketacare.longterm.events import SIGNAL_RAISED, SIGNAL_REVIEWED
from ketacare.longterm.models import (
    Addendum,
    ContinuationReview,
    Signal,
    SignalReview,
)
from ketacare.longterm.services.common import audited, require_prescriber, required_text
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)

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
    audited(
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
def signals_sync(
    *,
    patient: Patient,
    origin: RequestOrigin,
    at: dt.datetime,
    history: selectors.History | None = None,
) -> list[Signal]:
    """Raise the exposure and misuse signals the history holds and were not raised yet (the
    signals already raised are read in one query; only new findings are tried)."""
    raised_before = set(Signal.objects.filter(patient=patient).values_list("kind", "key"))
    raised = []
    for finding in selectors.derived_findings(patient, at=at, history=history):
        if (finding.kind, finding.key[:120]) in raised_before:
            continue
        signal = signal_raise(patient=patient, finding=finding, origin=origin, at=at)
        if signal is not None:
            raised.append(signal)
    return raised


def overview_synced(
    *, patient: Patient, origin: RequestOrigin, at: dt.datetime, with_benefit: bool = True
) -> selectors.Overview:
    """Raise what the patient's history holds, then the overview of that same history (read
    once): what the chart panel, the page and the API show."""
    history = selectors.history_of(patient, at=at)
    signals_sync(patient=patient, origin=origin, at=at, history=history)
    return selectors.overview(patient, at=at, with_benefit=with_benefit, history=history)


def signals_sync_after_commit(patient_id: int, label: str, *, at: dt.datetime) -> None:
    """Sync, as of ``at`` (the triggering event's time), once the caller's transaction has
    committed; a failure here is logged and never undoes the session or ledger entry that
    triggered it (the next read syncs again)."""

    def run() -> None:
        try:
            patient = Patient.objects.select_related("clinic").get(pk=patient_id)
            signals_sync(patient=patient, origin=RequestOrigin.system(label), at=at)
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
    require_prescriber(actor, "review a long-term safety signal")
    if decision not in SignalReview.Decision.values:
        raise Invalid.field("decision", "Choose one of the listed decisions")
    note = required_text(note, "note", "what you decided and why")
    signal = Signal.objects.select_for_update().get(pk=signal.pk)
    if SignalReview.objects.filter(signal=signal).exists():
        raise Refused("This signal is already reviewed; add an addendum to its review instead.")
    review = SignalReview.objects.create(
        signal=signal, decision=decision, note=note, reviewed_at=at, reviewed_by=actor.user
    )
    audited(
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
    require_prescriber(actor, "add to a review")
    target = signal_review or continuation_review
    if target is None or (signal_review and continuation_review):
        raise Invalid("Add the addendum to one review")
    addendum = Addendum.objects.create(
        signal_review=signal_review,
        continuation_review=continuation_review,
        text=required_text(text, "text", "the addendum"),
        created_at=at,
        created_by=actor.user,
    )
    patient = signal_review.signal.patient if signal_review else continuation_review.patient
    audited(
        origin,
        "create",
        "longterm_addendum",
        addendum,
        patient,
        "Addendum to a long-term safety review",
        at,
    )
    return addendum


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
