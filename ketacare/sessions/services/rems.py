"""Writing the REMS Patient Monitoring Form's answers, its submission, and REMS enrolment."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.rems import (
    form_problems,
    missing_fields,
    ready_to_submit,
)
from ketacare.sessions.models import RemsFormRecord, TreatmentSession
from ketacare.sessions.records import InvalidEntry, SessionRefused
from ketacare.sessions.selectors.rems import (
    ANSWER_KEYS,
    ESKETAMINE,
    _answer,
    form_for,
)


@transaction.atomic
def rems_answers_update(
    *,
    session: TreatmentSession,
    answers: dict[str, str],
    origin: RequestOrigin,
    at: dt.datetime,
) -> RemsFormRecord:
    """Store the nurse's answers for the form (empty = use the session record)."""
    if session.route != ESKETAMINE:
        raise SessionRefused("The REMS form is for esketamine sessions")
    unknown = set(answers) - set(ANSWER_KEYS)
    if unknown:
        raise InvalidEntry(f"Unknown REMS answers: {', '.join(sorted(unknown))}", "answers")
    record, _ = RemsFormRecord.objects.select_for_update().get_or_create(
        session=session, defaults={"updated_at": at}
    )
    if record.submitted_on:
        raise SessionRefused("This form has been submitted and can no longer change")
    clean = {}
    for key, value in answers.items():
        try:
            clean[key] = _answer(value or None).value if value else ""
        except ValueError as bad:
            raise InvalidEntry(str(bad), key) from bad
    before = dict(record.answers)
    record.answers = {**record.answers, **clean}
    record.updated_at = at
    record.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="rems_form",
        object_id=record.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary="REMS Patient Monitoring Form answers updated",
        changes={
            k: {"before": before.get(k), "after": v} for k, v in clean.items() if before.get(k) != v
        },
        at=at,
    )
    return record


@transaction.atomic
def rems_form_submitted(
    *, session: TreatmentSession, submitted_on: dt.date, origin: RequestOrigin, at: dt.datetime
) -> RemsFormRecord:
    """Mark the form submitted to the REMS; only a complete form without problems."""
    form = form_for(session)
    if form is None:
        raise SessionRefused("There is no REMS form for this session")
    form = replace(form, submitted_on=None)
    if not ready_to_submit(form):
        missing = ", ".join(missing_fields(form)) or "none"
        problems = "; ".join(form_problems(form)) or "none"
        raise SessionRefused(f"The form is not ready. Missing: {missing}. Problems: {problems}")
    if form.treatment_date and submitted_on < form.treatment_date:
        raise InvalidEntry("Submitted before the treatment date", "submitted_on")
    record, _ = RemsFormRecord.objects.select_for_update().get_or_create(
        session=session, defaults={"updated_at": at}
    )
    if record.submitted_on:
        raise SessionRefused("This form was already marked submitted")
    record.submitted_on, record.submitted_by, record.updated_at = submitted_on, origin.actor, at
    record.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="rems_form",
        object_id=record.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"REMS Patient Monitoring Form submitted on {submitted_on.isoformat()}",
        at=at,
    )
    return record
