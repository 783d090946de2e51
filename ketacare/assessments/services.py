"""Every write of measurement-based care: one transaction each, audited, scored by the core.

``response_submit`` is the one way a questionnaire enters Ketacare (portal, link, staff). It
scores with ``ketacare.clinical.instruments.score`` and, when the result carries a suicide-risk
flag, opens a SAFETY alert in the same transaction (e-mails follow the commit).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max

from ketacare.alerts.models import Alert
from ketacare.alerts.services import alert_open
from ketacare.assessments import selectors
from ketacare.assessments.events import RESPONSE_RECORDED
from ketacare.assessments.models import (
    MAX_REMINDERS,
    AssessmentPlan,
    AssessmentResponse,
    AssessmentSettings,
    InstrumentWording,
    QuestionnaireLink,
    Reminder,
    ScheduleRule,
)
from ketacare.assessments.selectors import assessments_due_for
from ketacare.assessments.treatments import treatment_times_for
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    MADRS_ITEM10_FLAG_MIN,
    MOAAS_SEDATION_MAX,
    PCL5_PROBABLE_PTSD_MIN,
    RESPONSE_MIN_FALL_PERCENT,
    Score,
    score,
)
from ketacare.clinical.outcomes import RELAPSE_RULE
from ketacare.clinical.wording import load_wording
from ketacare.core.errors import Invalid, Refused
from ketacare.core.events import emit
from ketacare.core.links import find_usable_link, new_link_token, use_link
from ketacare.core.models import Clinic, User
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)

# Flags from ``score()`` that open a safety alert, and the alert level each one carries.
SAFETY_FLAGS: dict[str, str] = {
    "suicide_risk_high": Alert.Level.CRITICAL,  # C-SSRS high: immediate evaluation [S69]
    "suicide_risk_moderate": Alert.Level.WARNING,  # C-SSRS moderate [S76]
    "suicidal_ideation": Alert.Level.WARNING,  # PHQ-9 item 9 >= 1 [S20]; QIDS-SR16 item 12 >= 1
    "madrs_suicidal_thoughts": Alert.Level.WARNING,  # only when the clinic sets a cutoff
}
SAFETY_ACTION = (
    "Acknowledge with the action taken: safety plan, same-day assessment or emergency referral."
)
PATIENT_SOURCES = (AssessmentResponse.Source.PORTAL, AssessmentResponse.Source.LINK)
STAFF_SOURCES = (AssessmentResponse.Source.STAFF_PAPER, AssessmentResponse.Source.CLINICIAN_RATED)


class AssessmentError(Invalid):
    """Input the measurement rules refuse (422), with the field it concerns."""


class AssessmentStateError(Refused):
    """An action the record's state does not allow, e.g. correcting a superseded version (409)."""


class LinkInvalid(AssessmentStateError):
    """The one-time questionnaire link is unknown, used or expired."""


@dataclass(frozen=True)
class Submitted:
    response: AssessmentResponse
    score: Score
    alert: Alert | None

    @property
    def safety_flagged(self) -> bool:
        return self.alert is not None or bool(self.score.flags & SAFETY_FLAGS.keys())


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
        alert = _safety_alert(response, result, origin, now)
        emit(
            RESPONSE_RECORDED, response=response, score=result, alert=alert, origin=origin, at=now
        )
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
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            summary=f"{_name(previous.instrument)} corrected to version {corrected.version}: "
            f"{reason}"[:300],
            changes={**changes, "supersedes": previous.pk, "reason": reason},
            at=now,
        )
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


def _name(code: str) -> str:
    return INSTRUMENTS[code].name


def _how(source: str) -> str:
    return {
        "portal": "completed by the patient in the portal",
        "link": "completed by the patient through a link",
        "staff_paper": "entered from paper",
        "clinician_rated": "rated by a clinician",
        "demo": "demo data",
    }[source]


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


# --- plans --------------------------------------------------------------------------------------


def _check_prescriber(patient: Patient, prescriber: User | None) -> None:
    if prescriber is None:
        return
    if (
        not prescriber.memberships.filter(active=True, role__in=("prescriber", "medical_director"))
        .filter(clinic_id=patient.clinic_id)
        .exists()
        and not prescriber.memberships.filter(
            active=True,
            role="medical_director",
            clinic__isnull=True,
            organisation_id=patient.clinic.organisation_id,
        ).exists()
    ):
        raise AssessmentError.field(
            "prescriber_id", "The prescriber must be a prescriber at this clinic."
        )


@transaction.atomic
def plan_start(
    *,
    patient: Patient,
    started_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    prescriber: User | None = None,
    maintenance_started_at: dt.datetime | None = None,
) -> AssessmentPlan:
    """Enrol the patient in measurement-based care (one open plan at a time)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if selectors.plan_current(patient) is not None:
        raise AssessmentStateError("The patient already has an open measurement plan.")
    _check_prescriber(patient, prescriber)
    _check_maintenance(started_at, maintenance_started_at)
    plan = AssessmentPlan.objects.create(
        patient=patient,
        started_at=started_at,
        maintenance_started_at=maintenance_started_at,
        prescriber=prescriber,
        created_at=at,
        created_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="assessment_plan",
        object_id=plan.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"Measurement plan started {started_at:%Y-%m-%d}",
        changes=_plan_snapshot(plan),
        at=at,
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: AssessmentPlan,
    origin: RequestOrigin,
    at: dt.datetime,
    started_at: dt.datetime,
    maintenance_started_at: dt.datetime | None,
    prescriber: User | None,
    ended_at: dt.datetime | None = None,
) -> AssessmentPlan:
    """Change the plan's dates, phase or prescriber, or end it."""
    plan = AssessmentPlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    if plan.ended_at is not None:
        raise AssessmentStateError("This measurement plan has ended; start a new one.")
    _check_prescriber(plan.patient, prescriber)
    _check_maintenance(started_at, maintenance_started_at)
    if ended_at is not None and ended_at < started_at:
        raise AssessmentError.field("ended_at", "The plan cannot end before it starts.")
    before = _plan_snapshot(plan)
    plan.started_at = started_at
    plan.maintenance_started_at = maintenance_started_at
    plan.prescriber = prescriber
    plan.ended_at = ended_at
    plan.save()
    changes = diff(before, _plan_snapshot(plan))
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="assessment_plan",
            object_id=plan.pk,
            clinic_id=plan.patient.clinic_id,
            patient_id=plan.patient_id,
            summary="Measurement plan ended" if ended_at else "Measurement plan changed",
            changes=changes,
            at=at,
        )
    return plan


def _check_maintenance(started_at: dt.datetime, maintenance: dt.datetime | None) -> None:
    if maintenance is not None and maintenance < started_at:
        raise AssessmentError.field(
            "maintenance_started_at", "Maintenance cannot start before the plan."
        )


def _plan_snapshot(plan: AssessmentPlan) -> dict:
    return {
        "started_at": plan.started_at.isoformat(),
        "maintenance_started_at": plan.maintenance_started_at.isoformat()
        if plan.maintenance_started_at
        else None,
        "ended_at": plan.ended_at.isoformat() if plan.ended_at else None,
        "prescriber_id": plan.prescriber_id,
    }


# --- rules --------------------------------------------------------------------------------------

RULE_FIELDS = (
    "instrument",
    "trigger",
    "phase",
    "offset_hours",
    "interval_days",
    "window_hours",
    "grace_hours",
    "active",
)
MAX_RULE_HOURS = 24 * 90


def _check_rule(values: dict) -> None:
    if values["instrument"] not in INSTRUMENTS:
        raise AssessmentError.field("instrument", f"Unknown instrument {values['instrument']!r}.")
    if values["trigger"] not in ScheduleRule.Trigger.values:
        raise AssessmentError.field("trigger", f"Unknown trigger {values['trigger']!r}.")
    if values["phase"] not in ScheduleRule.Phase.values:
        raise AssessmentError.field("phase", f"Unknown phase {values['phase']!r}.")
    if values["trigger"] == ScheduleRule.Trigger.EVERY_N_DAYS:
        if not values.get("interval_days") or not 1 <= values["interval_days"] <= 365:
            raise AssessmentError.field(
                "interval_days", "“Every N days” needs an interval of 1 to 365 days."
            )
    else:
        values["interval_days"] = None
    for name in ("offset_hours", "window_hours", "grace_hours"):
        if not 0 <= values[name] <= MAX_RULE_HOURS:
            raise AssessmentError.field(
                name, f"{name.replace('_', ' ').capitalize()} must be 0–{MAX_RULE_HOURS}."
            )


@transaction.atomic
def rule_create(
    *, clinic: Clinic, values: dict, origin: RequestOrigin, at: dt.datetime
) -> ScheduleRule:
    """Add a schedule rule for the clinic."""
    selectors.settings_for(clinic)
    values = {
        "phase": "any",
        "offset_hours": 0,
        "window_hours": 24,
        "grace_hours": 0,
        "interval_days": None,
        "active": True,
    } | values
    _check_rule(values)
    now = at
    rule = ScheduleRule.objects.create(
        clinic=clinic, created_at=now, updated_at=now, **{k: values[k] for k in RULE_FIELDS}
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="schedule_rule",
        object_id=rule.pk,
        clinic_id=clinic.pk,
        summary=f"Schedule rule added: {rule}",
        changes={k: values[k] for k in RULE_FIELDS},
        at=at,
    )
    return rule


@transaction.atomic
def rule_update(
    *, rule: ScheduleRule, values: dict, origin: RequestOrigin, at: dt.datetime
) -> ScheduleRule:
    """Change a schedule rule; ``active=False`` retires it (rules are kept for history)."""
    rule = ScheduleRule.objects.select_for_update().get(pk=rule.pk)
    before = {k: getattr(rule, k) for k in RULE_FIELDS}
    values = before | values
    _check_rule(values)
    for k in RULE_FIELDS:
        setattr(rule, k, values[k])
    rule.updated_at = at
    rule.save()
    changes = diff(before, {k: getattr(rule, k) for k in RULE_FIELDS})
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="schedule_rule",
            object_id=rule.pk,
            clinic_id=rule.clinic_id,
            summary=f"Schedule rule changed: {rule}",
            changes=changes,
            at=at,
        )
    return rule


# --- clinic settings and wording ----------------------------------------------------------------

# field -> the clinical core's ConfigurableDefault that bounds it (None: bounded here)
SETTING_BOUNDS = {
    "response_min_fall_percent": RESPONSE_MIN_FALL_PERCENT,
    "remission_phq9": INSTRUMENTS["phq9"].remission.threshold,
    "remission_madrs": INSTRUMENTS["madrs"].remission.threshold,
    "remission_qids_sr16": INSTRUMENTS["qids_sr16"].remission.threshold,
    "relapse_rule": RELAPSE_RULE,
    "madrs_item10_flag_min": MADRS_ITEM10_FLAG_MIN,
    "pcl5_probable_ptsd_min": PCL5_PROBABLE_PTSD_MIN,
    "moaas_sedation_max": MOAAS_SEDATION_MAX,
}
PLAIN_BOUNDS = {
    "reminder_interval_hours": (1, 24 * 14),
    "link_ttl_hours": (1, 24 * 30),
    "baseline_max_age_days": (1, 365),
    "rapid_response_window_hours": (1, 7 * 24),
}
SETTING_FIELDS = ("language", *SETTING_BOUNDS, *PLAIN_BOUNDS)


@transaction.atomic
def settings_update(
    *, clinic: Clinic, values: dict, origin: RequestOrigin, at: dt.datetime
) -> AssessmentSettings:
    """Change measurement settings within the clinical core's safe bounds (None = default)."""
    current = selectors.settings_for(clinic)
    current = AssessmentSettings.objects.select_for_update().get(pk=current.pk)
    errors = {}
    for name, value in values.items():
        if name not in SETTING_FIELDS:
            errors[name] = "unknown setting"
            continue
        if value in (None, "") and name in ("reminder_interval_hours", "link_ttl_hours"):
            errors[name] = "required"
            continue
        if value in (None, ""):
            continue
        try:
            if name in SETTING_BOUNDS:
                SETTING_BOUNDS[name].validate(value)
            elif name in PLAIN_BOUNDS:
                low, high = PLAIN_BOUNDS[name]
                if not low <= value <= high:
                    raise ClinicalRuleError(f"must be {low}–{high}")
        except ClinicalRuleError as refused:
            errors[name] = str(refused)
    if errors:
        raise SettingsInvalid(errors)
    before = {name: getattr(current, name) for name in SETTING_FIELDS}
    for name, value in values.items():
        if name == "relapse_rule":
            value = value or ""
        elif name == "language":
            value = (value or "en").strip()
        elif value == "":
            value = None
        setattr(current, name, value)
    current.updated_at = at
    current.updated_by = origin.actor
    current.save()
    changes = diff(before, {name: getattr(current, name) for name in SETTING_FIELDS})
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="assessment_settings",
            object_id=current.pk,
            clinic_id=clinic.pk,
            summary=f"Measurement settings changed: {', '.join(changes)}"[:300],
            changes=changes,
            at=at,
        )
    return current


class SettingsInvalid(AssessmentError):
    """One or more settings outside their bounds; ``fields`` names each."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)

    @property
    def errors(self) -> dict[str, str]:
        return self.fields


@transaction.atomic
def wording_upload(
    *, clinic: Clinic, document, origin: RequestOrigin, at: dt.datetime
) -> InstrumentWording:
    """Store a clinic's official wording after ``load_wording`` accepts it; it replaces the
    previous wording of the same instrument and language (kept, inactive)."""
    try:
        wording = load_wording(document)
    except ClinicalRuleError as refused:
        raise AssessmentError.field("document", str(refused)) from None
    if not isinstance(document, dict):
        import json

        document = json.loads(document)
    replaced = list(
        InstrumentWording.objects.select_for_update().filter(
            clinic=clinic, instrument=wording.instrument, language=wording.language, active=True
        )
    )
    InstrumentWording.objects.filter(pk__in=[w.pk for w in replaced]).update(active=False)
    row = InstrumentWording.objects.create(
        clinic=clinic,
        instrument=wording.instrument,
        language=wording.language,
        document=document,
        source=wording.source[:500],
        uploaded_at=at,
        uploaded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="instrument_wording",
        object_id=row.pk,
        clinic_id=clinic.pk,
        summary=f"Official wording loaded: {_name(wording.instrument)} ({wording.language})",
        changes={"replaced": [w.pk for w in replaced], "source": wording.source},
        at=at,
    )
    return row


@transaction.atomic
def wording_retire(*, wording: InstrumentWording, origin: RequestOrigin, at: dt.datetime) -> None:
    """Stop showing a clinic wording: the project labels are shown again."""
    InstrumentWording.objects.filter(pk=wording.pk).update(active=False)
    audit_record(
        origin=origin,
        action="update",
        object_type="instrument_wording",
        object_id=wording.pk,
        clinic_id=wording.clinic_id,
        summary=f"Official wording retired: {_name(wording.instrument)} ({wording.language})",
        changes={"active": {"before": True, "after": False}},
        at=at,
    )


# --- questionnaire links ------------------------------------------------------------------------


def _link_url(token: str) -> str:
    from django.urls import reverse

    path = reverse("assessments:by_link", args=[token])
    return f"{django_settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _new_link(
    *,
    patient: Patient,
    instrument: str,
    origin: RequestOrigin,
    at: dt.datetime,
    due_key: str = "",
) -> tuple[QuestionnaireLink, str]:
    if not patient.email:
        raise AssessmentStateError(
            "The patient has no e-mail address; add one before sending a link."
        )
    if INSTRUMENTS[instrument].completed_by != "patient":
        raise AssessmentStateError(
            f"{_name(instrument)} is clinician-rated; it has no patient link."
        )
    token, digest = new_link_token()
    now = at
    ttl = selectors.settings_for(patient.clinic).link_ttl_hours
    link = QuestionnaireLink.objects.create(
        patient=patient,
        instrument=instrument,
        token_sha256=digest,
        created_at=now,
        created_by=origin.actor,
        expires_at=now + dt.timedelta(hours=ttl),
        sent_to=patient.email,
        due_key=due_key,
    )
    return link, _link_url(token)


def _link_message(patient: Patient, instrument: str, url: str, ttl_hours: int, *, reminder: int):
    clinic = patient.clinic
    name = _name(instrument)
    subject = f"{clinic.name}: your {name} questionnaire"
    if reminder:
        subject = f"Reminder {reminder} of {MAX_REMINDERS} — {subject}"
    body = (
        f"Hello {patient.preferred_name or patient.first_name},\n\n"
        f"Your care team asks you to answer a short questionnaire ({name}):\n{url}\n\n"
        f"The link works once and expires in {ttl_hours} hours. You can also answer it when you "
        "sign in to your patient portal.\n\n"
        "If you are thinking about suicide or are in crisis, call or text 988 now, or call 911.\n"
        f"If you did not expect this message, call {clinic.phone or 'the clinic'}.\n"
    )
    return subject, body


@transaction.atomic
def questionnaire_link_send(
    *, patient: Patient, instrument: str, origin: RequestOrigin, at: dt.datetime
) -> tuple[QuestionnaireLink, str]:
    """E-mail the patient a one-time link to one questionnaire; returns the link and its URL."""
    link, url = _new_link(patient=patient, instrument=instrument, origin=origin, at=at)
    ttl = selectors.settings_for(patient.clinic).link_ttl_hours
    subject, body = _link_message(patient, instrument, url, ttl, reminder=0)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[patient.email])
    audit_record(
        origin=origin,
        action="send",
        object_type="questionnaire_link",
        object_id=link.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"{_name(instrument)} link e-mailed to {patient.email}",
        at=at,
    )
    return link, url


QUESTIONNAIRE_LINK_USED = "This questionnaire has already been answered with this link. Thank you."


def questionnaire_link_resolve(token: str, *, now: dt.datetime) -> QuestionnaireLink:
    """The usable link for ``token``, or LinkInvalid saying why not."""
    return find_usable_link(
        QuestionnaireLink.objects.select_related("patient", "patient__clinic"),
        token,
        error=LinkInvalid,
        used_message=QUESTIONNAIRE_LINK_USED,
        now=now,
    )


def response_submit_via_link(
    *,
    token: str,
    answers: list[int],
    origin: RequestOrigin,
    at: dt.datetime,
    wording_id: int | None = None,
) -> Submitted:
    """The patient's answers through a one-time link; the link is then used up."""
    with transaction.atomic():
        link = use_link(
            QuestionnaireLink.objects.select_related("patient"),
            questionnaire_link_resolve(token, now=at),
            error=LinkInvalid,
            used_message=QUESTIONNAIRE_LINK_USED,
            at=at,
        )
        patient_origin = RequestOrigin(
            actor=None,
            actor_label=f"patient {link.patient.mrn} (questionnaire link)",
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
        )
        return response_submit(
            patient=link.patient,
            instrument=link.instrument,
            answers=answers,
            source=AssessmentResponse.Source.LINK,
            origin=patient_origin,
            link=link,
            wording_id=wording_id,
            at=at,
        )


# --- reminders ----------------------------------------------------------------------------------


def reminders_send_due(*, now: dt.datetime) -> int:
    """E-mail a reminder for each due or overdue patient questionnaire; returns how many.

    At most ``MAX_REMINDERS`` per questionnaire, at least the clinic's reminder interval apart.
    Idempotent: a second run at the same moment sends nothing. A failing e-mail records nothing,
    so the next run tries again.
    """
    sent = 0
    plans = AssessmentPlan.objects.filter(ended_at__isnull=True).select_related(
        "patient", "patient__clinic"
    )
    for plan in plans.iterator():
        patient = plan.patient
        if not patient.email:
            continue
        items = [
            item
            for item in assessments_due_for(
                patient, treatments=treatment_times_for(patient), now=now
            )
            if item.completed_by_patient
        ]
        if not items:
            continue
        interval = dt.timedelta(
            hours=selectors.settings_for(patient.clinic).reminder_interval_hours
        )
        for item in items:
            try:
                sent += _remind(patient, item, now=now, interval=interval)
            except Exception:
                logger.exception("Reminder for patient %s (%s) failed", patient.pk, item.key)
    return sent


def _remind(patient: Patient, item, *, now: dt.datetime, interval: dt.timedelta) -> int:
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        last = Reminder.objects.filter(patient=patient, due_key=item.key).aggregate(
            n=Max("number"), at=Max("sent_at")
        )
        number = (last["n"] or 0) + 1
        if number > MAX_REMINDERS or (last["at"] and now - last["at"] < interval):
            return 0
        origin = RequestOrigin.system("send_assessment_reminders")
        link, url = _new_link(
            patient=patient, instrument=item.instrument, origin=origin, at=now, due_key=item.key
        )
        ttl = selectors.settings_for(patient.clinic).link_ttl_hours
        subject, body = _link_message(patient, item.instrument, url, ttl, reminder=number)
        Reminder.objects.create(
            patient=patient,
            due_key=item.key,
            instrument=item.instrument,
            number=number,
            sent_at=now,
            sent_to=patient.email,
            link=link,
        )
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[patient.email])
        audit_record(
            origin=origin,
            action="send",
            object_type="assessment_reminder",
            object_id=link.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            summary=f"Reminder {number} of {MAX_REMINDERS}: {_name(item.instrument)} e-mailed",
            changes={"due_key": item.key},
            at=now,
        )
    return 1
