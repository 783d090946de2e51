"""The SPRAVATO REMS Patient Monitoring Form of a session, derived from the record
(``ketacare.clinical.rems`` owns the fields, completeness, problems and due dates), and the
patient's REMS enrolment."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace

from ketacare.clinical.common import Answer, Route
from ketacare.clinical.monitoring import (
    default_protocol,
)
from ketacare.clinical.rems import (
    CONCOMITANT_CLASSES,
    PatientMonitoringForm,
    form_from_session,
    form_problems,
    forms_due_within,
    missing_fields,
    submission_due,
)
from ketacare.clinical.session_flow import (
    SideEffectObservation,
)
from ketacare.core.access import Access
from ketacare.sessions.clinical_records import REMS_FORM_KEYS, rems_form_record
from ketacare.sessions.models import (
    RemsFormRecord,
    TreatmentSession,
)
from ketacare.sessions.records import reading_of
from ketacare.sessions.selectors.flowsheet import (
    baseline_entry,
)
from ketacare.treatment.models import RemsEnrolment

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
    writer = csv.DictWriter(out, fieldnames=list(REMS_FORM_KEYS))
    writer.writeheader()
    for form in forms:
        writer.writerow(rems_form_record(form))
    return out.getvalue()


def first_treatment(session: TreatmentSession) -> bool:
    """No earlier session of this route reached dosing for the patient."""
    earlier = TreatmentSession.objects.filter(
        patient_id=session.patient_id, route=session.route, dosing_started_at__isnull=False
    ).exclude(pk=session.pk)
    if session.dosing_started_at is not None:
        earlier = earlier.filter(dosing_started_at__lt=session.dosing_started_at)
    return not earlier.exists()


def rems_enrolment(patient_id: int) -> RemsEnrolment | None:
    """The patient's one REMS enrolment record (kept by the treatment app), if any."""
    return RemsEnrolment.objects.filter(patient_id=patient_id).first()


def rems_enrolled(session: TreatmentSession) -> bool | None:
    """The patient's SPRAVATO REMS enrolment: True, False, or None when not documented."""
    row = rems_enrolment(session.patient_id)
    return None if row is None else row.enrolled
