"""Long-term safety under /api/v1/patients/{id}/long-term-safety (and its writes below it)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model
from ninja import Router, Schema, Status

from ketacare.core.actions import action, audit_read
from ketacare.core.errors import NotFound
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, CreatedOut, created
from ketacare.longterm import selectors, services
from ketacare.longterm.presenters import overview_data
from ketacare.longterm.schemas import (
    AddendumIn,
    CognitiveScreenIn,
    ContinuationIn,
    DispensingLimitIn,
    LiverResultIn,
    LongTermSafetyOut,
    SignalReviewIn,
    UrinaryCheckIn,
)
from ketacare.patients.selectors import patient_get

router = Router(tags=["long-term safety"])
BASE = "/{patient_id}/long-term-safety"


@router.get(BASE, response={200: LongTermSafetyOut, **ERRORS})
def long_term_safety(request, patient_id: int):
    """Cumulative exposure (mg per route over 30, 90, 365 days and since the first dose), the
    signals with their reviews, and what is due."""
    act = action(request, Capability.LONGTERM_VIEW)
    patient = patient_get(act.access, patient_id)
    view = services.overview_synced(patient=patient, **act.stamp)
    audit_read(act, object_type="longterm", patient=patient, summary="Long-term safety read (API)")
    return overview_data(view)


def _record(request, patient_id: int, body: Schema, record: Callable[..., Model]) -> Status:
    """Record one of the patient's observations (a urinary check, cognitive screen or liver
    result) with its service ``record``; answers the new record's id."""
    act = action(request, Capability.LONGTERM_RECORD)
    patient = patient_get(act.access, patient_id)
    return created(record(patient=patient, **body.model_dump(), **act.stamp))


@router.post(f"{BASE}/urinary-checks", response={201: CreatedOut, **ERRORS})
def urinary_check(request, patient_id: int, body: UrinaryCheckIn):
    return _record(request, patient_id, body, services.urinary_check_record)


@router.post(f"{BASE}/cognitive-screens", response={201: CreatedOut, **ERRORS})
def cognitive_screen(request, patient_id: int, body: CognitiveScreenIn):
    return _record(request, patient_id, body, services.cognitive_screen_record)


@router.post(f"{BASE}/liver-results", response={201: CreatedOut, **ERRORS})
def liver_result(request, patient_id: int, body: LiverResultIn):
    return _record(request, patient_id, body, services.liver_result_record)


@router.post(f"{BASE}/signals/{{signal_id}}/review", response={201: CreatedOut, **ERRORS})
def signal_review(request, patient_id: int, signal_id: int, body: SignalReviewIn):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient = patient_get(act.access, patient_id)
    signal = selectors.signal_get(act.access, signal_id)
    if signal.patient_id != patient.pk:
        raise NotFound("No such signal for this patient.")
    review = services.signal_review(
        signal=signal, **body.model_dump(), actor=act.actor, **act.stamp
    )
    return created(review)


@router.post(f"{BASE}/signal-reviews/{{review_id}}/addenda", response={201: CreatedOut, **ERRORS})
def signal_review_addendum(request, patient_id: int, review_id: int, body: AddendumIn):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient_get(act.access, patient_id)
    review = selectors.signal_review_get(act.access, review_id)
    addendum = services.addendum_add(
        signal_review=review, **body.model_dump(), actor=act.actor, **act.stamp
    )
    return created(addendum)


@router.post(f"{BASE}/continuation-reviews", response={201: CreatedOut, **ERRORS})
def continuation_review(request, patient_id: int, body: ContinuationIn):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient = patient_get(act.access, patient_id)
    review = services.continuation_review_sign(
        patient=patient, **body.model_dump(), actor=act.actor, **act.stamp
    )
    return created(review)


@router.post(f"{BASE}/dispensing-limit", response={201: CreatedOut, **ERRORS})
def dispensing_limit(request, patient_id: int, body: DispensingLimitIn):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient = patient_get(act.access, patient_id)
    limit = services.dispensing_limit_set(
        patient=patient, **body.model_dump(), actor=act.actor, **act.stamp
    )
    return created(limit)
