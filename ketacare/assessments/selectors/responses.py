"""Questionnaire responses: current versions, one response, its versions, scores."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from ketacare.assessments.models import (
    AssessmentResponse,
    ScheduleRule,
)
from ketacare.assessments.selectors.plans import rules_for
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.clinical.outcomes import (
    DatedScore,
)
from ketacare.core.errors import NotFound
from ketacare.core.lookups import one_or_not_found
from ketacare.patients.models import Patient


def responses_current(patient: Patient, instrument: str | None = None):
    """The latest version of each response (corrected ones left out), oldest first."""
    responses = AssessmentResponse.objects.filter(
        patient=patient, superseded_by__isnull=True
    ).select_related("entered_by")
    if instrument:
        responses = responses.filter(instrument=instrument)
    return responses.order_by("completed_at", "pk")


def response_get(patient: Patient, response_id: int) -> AssessmentResponse:
    return one_or_not_found(
        AssessmentResponse.objects.select_related("patient", "entered_by"),
        "No such questionnaire response for this patient.",
        pk=response_id,
        patient=patient,
    )


def response_in_clinic(access, response_id: int) -> AssessmentResponse:
    if access.clinic is None:
        raise NotFound("No clinic in use.")
    return one_or_not_found(
        AssessmentResponse.objects.select_related("patient", "patient__clinic", "entered_by"),
        "No such questionnaire response at this clinic.",
        pk=response_id,
        patient__clinic_id=access.clinic.pk,
    )


def response_versions(response: AssessmentResponse) -> list[AssessmentResponse]:
    """Every version of the response, first to latest."""
    root = response.original_id or response.pk
    return list(
        AssessmentResponse.objects.filter(Q(pk=root) | Q(original_id=root))
        .select_related("entered_by")
        .order_by("version")
    )


def dated_scores(patient: Patient, *, code: str) -> list[DatedScore]:
    """The patient's current totals on one instrument, for ``clinical.outcomes`` (public)."""
    return [
        DatedScore(code, r.total, r.completed_at)
        for r in responses_current(patient, code)
        if r.total is not None
    ]


def baseline_recorded(patient: Patient, *, before: dt.datetime | None = None) -> bool:
    """Whether every instrument of the clinic's baseline rules has a response (public).

    With no baseline rule, any scored response counts. ``before`` limits to earlier responses.
    """
    responses = responses_current(patient)
    if before is not None:
        responses = responses.filter(completed_at__lte=before)
    answered = set(responses.values_list("instrument", flat=True))
    wanted = {
        r.instrument
        for r in rules_for(patient.clinic).filter(trigger=ScheduleRule.Trigger.BASELINE)
    }
    if not wanted:
        return any(INSTRUMENTS[code].score_range is not None for code in answered)
    return wanted <= answered


def is_current(response: AssessmentResponse) -> bool:
    return not AssessmentResponse.objects.filter(supersedes=response).exists()


def responses_in_scope(access) -> QuerySet[AssessmentResponse]:
    """The current version of every response of the clinic's patients (corrections left out)."""
    if access.clinic is None:
        return AssessmentResponse.objects.none()
    return AssessmentResponse.objects.filter(
        patient__clinic_id=access.clinic.pk, superseded_by__isnull=True
    )
