"""Reads shared by the pages and the API: plans, responses, what is due, trajectories, wording."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from ketacare.assessments import schedule
from ketacare.assessments.defaults import clinic_setup
from ketacare.assessments.models import (
    AssessmentPlan,
    AssessmentResponse,
    AssessmentSettings,
    InstrumentWording,
    ScheduleRule,
)
from ketacare.assessments.treatments import treatment_times_for, treatment_times_for_many
from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.instruments import INSTRUMENTS, MOAAS_LEVELS, ScoringSettings
from ketacare.clinical.outcomes import (
    CourseStatus,
    DatedScore,
    OutcomeSettings,
    RapidResponse,
    course_status,
    rapid_response,
)
from ketacare.clinical.wording import Wording, load_wording
from ketacare.core.errors import NotFound
from ketacare.patients.models import Patient

# --- settings -----------------------------------------------------------------------------------


def settings_for(clinic) -> AssessmentSettings:
    return clinic_setup(clinic)


def scoring_settings(clinic) -> ScoringSettings:
    s = settings_for(clinic)
    return ScoringSettings(
        moaas_sedation_max=s.moaas_sedation_max,
        pcl5_probable_ptsd_min=s.pcl5_probable_ptsd_min,
        madrs_item10_flag_min=s.madrs_item10_flag_min,
    )


def outcome_settings(clinic, code: str) -> OutcomeSettings:
    s = settings_for(clinic)
    remission = {"phq9": s.remission_phq9, "madrs": s.remission_madrs}.get(code)
    if code == "qids_sr16":
        remission = s.remission_qids_sr16
    return OutcomeSettings(
        response_min_fall_percent=s.response_min_fall_percent,
        remission_threshold=remission,
        relapse_rule=s.relapse_rule or None,
        baseline_max_age=dt.timedelta(days=s.baseline_max_age_days)
        if s.baseline_max_age_days
        else None,
    )


# --- rules and plans ----------------------------------------------------------------------------


def rules_for(clinic, *, active_only: bool = True) -> QuerySet[ScheduleRule]:
    settings_for(clinic)  # installs the defaults on first use
    rules = ScheduleRule.objects.filter(clinic=clinic)
    return rules.filter(active=True) if active_only else rules


def rule_get(clinic, rule_id: int) -> ScheduleRule:
    """One schedule rule of the clinic (active or retired)."""
    try:
        return ScheduleRule.objects.get(pk=rule_id, clinic=clinic)
    except ScheduleRule.DoesNotExist as missing:
        raise NotFound("No such schedule rule at this clinic.") from missing


def rule_spec(rule: ScheduleRule) -> schedule.RuleSpec:
    return schedule.RuleSpec(
        id=rule.pk,
        instrument=rule.instrument,
        trigger=rule.trigger,
        phase=rule.phase,
        offset_hours=rule.offset_hours,
        interval_days=rule.interval_days,
        window_hours=rule.window_hours,
        grace_hours=rule.grace_hours,
    )


def plan_current(patient: Patient) -> AssessmentPlan | None:
    """The patient's open measurement plan, if any."""
    return (
        AssessmentPlan.objects.filter(patient=patient, ended_at__isnull=True)
        .select_related("prescriber")
        .first()
    )


def plan_spec(plan: AssessmentPlan) -> schedule.PlanSpec:
    return schedule.PlanSpec(
        started_at=plan.started_at,
        maintenance_started_at=plan.maintenance_started_at,
        ended_at=plan.ended_at,
    )


# --- responses ----------------------------------------------------------------------------------


def responses_current(patient: Patient, instrument: str | None = None):
    """The latest version of each response (corrected ones left out), oldest first."""
    responses = AssessmentResponse.objects.filter(
        patient=patient, superseded_by__isnull=True
    ).select_related("entered_by")
    if instrument:
        responses = responses.filter(instrument=instrument)
    return responses.order_by("completed_at", "pk")


def response_get(patient: Patient, response_id: int) -> AssessmentResponse:
    try:
        return AssessmentResponse.objects.select_related("patient", "entered_by").get(
            pk=response_id, patient=patient
        )
    except AssessmentResponse.DoesNotExist as missing:
        raise NotFound("No such questionnaire response for this patient.") from missing


def response_in_clinic(access, response_id: int) -> AssessmentResponse:
    if access.clinic is None:
        raise NotFound("No clinic in use.")
    try:
        return AssessmentResponse.objects.select_related(
            "patient", "patient__clinic", "entered_by"
        ).get(pk=response_id, patient__clinic_id=access.clinic.pk)
    except AssessmentResponse.DoesNotExist as missing:
        raise NotFound("No such questionnaire response at this clinic.") from missing


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


# --- what is due --------------------------------------------------------------------------------


def _completed(responses) -> list[schedule.Completed]:
    return [schedule.Completed(r.instrument, r.completed_at, r.pk) for r in responses]


def schedule_for(
    patient: Patient, *, treatments: list[dt.datetime], now: dt.datetime
) -> list[schedule.Occurrence]:
    """Every occurrence of the clinic's rules for the patient's open plan (all states)."""
    plan = plan_current(patient)
    if plan is None:
        return []
    rules = [rule_spec(r) for r in rules_for(patient.clinic)]
    return schedule.occurrences(
        rules,
        plan_spec(plan),
        treatments=treatments,
        completed=_completed(responses_current(patient)),
        now=now,
    )


def assessments_due_for(
    patient: Patient, *, treatments: list[dt.datetime], now: dt.datetime
) -> list[schedule.Occurrence]:
    """Due and overdue questionnaires for the patient, oldest due first.

    Public for the treatment app: pass the patient's treatment start times (timezone-aware). A
    patient without an open measurement plan has nothing due.
    """
    return schedule.open_items(schedule_for(patient, treatments=treatments, now=now))


@dataclass(frozen=True)
class DueRow:
    patient: Patient
    item: schedule.Occurrence


def clinic_due(clinic, *, now: dt.datetime) -> list[DueRow]:
    """Due and overdue questionnaires of every patient with an open plan at the clinic."""
    plans = list(
        AssessmentPlan.objects.filter(patient__clinic=clinic, ended_at__isnull=True).select_related(
            "patient", "patient__clinic"
        )
    )
    if not plans:
        return []
    rules = [rule_spec(r) for r in rules_for(clinic)]
    responses: dict[int, list[schedule.Completed]] = defaultdict(list)
    for r in AssessmentResponse.objects.filter(
        patient__in=[p.patient_id for p in plans], superseded_by__isnull=True
    ).only("pk", "patient_id", "instrument", "completed_at"):
        responses[r.patient_id].append(schedule.Completed(r.instrument, r.completed_at, r.pk))
    treatments = treatment_times_for_many(plan.patient for plan in plans)
    rows = []
    for plan in plans:
        items = schedule.occurrences(
            rules,
            plan_spec(plan),
            treatments=treatments[plan.patient_id],
            completed=responses[plan.patient_id],
            now=now,
        )
        rows.extend(DueRow(plan.patient, item) for item in schedule.open_items(items))
    rows.sort(key=lambda row: (row.item.state != schedule.State.OVERDUE, row.item.due_at))
    return rows


# --- wording and forms --------------------------------------------------------------------------

# Project answer labels. PHQ-9/GAD-7 answers are the LOINC answer texts in the reference (§4.5);
# the others are neutral anchors written by the project, not licensed wording.
_PHQ_GAD = ("Not at all", "Several days", "More than half the days", "Nearly every day")
_ANCHORS: dict[str, tuple[str, str]] = {
    "qids_sr16": ("none", "most"),
    "madrs": ("none", "most severe"),
    "pcl5": ("not at all", "extremely"),
    "cadss6": ("not at all", "extremely"),
    "pain_nrs": ("no pain", "worst pain imaginable"),
}


@dataclass(frozen=True)
class FormOption:
    value: int
    label: str


@dataclass(frozen=True)
class FormItem:
    number: int
    label: str
    options: tuple[FormOption, ...]
    ref: str = ""


@dataclass(frozen=True)
class FormSpec:
    code: str
    name: str
    stem: str
    recall_period: str | None
    completed_by: str
    items: tuple[FormItem, ...]
    wording_id: int | None = None
    wording_source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def wording_for(clinic, code: str) -> tuple[InstrumentWording | None, Wording | None]:
    """The clinic's active official wording for ``code`` in its language, validated again."""
    language = settings_for(clinic).language
    row = InstrumentWording.objects.filter(
        clinic=clinic, instrument=code, language=language, active=True
    ).first()
    if row is None:
        return None, None
    try:
        return row, load_wording(row.document)
    except ClinicalRuleError:
        return None, None  # an invalid stored document falls back to the project labels


def _default_options(code: str) -> tuple[FormOption, ...]:
    instrument = INSTRUMENTS[code]
    low, high = instrument.item_range
    if code in ("phq9", "gad7"):
        return tuple(FormOption(v, _PHQ_GAD[v]) for v in range(low, high + 1))
    if code == "cssrs_screen":
        return (FormOption(0, "No"), FormOption(1, "Yes"))
    if code == "moaas":
        return tuple(FormOption(v, f"{v} — {MOAAS_LEVELS[v]}") for v in range(high, low - 1, -1))
    least, most = _ANCHORS.get(code, ("", ""))

    def label(v: int) -> str:
        if v == low and least:
            return f"{v} ({least})"
        if v == high and most:
            return f"{v} ({most})"
        return str(v)

    return tuple(FormOption(v, label(v)) for v in range(low, high + 1))


def form_spec(clinic, code: str) -> FormSpec:
    """Items and answer choices to show: the clinic's official wording, else project labels."""
    instrument = INSTRUMENTS[code]
    row, wording = wording_for(clinic, code)
    if wording is not None:
        options = tuple(FormOption(o.value, o.label) for o in wording.options)
        labels = wording.items
    else:
        options = _default_options(code)
        labels = tuple(item.label for item in instrument.items)
    items = tuple(
        FormItem(item.number, text, options, item.ref)
        for item, text in zip(instrument.items, labels, strict=True)
    )
    stem = wording.stem if wording and wording.stem else _default_stem(code)
    return FormSpec(
        code=code,
        name=instrument.name,
        stem=stem,
        recall_period=instrument.recall_period,
        completed_by=instrument.completed_by,
        items=items,
        wording_id=row.pk if row else None,
        wording_source=wording.source if wording else "",
    )


def _default_stem(code: str) -> str:
    recall = INSTRUMENTS[code].recall_period
    if INSTRUMENTS[code].completed_by == "clinician":
        return "Rate each item."
    if recall:
        return f"Over the {recall}, how often have you been bothered by the following?"
    return "Choose the answer that fits you best for each item."


def patient_instruments(clinic) -> list[str]:
    """Instruments patients complete themselves that the clinic's rules use."""
    codes = {r.instrument for r in rules_for(clinic)}
    return [c for c in INSTRUMENTS if c in codes and INSTRUMENTS[c].completed_by == "patient"]


# --- trajectories and outcomes ------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    code: str
    name: str
    responses: tuple[AssessmentResponse, ...]
    treatments: tuple[dt.datetime, ...]
    status: CourseStatus | None
    status_note: str  # why there is no status, when there is none
    rapid: tuple[RapidResponse, ...] = ()
    rapid_note: str = ""

    @property
    def charted(self) -> bool:
        return INSTRUMENTS[self.code].score_range is not None

    @property
    def status_provenance(self) -> Provenance | None:
        return self.status.provenance if self.status else None


def trajectories(
    patient: Patient, *, treatments: list[dt.datetime] | None = None
) -> list[Trajectory]:
    """One trajectory per instrument the patient has answered, with the course status."""
    treatments = sorted(treatment_times_for(patient) if treatments is None else treatments)
    by_code: dict[str, list[AssessmentResponse]] = defaultdict(list)
    for r in responses_current(patient):
        by_code[r.instrument].append(r)
    settings = settings_for(patient.clinic)
    result = []
    for code in INSTRUMENTS:
        responses = by_code.get(code)
        if not responses:
            continue
        result.append(_trajectory(patient, code, responses, treatments, settings))
    return result


def _trajectory(patient, code, responses, treatments, settings) -> Trajectory:
    name = INSTRUMENTS[code].name
    if INSTRUMENTS[code].score_range is None:
        return Trajectory(
            code,
            name,
            tuple(responses),
            tuple(treatments),
            None,
            f"{name} is categorical: it has no total, so no course status.",
        )
    if not treatments:
        return Trajectory(
            code,
            name,
            tuple(responses),
            (),
            None,
            "Course status needs the time of the first treatment; none is recorded yet.",
        )
    scores = [DatedScore(code, r.total, r.completed_at) for r in responses]
    first = treatments[0]
    options = outcome_settings(patient.clinic, code)
    try:
        status = course_status(scores, code=code, first_treatment_at=first, settings=options)
    except ClinicalRuleError as refused:
        return Trajectory(code, name, tuple(responses), tuple(treatments), None, str(refused))
    rapid: tuple[RapidResponse, ...] = ()
    rapid_note = ""
    if INSTRUMENTS[code].response is None:
        rapid_note = ""
    elif settings.rapid_response_window_hours:
        rapid = rapid_response(
            scores,
            code=code,
            first_treatment_at=first,
            window=dt.timedelta(hours=settings.rapid_response_window_hours),
            settings=options,
        )
    else:
        rapid_note = (
            "Rapid response (24 h, 1 week) is off: the clinic has not set its time window "
            "(the reference gives none)."
        )
    return Trajectory(
        code, name, tuple(responses), tuple(treatments), status, "", rapid, rapid_note
    )


def responses_in_scope(access) -> QuerySet[AssessmentResponse]:
    """The current version of every response of the clinic's patients (corrections left out)."""
    if access.clinic is None:
        return AssessmentResponse.objects.none()
    return AssessmentResponse.objects.filter(
        patient__clinic_id=access.clinic.pk, superseded_by__isnull=True
    )
