"""Responses: the one way a questionnaire enters Ketacare, scored by the core; corrections are new
versions; a suicide-risk flag opens a SAFETY alert in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.alerts.models import Alert
from ketacare.alerts.services import alert_open
from ketacare.assessments import selectors
from ketacare.assessments.events import RESPONSE_RECORDED
from ketacare.assessments.models import (
    AssessmentResponse,
    QuestionnaireLink,
)
from ketacare.assessments.services.common import (
    PATIENT_SOURCES,
    SAFETY_ACTION,
    SAFETY_FLAGS,
    AssessmentError,
    AssessmentStateError,
    Submitted,
    _how,
    _name,
)
from ketacare.assessments.services.due import due_store_for_patient
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    Score,
    score,
)
from ketacare.core.events import emit
from ketacare.core.models import Clinic, User
from ketacare.patients.models import Patient

# --- responses ----------------------------------------------------------------------------------


def score_answers(clinic: Clinic, instrument: str, answers: list[int]) -> Score:
    """The core's score with the clinic's scoring settings; refusals as AssessmentError."""
    try:
        return score(instrument, answers, settings=selectors.scoring_settings(clinic))
    except ClinicalRuleError as refused:
        raise AssessmentError.field("answers", str(refused)) from None


def _check_source(instrument: str, source: str) -> None:
    if source not in AssessmentResponse.Source.values:
        raise AssessmentError.field("source", f"Unknown source {source!r}.")
    completed_by = INSTRUMENTS[instrument].completed_by
    name = INSTRUMENTS[instrument].name
    if completed_by == "clinician" and source in PATIENT_SOURCES:
        raise AssessmentError.field(
            "source", f"{name} is rated by a clinician, not by the patient."
        )
    if completed_by == "clinician" and source == AssessmentResponse.Source.STAFF_PAPER:
        raise AssessmentError.field(
            "source", f"{name} is clinician-rated: enter it as clinician-rated."
        )
    if completed_by == "patient" and source == AssessmentResponse.Source.CLINICIAN_RATED:
        raise AssessmentError.field(
            "source", f"{name} is completed by the patient: enter it as a paper result."
        )


def _completed_at(completed_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if completed_at is None:
        return now
    if completed_at.tzinfo is None:
        raise AssessmentError.field("completed_at", "The completion time needs a time zone.")
    if completed_at > now + dt.timedelta(minutes=5):
        raise AssessmentError.field("completed_at", "The completion time is in the future.")
    return completed_at


def response_submit(
    *,
    patient: Patient,
    instrument: str,
    answers: list[int],
    source: str,
    origin: RequestOrigin,
    completed_at: dt.datetime | None = None,
    link: QuestionnaireLink | None = None,
    wording_id: int | None = None,
    at: dt.datetime,
) -> Submitted:
    """Store one completed instrument item by item, scored; open a safety alert if flagged."""
    if instrument not in INSTRUMENTS:
        raise AssessmentError.field("instrument", f"Unknown instrument {instrument!r}.")
    _check_source(instrument, source)
    now = at
    completed = _completed_at(completed_at, now)
    result = score_answers(patient.clinic, instrument, answers)
    with transaction.atomic():
        response = AssessmentResponse.objects.create(
            patient=patient,
            instrument=instrument,
            answers=list(answers),
            scorer_version=result.scorer_version,
            source=source,
            completed_at=completed,
            entered_at=now,
            entered_by=origin.actor,
            entered_by_label=origin.actor_label[:200],
            link=link,
            wording_id=wording_id,
            **_scored_fields(result),
        )
        _audit_response(response, origin, f"{_name(instrument)} {_how(source)}")
        due_store_for_patient(patient_id=patient.pk, at=now)
        alert = _safety_alert(response, result, origin, now)
        emit(RESPONSE_RECORDED, response=response, score=result, alert=alert, origin=origin, at=now)
    return Submitted(response, result, alert)


def response_correct(
    *,
    response: AssessmentResponse,
    answers: list[int],
    reason: str,
    origin: RequestOrigin,
    completed_at: dt.datetime | None = None,
    at: dt.datetime,
) -> Submitted:
    """Enter a corrected version; the previous one stays as it was and points to the new one."""
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError.field("reason", "Say why the answers are corrected.")
    now = at
    patient = response.patient
    result = score_answers(patient.clinic, response.instrument, answers)
    with transaction.atomic():
        previous = AssessmentResponse.objects.select_for_update().get(pk=response.pk)
        if AssessmentResponse.objects.filter(supersedes=previous).exists():
            raise AssessmentStateError(
                f"Version {previous.version} has already been corrected; correct the latest one."
            )
        corrected = AssessmentResponse.objects.create(
            patient=patient,
            instrument=previous.instrument,
            answers=list(answers),
            scorer_version=result.scorer_version,
            source=previous.source,
            completed_at=_completed_at(completed_at, now)
            if completed_at
            else previous.completed_at,
            entered_at=now,
            entered_by=origin.actor,
            entered_by_label=origin.actor_label[:200],
            version=previous.version + 1,
            original_id=previous.original_id or previous.pk,
            supersedes=previous,
            correction_reason=reason,
            wording_id=previous.wording_id,
            **_scored_fields(result),
        )
        changes = diff(
            {
                "answers": previous.answers,
                "total": previous.total,
                "severity": previous.severity,
                "flags": previous.flags,
            },
            {
                "answers": corrected.answers,
                "total": corrected.total,
                "severity": corrected.severity,
                "flags": corrected.flags,
            },
        )
        audit_record(
            origin=origin,
            action="update",
            object_type="assessment_response",
            object_id=corrected.pk,
            patient=patient,
            summary=f"{_name(previous.instrument)} corrected to version {corrected.version}: "
            f"{reason}"[:300],
            changes={**changes, "supersedes": previous.pk, "reason": reason},
            at=now,
        )
        due_store_for_patient(patient_id=patient.pk, at=now)
        alert = None
        if not _chain_has_unresolved_safety_alert(corrected):
            alert = _safety_alert(corrected, result, origin, now)
        emit(
            RESPONSE_RECORDED, response=corrected, score=result, alert=alert, origin=origin, at=now
        )
    return Submitted(corrected, result, alert)


def _scored_fields(result: Score) -> dict:
    details: dict = {}
    if result.domain_scores:
        details["domain_scores"] = dict(result.domain_scores)
    if result.triage_reason:
        details["triage_reason"] = result.triage_reason
        details["triage_sources"] = (
            result.triage_provenance.cite() if result.triage_provenance else ""
        )
    if result.skipped_items:
        details["skipped_items"] = list(result.skipped_items)
    if result.description:
        details["description"] = result.description
    if result.positive_screen is not None:
        details["positive_screen"] = result.positive_screen
    return {
        "total": result.total,
        "severity": result.severity or "",
        "flags": sorted(result.flags),
        "flag_reasons": [
            {"flag": f.flag, "reason": f.reason, "sources": f.provenance.cite()}
            for f in result.flag_reasons
        ],
        "details": details,
    }


def _audit_response(response: AssessmentResponse, origin: RequestOrigin, what: str) -> None:
    outcome = f"total {response.total}" if response.total is not None else response.severity
    if response.severity and response.total is not None:
        outcome += f" ({response.severity})"
    audit_record(
        origin=origin,
        action="create",
        object_type="assessment_response",
        object_id=response.pk,
        clinic_id=response.patient.clinic_id,
        patient_id=response.patient_id,
        summary=f"{what}: {outcome}"[:300],
        at=response.entered_at,
        changes={
            "instrument": response.instrument,
            "source": response.source,
            "total": response.total,
            "severity": response.severity,
            "flags": response.flags,
            "scorer_version": response.scorer_version,
            "completed_at": response.completed_at,
        },
    )


# --- safety net ---------------------------------------------------------------------------------


def _safety_alert(
    response: AssessmentResponse, result: Score, origin: RequestOrigin, at: dt.datetime
) -> Alert | None:
    """Open one SAFETY alert for a response whose score carries a suicide-risk flag."""
    reasons = [f for f in result.flag_reasons if f.flag in SAFETY_FLAGS]
    if not reasons:
        return None
    levels = {SAFETY_FLAGS[f.flag] for f in reasons}
    level = Alert.Level.CRITICAL if Alert.Level.CRITICAL in levels else Alert.Level.WARNING
    name = _name(response.instrument)
    message = "; ".join(
        f.reason if f.reason.startswith(name) else f"{name}: {f.reason}" for f in reasons
    )
    plan = selectors.plan_current(response.patient)
    prescribers: list[User] = [plan.prescriber] if plan and plan.prescriber_id else []
    return alert_open(
        patient=response.patient,
        kind=Alert.Kind.SAFETY,
        level=level,
        code=f"{response.instrument}_{reasons[0].flag}",
        message=message,
        recommended_action=SAFETY_ACTION,
        source_type="assessment_response",
        source_id=response.pk,
        details={
            "instrument": response.instrument,
            "response_id": response.pk,
            "version": response.version,
            "source": response.source,
            "reasons": [
                {"flag": f.flag, "reason": f.reason, "sources": f.provenance.cite()}
                for f in reasons
            ],
        },
        notify_users=prescribers,
        origin=origin,
        at=at,
    )


def _chain_has_unresolved_safety_alert(response: AssessmentResponse) -> bool:
    ids = [str(r.pk) for r in selectors.response_versions(response)]
    return (
        Alert.objects.filter(
            patient_id=response.patient_id,
            kind=Alert.Kind.SAFETY,
            source_type="assessment_response",
            source_id__in=ids,
        )
        .exclude(status=Alert.Status.RESOLVED)
        .exists()
    )
