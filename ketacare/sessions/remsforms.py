"""SPRAVATO REMS in the clinic: patient enrolment and the per-session Patient Monitoring Form.

The form's fields, completeness, problems and due dates are ``ketacare.clinical.rems``'s; this
module drafts the form from the session record (``rems.form_from_session``) and stores what the
record cannot tell (concomitant medicines, a few yes/no answers) and the submission.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import Answer, Route
from ketacare.clinical.monitoring import default_protocol
from ketacare.clinical.rems import (
    CONCOMITANT_CLASSES,
    FORM_KEYS,
    PatientMonitoringForm,
    form_from_session,
    form_problems,
    forms_due_within,
    missing_fields,
    ready_to_submit,
    submission_due,
)
from ketacare.clinical.session_flow import SideEffectObservation
from ketacare.core.access import Access
from ketacare.sessions.flowsheet import baseline_entry
from ketacare.sessions.models import RemsEnrolment, RemsFormRecord, TreatmentSession
from ketacare.sessions.records import InvalidEntry, SessionRefused, reading_of
from ketacare.sessions.services import first_treatment, rems_enrolled

ESKETAMINE = Route.ESKETAMINE_NASAL.value
# Answers the nurse gives on the REMS page; empty ones fall back to the session record.
ANSWER_KEYS = (
    *(f"concomitant_{c}" for c in CONCOMITANT_CLASSES),
    "vitals_acceptable_before_administration",
    "vitals_acceptable_before_completion",
    "sedation_occurred",
    "sedation_resolved",
    "dissociation_occurred",
    "dissociation_resolved",
    "respiratory_depression_occurred",
    "respiratory_depression_resolved",
)
_RESPIRATORY_CODES = {"spo2_below_alert_threshold", "respiratory_rate_below_alert_threshold"}


@dataclass(frozen=True)
class FormView:
    session: TreatmentSession
    form: PatientMonitoringForm
    missing: list[str]
    problems: list[str]
    due_on: dt.date | None
    submitted_on: dt.date | None


def _answer(value) -> Answer:
    return Answer.parse(value)


def _derived(session: TreatmentSession) -> dict[str, Answer]:
    """What the session record itself says, where it can."""
    codes = {f["code"] for v in session.vitals.all() for f in v.findings}
    failures = {f["id"] for f in session.precheck_failures}
    vitals_failed = any(i.startswith(("vitals:", "predose_")) for i in failures)
    criteria = {c["id"]: c["met"] for c in session.discharge_criteria}
    facts = session.discharge_facts or {}
    effects = {e.effect for e in session.side_effects.all()}
    moaas_rated = any(v.moaas_level is not None for v in session.vitals.all())
    sedated = bool(codes & {"sedation", "loss_of_consciousness"})
    return {
        "vitals_acceptable_before_administration": (
            Answer.YES if session.prechecked_at and not vitals_failed else Answer.UNKNOWN
        ),
        "vitals_acceptable_before_completion": _answer(criteria.get("vitals_near_baseline")),
        "sedation_occurred": Answer.YES
        if sedated
        else (Answer.NO if moaas_rated else Answer.UNKNOWN),
        "dissociation_occurred": Answer.YES if "dissociation" in effects else Answer.UNKNOWN,
        "respiratory_depression_occurred": (
            Answer.YES if codes & _RESPIRATORY_CODES else Answer.UNKNOWN
        ),
        "sedation_resolved": _answer(facts.get("sedation_resolved")),
        "dissociation_resolved": _answer(facts.get("dissociation_resolved")),
        "respiratory_depression_resolved": _answer(facts.get("respiratory_depression_resolved")),
    }


def form_for(session: TreatmentSession) -> PatientMonitoringForm | None:
    """The Patient Monitoring Form drafted from the session; None before the first device."""
    doses = [e for e in session.administration.all() if e.kind == "dose"]
    if session.route != ESKETAMINE or not doses:
        return None
    record = RemsFormRecord.objects.filter(session=session).first()
    given = {k: v for k, v in (record.answers if record else {}).items() if v not in (None, "")}
    answers = {**_derived(session), **{k: _answer(v) for k, v in given.items()}}
    last_dose_at = doses[-1].at
    readings = [v for v in session.vitals.all() if v.systolic_mmhg is not None]
    first_at = default_protocol(ESKETAMINE).post_dose_first_reading_at_minutes
    forty = next(
        (
            v
            for v in readings
            if v.phase == "post_dose"
            and v.taken_at >= last_dose_at + dt.timedelta(minutes=first_at.value)
        ),
        None,
    )
    ended = session.discharged_at
    before_end = [
        v for v in readings if v.phase == "post_dose" and (not ended or v.taken_at <= ended)
    ]
    base = baseline_entry(session)
    nurse = session.signed_by or session.appointment.nurse
    clinic = session.clinic
    address = ", ".join(
        p
        for p in (
            clinic.address_line1,
            clinic.address_line2,
            clinic.city,
            clinic.state,
            clinic.postal_code,
        )
        if p
    )
    form = form_from_session(
        clinic_zone=clinic.zone,
        first_device_at=doses[0].at,
        monitoring_ended_at=ended,
        ready_to_leave_at=session.ready_to_leave_at,
        dose_mg=int(sum(e.dose_mg for e in doses)),
        lot_number=session.lot_number or None,
        first_treatment=first_treatment(session),
        enrolled=rems_enrolled(session),
        concomitant={c: answers.get(f"concomitant_{c}") for c in CONCOMITANT_CLASSES},
        patient_name=session.patient.full_name,
        patient_date_of_birth=session.patient.date_of_birth,
        patient_sex=session.patient.get_sex_at_birth_display(),
        monitoring_hcp_name=(nurse.get_full_name() or nurse.get_username()) if nurse else None,
        monitoring_hcp_phone=clinic.phone or None,
        monitoring_hcp_email=(nurse.email or None) if nurse else None,
        setting_name=clinic.name,
        setting_address=address or None,
        pre_dose=reading_of(base) if base else None,
        post_dose_40_min=reading_of(forty) if forty else None,
        before_completion=reading_of(before_end[-1]) if before_end else None,
        side_effects=[
            SideEffectObservation(
                e.effect, e.severity, e.observed_at, e.serious_adverse_event, e.note
            )
            for e in session.side_effects.all()
        ],
        **{k: answers[k] for k in ANSWER_KEYS if not k.startswith("concomitant_")},
    )
    return replace(form, submitted_on=record.submitted_on if record else None)


def form_view(session: TreatmentSession) -> FormView | None:
    form = form_for(session)
    if form is None:
        return None
    return FormView(
        session=session,
        form=form,
        missing=missing_fields(form),
        problems=form_problems(form),
        due_on=submission_due(form) if form.treatment_date else None,
        submitted_on=form.submitted_on,
    )


def forms_due(access: Access, *, today: dt.date, days: int = 7) -> list[FormView]:
    """Unsubmitted forms of the clinic due within ``days`` (overdue included), earliest first."""
    if access.clinic is None:
        return []
    sessions = (
        TreatmentSession.objects.filter(clinic_id=access.clinic.pk, route=ESKETAMINE)
        .filter(dosing_started_at__isnull=False)
        .exclude(rems_form__submitted_on__isnull=False)
        .select_related("patient", "clinic", "appointment__nurse", "signed_by")
    )
    views = {id(v.form): v for v in (form_view(s) for s in sessions) if v is not None}
    due = forms_due_within([v.form for v in views.values()], today, days)
    return [views[id(f)] for f in due]


def csv_text(forms: list[PatientMonitoringForm]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FORM_KEYS))
    writer.writeheader()
    for form in forms:
        writer.writerow(form.to_dict())
    return out.getvalue()


@transaction.atomic
def rems_answers_update(
    *,
    session: TreatmentSession,
    answers: dict[str, str],
    origin: RequestOrigin,
    now: dt.datetime,
) -> RemsFormRecord:
    """Store the nurse's answers for the form (empty = use the session record)."""
    if session.route != ESKETAMINE:
        raise SessionRefused("The REMS form is for esketamine sessions")
    unknown = set(answers) - set(ANSWER_KEYS)
    if unknown:
        raise InvalidEntry(f"Unknown REMS answers: {', '.join(sorted(unknown))}", "answers")
    record, _ = RemsFormRecord.objects.select_for_update().get_or_create(
        session=session, defaults={"updated_at": now}
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
    record.updated_at = now
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
        at=now,
    )
    return record


@transaction.atomic
def rems_form_submitted(
    *, session: TreatmentSession, submitted_on: dt.date, origin: RequestOrigin, now: dt.datetime
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
        session=session, defaults={"updated_at": now}
    )
    if record.submitted_on:
        raise SessionRefused("This form was already marked submitted")
    record.submitted_on, record.submitted_by, record.updated_at = submitted_on, origin.actor, now
    record.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="rems_form",
        object_id=record.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"REMS Patient Monitoring Form submitted on {submitted_on.isoformat()}",
        at=now,
    )
    return record


@transaction.atomic
def rems_enrolment_set(
    *,
    patient,
    status: str,
    origin: RequestOrigin,
    now: dt.datetime,
    enrolled_on: dt.date | None = None,
    note: str = "",
) -> RemsEnrolment:
    """Record the patient's SPRAVATO REMS enrolment status (source: S15, S58)."""
    if status not in RemsEnrolment.Status.values:
        raise InvalidEntry("Choose enrolled or not enrolled", "status")
    if status == RemsEnrolment.Status.ENROLLED and enrolled_on is None:
        raise InvalidEntry("Give the enrolment date", "enrolled_on")
    row, created = RemsEnrolment.objects.get_or_create(
        patient=patient, defaults={"status": status, "updated_at": now}
    )
    before = {"status": None if created else row.status, "enrolled_on": row.enrolled_on}
    row.status, row.enrolled_on, row.note = status, enrolled_on, (note or "").strip()
    row.updated_at, row.updated_by = now, origin.actor
    row.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="rems_enrolment",
        object_id=row.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"REMS enrolment: {row.get_status_display().lower()}",
        changes={
            "status": {"before": before["status"], "after": status},
            "enrolled_on": {"before": before["enrolled_on"], "after": enrolled_on},
        },
        at=now,
    )
    return row
