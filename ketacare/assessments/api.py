"""Measurement-based care under /api/v1/assessments: responses, schedules, trajectories.

Every read of patient data is audited; every write goes through ``services``.
"""

from __future__ import annotations

from ninja import Body, Router, Status

from ketacare.assessments import selectors, services
from ketacare.assessments.models import AssessmentResponse, InstrumentWording, ScheduleRule
from ketacare.assessments.schemas import (
    CorrectionIn,
    DueOut,
    LinkIn,
    PlanIn,
    PlanOut,
    QuestionnaireLinkOut,
    ResponseCreated,
    ResponseDetail,
    ResponseIn,
    ResponseOut,
    RuleIn,
    RuleOut,
    SettingsIO,
    TrajectoryOut,
    WordingOut,
)
from ketacare.assessments.treatments import treatment_times_for
from ketacare.audit.services import audit_record
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.actions import Action, action, audit_read
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.models import User
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.patients.selectors import patient_get

router = Router(tags=["assessments"])
MAX_DUE_PAGE = 500  # rows per page of the clinic's due list
WordingDocument = Body[dict]


def _audit_view(act: Action, patient, what: str, object_id: object = "") -> None:
    audit_read(
        act,
        object_type=what,
        object_id=object_id or patient.pk,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


def _response_out(response: AssessmentResponse, *, current: bool | None = None) -> dict:
    if current is None:
        current = selectors.is_current(response)
    return {
        "id": response.pk,
        "patient_id": response.patient_id,
        "instrument": response.instrument,
        "instrument_name": INSTRUMENTS[response.instrument].name,
        "answers": response.answers,
        "total": response.total,
        "severity": response.severity or None,
        "flags": response.flags,
        "flag_reasons": response.flag_reasons,
        "details": response.details,
        "scorer_version": response.scorer_version,
        "source": response.source,
        "completed_at": response.completed_at,
        "entered_at": response.entered_at,
        "entered_by": response.entered_by_label,
        "version": response.version,
        "supersedes_id": response.supersedes_id,
        "original_id": response.original_id,
        "correction_reason": response.correction_reason,
        "current": current,
    }


def _due_out(patient, item) -> dict:
    return {
        "key": item.key,
        "patient_id": patient.pk,
        "patient_mrn": patient.mrn,
        "instrument": item.instrument,
        "instrument_name": item.instrument_name,
        "trigger": item.trigger,
        "state": str(item.state),
        "anchor_at": item.anchor_at,
        "opens_at": item.opens_at,
        "due_at": item.due_at,
        "closes_at": item.closes_at,
        "completed_by_patient": item.completed_by_patient,
    }


# --- responses ----------------------------------------------------------------------------------


@router.get(
    "/patients/{patient_id}/responses",
    response={200: list[ResponseOut], **READ_ERRORS},
    summary="A patient's questionnaire responses (latest versions unless all_versions)",
)
def list_responses(request, patient_id: int, instrument: str = "", all_versions: bool = False):
    act = action(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(act.access, patient_id)
    responses = AssessmentResponse.objects.filter(patient=patient).order_by(
        "completed_at", "version"
    )
    if instrument:
        responses = responses.filter(instrument=instrument)
    superseded = set(
        AssessmentResponse.objects.filter(patient=patient, supersedes__isnull=False).values_list(
            "supersedes_id", flat=True
        )
    )
    if not all_versions:
        responses = responses.exclude(pk__in=superseded)
    _audit_view(act, patient, "assessment_responses")
    return [_response_out(r, current=r.pk not in superseded) for r in responses]


@router.post(
    "/patients/{patient_id}/responses",
    response={201: ResponseCreated, **ERRORS},
    summary="Enter a clinician-rated or paper result (scored; flags open a safety alert)",
)
def create_response(request, patient_id: int, payload: ResponseIn):
    act = action(request, Capability.ASSESSMENT_ENTER)
    patient = patient_get(act.access, patient_id)
    result = services.response_submit(patient=patient, **payload.model_dump(), **act.stamp)
    return Status(
        201,
        {
            "response": _response_out(result.response, current=True),
            "safety_alert_id": result.alert.pk if result.alert else None,
        },
    )


@router.get("/responses/{response_id}", response={200: ResponseDetail, **READ_ERRORS})
def get_response(request, response_id: int):
    act = action(request, Capability.ASSESSMENT_VIEW)
    response = selectors.response_in_clinic(act.access, response_id)
    _audit_view(act, response.patient, "assessment_response", response.pk)
    versions = selectors.response_versions(response)
    latest = versions[-1].pk
    return {
        **_response_out(response, current=response.pk == latest),
        "versions": [_response_out(v, current=v.pk == latest) for v in versions],
    }


@router.post(
    "/responses/{response_id}/corrections",
    response={201: ResponseCreated, **ERRORS},
    summary="Correct a response: a new version; the corrected one is kept unchanged",
)
def correct_response(request, response_id: int, payload: CorrectionIn):
    act = action(request, Capability.ASSESSMENT_ENTER)
    response = selectors.response_in_clinic(act.access, response_id)
    result = services.response_correct(response=response, **payload.model_dump(), **act.stamp)
    return Status(
        201,
        {
            "response": _response_out(result.response, current=True),
            "safety_alert_id": result.alert.pk if result.alert else None,
        },
    )


# --- plans and what is due ----------------------------------------------------------------------


def _plan_out(plan) -> dict:
    return {
        "id": plan.pk,
        "patient_id": plan.patient_id,
        "started_at": plan.started_at,
        "maintenance_started_at": plan.maintenance_started_at,
        "ended_at": plan.ended_at,
        "prescriber_id": plan.prescriber_id,
        "phase": "maintenance" if plan.maintenance_started_at else "induction",
    }


@router.get("/patients/{patient_id}/plan", response={200: PlanOut, **READ_ERRORS})
def get_plan(request, patient_id: int):
    act = action(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient, "assessment_plan")
    plan = selectors.plan_current(patient)
    if plan is None:
        raise NotFound("The patient has no open measurement plan.")
    return _plan_out(plan)


@router.put(
    "/patients/{patient_id}/plan",
    response={200: PlanOut, 201: PlanOut, **ERRORS},
    summary="Start the measurement plan, or change (or end) the open one",
)
def put_plan(request, patient_id: int, payload: PlanIn):
    act = action(request, Capability.ASSESSMENT_SCHEDULE)
    patient = patient_get(act.access, patient_id)
    prescriber = None
    if payload.prescriber_id is not None:
        prescriber = User.objects.filter(pk=payload.prescriber_id).first()
        if prescriber is None:
            raise Invalid.field("prescriber_id", "No such user.")
    plan = selectors.plan_current(patient)
    if plan is None:
        plan = services.plan_start(
            patient=patient,
            started_at=payload.started_at,
            maintenance_started_at=payload.maintenance_started_at,
            prescriber=prescriber,
            **act.stamp,
        )
        created = True
    else:
        plan = services.plan_update(
            plan=plan,
            started_at=payload.started_at,
            maintenance_started_at=payload.maintenance_started_at,
            prescriber=prescriber,
            ended_at=payload.ended_at,
            **act.stamp,
        )
        created = False
    return Status(201 if created else 200, _plan_out(plan))


@router.get(
    "/patients/{patient_id}/due",
    response={200: list[DueOut], **READ_ERRORS},
    summary="Due and overdue questionnaires of one patient",
)
def patient_due(request, patient_id: int):
    act = action(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient, "assessments_due")
    items = selectors.assessments_due_for(
        patient, treatments=treatment_times_for(patient), now=act.at
    )
    return [_due_out(patient, item) for item in items]


@router.get(
    "/due",
    response={200: list[DueOut], **ERRORS},
    summary="Due and overdue questionnaires, whole clinic (overdue first, a page at a time)",
)
def clinic_due(request, page: int = 1, page_size: int = MAX_DUE_PAGE):
    act = action(request, Capability.ASSESSMENT_VIEW)
    if page < 1:
        raise Invalid.field("page", "Page must be 1 or more.")
    if not 1 <= page_size <= MAX_DUE_PAGE:
        raise Invalid.field("page_size", f"Page size must be between 1 and {MAX_DUE_PAGE}.")
    services.due_catch_up(clinic=act.clinic, at=act.at)
    rows = selectors.due_rows(
        act.clinic, now=act.at, offset=(page - 1) * page_size, limit=page_size
    )
    audit_record(
        action="view",
        object_type="assessments_due",
        clinic_id=act.clinic.pk,
        summary=f"Listed {len(rows)} due questionnaires through the API",
        changes={"patient_ids": sorted({row.patient.pk for row in rows})},
        **act.stamp,
    )
    return [_due_out(row.patient, row.item) for row in rows]


@router.post(
    "/patients/{patient_id}/links",
    response={201: QuestionnaireLinkOut, **ERRORS},
    summary="E-mail the patient a one-time questionnaire link",
)
def send_link(request, patient_id: int, payload: LinkIn):
    act = action(request, Capability.ASSESSMENT_ENTER)
    patient = patient_get(act.access, patient_id)
    link, _ = services.questionnaire_link_send(
        patient=patient, instrument=payload.instrument, **act.stamp
    )
    return Status(
        201, {"instrument": link.instrument, "sent_to": link.sent_to, "expires_at": link.expires_at}
    )


# --- trajectories -------------------------------------------------------------------------------


def _provenance(p) -> dict:
    return {"sources": list(p.sources), "verified": p.verified, "note": p.note, "cite": p.cite()}


def _dated(score) -> dict | None:
    return {"total": score.total, "at": score.at} if score is not None else None


def _judgement(j) -> dict | None:
    if j is None:
        return None
    return {"met": j.met, "reason": j.reason, "provenance": _provenance(j.provenance)}


def _status(status) -> dict | None:
    if status is None:
        return None
    return {
        "state": str(status.status),
        "reason": status.reason,
        "provenance": _provenance(status.provenance),
        "baseline": _dated(status.baseline),
        "latest": _dated(status.latest),
        "percent_change": status.percent_change,
        "response_reached_at": status.response_reached_at,
        "relapse_at": status.relapse_at,
        "remission": _judgement(status.remission),
    }


@router.get(
    "/patients/{patient_id}/trajectories",
    response={200: list[TrajectoryOut], **READ_ERRORS},
    summary="Scores per instrument with the course status and the rule that decided it",
)
def trajectories(request, patient_id: int):
    act = action(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(act.access, patient_id)
    _audit_view(act, patient, "trajectories")
    return [
        {
            "instrument": t.code,
            "name": t.name,
            "points": [
                {
                    "response_id": r.pk,
                    "completed_at": r.completed_at,
                    "total": r.total,
                    "severity": r.severity or None,
                    "flags": r.flags,
                    "version": r.version,
                }
                for r in t.responses
            ],
            "treatments": list(t.treatments),
            "status": _status(t.status),
            "status_note": t.status_note,
            "rapid_response": [
                {
                    "time_point": r.time_point,
                    "target_at": r.target_at,
                    "assessment": _dated(r.assessment),
                    "judgement": _judgement(r.judgement),
                }
                for r in t.rapid
            ],
            "rapid_response_note": t.rapid_note,
        }
        for t in selectors.trajectories(patient)
    ]


# --- rules, settings, wording -------------------------------------------------------------------


def _rule_out(rule: ScheduleRule) -> dict:
    return {"id": rule.pk, **{name: getattr(rule, name) for name in services.RULE_FIELDS}}


@router.get(
    "/rules", response={200: list[RuleOut], **READ_ERRORS}, summary="The clinic's schedule rules"
)
def list_rules(request, include_inactive: bool = False):
    act = action(request, Capability.ASSESSMENT_VIEW)
    return [_rule_out(r) for r in selectors.rules_for(act.clinic, active_only=not include_inactive)]


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Add a schedule rule")
def create_rule(request, payload: RuleIn):
    act = action(request, Capability.ASSESSMENT_SCHEDULE)
    rule = services.rule_create(clinic=act.clinic, values=payload.model_dump(), **act.stamp)
    return Status(201, _rule_out(rule))


@router.put("/rules/{rule_id}", response={200: RuleOut, **ERRORS}, summary="Change a rule")
def update_rule(request, rule_id: int, payload: RuleIn):
    act = action(request, Capability.ASSESSMENT_SCHEDULE)
    rule = selectors.rule_get(act.clinic, rule_id)
    rule = services.rule_update(rule=rule, values=payload.model_dump(), **act.stamp)
    return _rule_out(rule)


@router.delete(
    "/rules/{rule_id}", response={204: None, **ERRORS}, summary="Retire a rule (kept, inactive)"
)
def delete_rule(request, rule_id: int):
    act = action(request, Capability.ASSESSMENT_SCHEDULE)
    rule = selectors.rule_get(act.clinic, rule_id)
    services.rule_update(rule=rule, values={"active": False}, **act.stamp)
    return Status(204, None)


def _settings_out(current) -> dict:
    return {name: getattr(current, name) for name in SettingsIO.model_fields}


@router.get(
    "/settings",
    response={200: SettingsIO, **READ_ERRORS},
    summary="Measurement settings (empty = default)",
)
def get_settings(request):
    act = action(request, Capability.PROTOCOL_VIEW)
    return _settings_out(selectors.settings_for(act.clinic))


@router.put("/settings", response={200: SettingsIO, **ERRORS})
def put_settings(request, payload: SettingsIO):
    act = action(request, Capability.PROTOCOL_EDIT)
    current = services.settings_update(clinic=act.clinic, values=payload.model_dump(), **act.stamp)
    return _settings_out(current)


def _wording_out(w: InstrumentWording) -> dict:
    return {
        "id": w.pk,
        "instrument": w.instrument,
        "language": w.language,
        "source": w.source,
        "active": w.active,
        "uploaded_at": w.uploaded_at,
    }


@router.get(
    "/wording",
    response={200: list[WordingOut], **READ_ERRORS},
    summary="The clinic's official wordings",
)
def list_wording(request):
    act = action(request, Capability.PROTOCOL_VIEW)
    return [_wording_out(w) for w in InstrumentWording.objects.filter(clinic=act.clinic)]


@router.post(
    "/wording",
    response={201: WordingOut, **ERRORS},
    summary="Load official wording (the JSON document of docs/clinical-api.md)",
)
def upload_wording(request, payload: WordingDocument):
    act = action(request, Capability.PROTOCOL_EDIT)
    row = services.wording_upload(clinic=act.clinic, document=payload, **act.stamp)
    return Status(201, _wording_out(row))
