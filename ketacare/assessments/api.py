"""Measurement-based care under /api/v1/assessments: responses, schedules, trajectories.

Every read of patient data is audited; every write goes through ``services``.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Body, Router, Status

from ketacare.assessments import selectors, services
from ketacare.assessments.models import AssessmentResponse, InstrumentWording, ScheduleRule
from ketacare.assessments.schemas import (
    CorrectionIn,
    DueOut,
    LinkIn,
    LinkOut,
    Message,
    PlanIn,
    PlanOut,
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
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.core.api_utils import require
from ketacare.core.errors import Invalid
from ketacare.core.models import User
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS
from ketacare.patients.selectors import patient_get

router = Router(tags=["assessments"])
WordingDocument = Body[dict]


def _audit_view(request, patient, what: str, object_id: object = "") -> None:
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type=what,
        object_id=object_id or patient.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


def _invalid(field: str, message: str) -> Status:
    """A 422 in the same shape as the API's validation errors."""
    return Status(
        422,
        {"detail": [{"loc": field.split("."), "msg": message}], "fields": {field: message}},
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
    response=list[ResponseOut],
    summary="A patient's questionnaire responses (latest versions unless all_versions)",
)
def list_responses(request, patient_id: int, instrument: str = "", all_versions: bool = False):
    access = require(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(access, patient_id)
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
    _audit_view(request, patient, "assessment_responses")
    return [_response_out(r, current=r.pk not in superseded) for r in responses]


@router.post(
    "/patients/{patient_id}/responses",
    response={201: ResponseCreated, 422: dict},
    summary="Enter a clinician-rated or paper result (scored; flags open a safety alert)",
)
def create_response(request, patient_id: int, payload: ResponseIn):
    access = require(request, Capability.ASSESSMENT_ENTER)
    patient = patient_get(access, patient_id)
    try:
        result = services.response_submit(
            patient=patient,
            instrument=payload.instrument,
            answers=payload.answers,
            source=payload.source,
            completed_at=payload.completed_at,
            origin=RequestOrigin.from_request(request),
        )
    except services.AssessmentError as refused:
        return _invalid("body.payload.answers", str(refused))
    return Status(
        201,
        {
            "response": _response_out(result.response, current=True),
            "safety_alert_id": result.alert.pk if result.alert else None,
        },
    )


@router.get("/responses/{response_id}", response=ResponseDetail)
def get_response(request, response_id: int):
    access = require(request, Capability.ASSESSMENT_VIEW)
    response = selectors.response_in_clinic(access, response_id)
    _audit_view(request, response.patient, "assessment_response", response.pk)
    versions = selectors.response_versions(response)
    latest = versions[-1].pk
    return {
        **_response_out(response, current=response.pk == latest),
        "versions": [_response_out(v, current=v.pk == latest) for v in versions],
    }


@router.post(
    "/responses/{response_id}/corrections",
    response={201: ResponseCreated, 409: Message, 422: dict},
    summary="Correct a response: a new version; the corrected one is kept unchanged",
)
def correct_response(request, response_id: int, payload: CorrectionIn):
    access = require(request, Capability.ASSESSMENT_ENTER)
    response = selectors.response_in_clinic(access, response_id)
    try:
        result = services.response_correct(
            response=response,
            answers=payload.answers,
            reason=payload.reason,
            completed_at=payload.completed_at,
            origin=RequestOrigin.from_request(request),
        )
    except services.AssessmentStateError as refused:
        return Status(409, {"detail": str(refused)})
    except services.AssessmentError as refused:
        return _invalid("body.payload.answers", str(refused))
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


@router.get("/patients/{patient_id}/plan", response={200: PlanOut, 404: Message})
def get_plan(request, patient_id: int):
    access = require(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient, "assessment_plan")
    plan = selectors.plan_current(patient)
    if plan is None:
        return Status(404, {"detail": "The patient has no open measurement plan."})
    return _plan_out(plan)


@router.put(
    "/patients/{patient_id}/plan",
    response={200: PlanOut, 201: PlanOut, 409: Message, 422: dict},
    summary="Start the measurement plan, or change (or end) the open one",
)
def put_plan(request, patient_id: int, payload: PlanIn):
    access = require(request, Capability.ASSESSMENT_SCHEDULE)
    patient = patient_get(access, patient_id)
    prescriber = None
    if payload.prescriber_id is not None:
        prescriber = User.objects.filter(pk=payload.prescriber_id).first()
        if prescriber is None:
            return _invalid("body.payload.prescriber_id", "no such user")
    origin = RequestOrigin.from_request(request)
    plan = selectors.plan_current(patient)
    try:
        if plan is None:
            plan = services.plan_start(
                patient=patient,
                started_at=payload.started_at,
                maintenance_started_at=payload.maintenance_started_at,
                prescriber=prescriber,
                origin=origin,
            )
            created = True
        else:
            plan = services.plan_update(
                plan=plan,
                started_at=payload.started_at,
                maintenance_started_at=payload.maintenance_started_at,
                prescriber=prescriber,
                ended_at=payload.ended_at,
                origin=origin,
            )
            created = False
    except services.AssessmentStateError as refused:
        return Status(409, {"detail": str(refused)})
    except services.AssessmentError as refused:
        return _invalid("body.payload", str(refused))
    return Status(201 if created else 200, _plan_out(plan))


@router.get(
    "/patients/{patient_id}/due",
    response=list[DueOut],
    summary="Due and overdue questionnaires of one patient",
)
def patient_due(request, patient_id: int):
    access = require(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient, "assessments_due")
    items = selectors.assessments_due_for(
        patient, treatments=treatment_times_for(patient), now=timezone.now()
    )
    return [_due_out(patient, item) for item in items]


@router.get("/due", response=list[DueOut], summary="Due and overdue questionnaires, whole clinic")
def clinic_due(request):
    access = require(request, Capability.ASSESSMENT_VIEW)
    rows = selectors.clinic_due(access.clinic, now=timezone.now())
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="assessments_due",
        clinic_id=access.clinic.pk,
        summary=f"Listed {len(rows)} due questionnaires through the API",
        changes={"patient_ids": sorted({row.patient.pk for row in rows})},
    )
    return [_due_out(row.patient, row.item) for row in rows]


@router.post(
    "/patients/{patient_id}/links",
    response={201: LinkOut, 409: Message},
    summary="E-mail the patient a one-time questionnaire link",
)
def send_link(request, patient_id: int, payload: LinkIn):
    access = require(request, Capability.ASSESSMENT_ENTER)
    patient = patient_get(access, patient_id)
    try:
        link, _ = services.questionnaire_link_send(
            patient=patient,
            instrument=payload.instrument,
            origin=RequestOrigin.from_request(request),
        )
    except services.AssessmentError as refused:
        return Status(409, {"detail": str(refused)})
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
    response=list[TrajectoryOut],
    summary="Scores per instrument with the course status and the rule that decided it",
)
def trajectories(request, patient_id: int):
    access = require(request, Capability.ASSESSMENT_VIEW)
    patient = patient_get(access, patient_id)
    _audit_view(request, patient, "trajectories")
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


@router.get("/rules", response=list[RuleOut], summary="The clinic's schedule rules")
def list_rules(request, include_inactive: bool = False):
    access = require(request, Capability.ASSESSMENT_VIEW)
    return [
        _rule_out(r) for r in selectors.rules_for(access.clinic, active_only=not include_inactive)
    ]


@router.post("/rules", response={201: RuleOut, 422: dict}, summary="Add a schedule rule")
def create_rule(request, payload: RuleIn):
    access = require(request, Capability.ASSESSMENT_SCHEDULE)
    try:
        rule = services.rule_create(
            clinic=access.clinic,
            values=payload.model_dump(),
            origin=RequestOrigin.from_request(request),
        )
    except services.AssessmentError as refused:
        return _invalid("body.payload", str(refused))
    return Status(201, _rule_out(rule))


@router.put("/rules/{rule_id}", response={200: RuleOut, 422: dict}, summary="Change a rule")
def update_rule(request, rule_id: int, payload: RuleIn):
    access = require(request, Capability.ASSESSMENT_SCHEDULE)
    rule = get_object_or_404(ScheduleRule, pk=rule_id, clinic=access.clinic)
    try:
        rule = services.rule_update(
            rule=rule, values=payload.model_dump(), origin=RequestOrigin.from_request(request)
        )
    except services.AssessmentError as refused:
        return _invalid("body.payload", str(refused))
    return _rule_out(rule)


@router.delete("/rules/{rule_id}", response={204: None}, summary="Retire a rule (kept, inactive)")
def delete_rule(request, rule_id: int):
    access = require(request, Capability.ASSESSMENT_SCHEDULE)
    rule = get_object_or_404(ScheduleRule, pk=rule_id, clinic=access.clinic)
    services.rule_update(
        rule=rule, values={"active": False}, origin=RequestOrigin.from_request(request)
    )
    return Status(204, None)


def _settings_out(current) -> dict:
    return {name: getattr(current, name) for name in SettingsIO.model_fields}


@router.get("/settings", response=SettingsIO, summary="Measurement settings (empty = default)")
def get_settings(request):
    access = require(request, Capability.PROTOCOL_VIEW)
    return _settings_out(selectors.settings_for(access.clinic))


@router.put("/settings", response={200: SettingsIO, **ERRORS})
def put_settings(request, payload: SettingsIO):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        current = services.settings_update(
            clinic=access.clinic,
            values=payload.model_dump(),
            origin=RequestOrigin.from_request(request),
        )
    except services.SettingsInvalid as refused:
        raise Invalid(str(refused), fields=refused.errors) from None
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


@router.get("/wording", response=list[WordingOut], summary="The clinic's official wordings")
def list_wording(request):
    access = require(request, Capability.PROTOCOL_VIEW)
    return [_wording_out(w) for w in InstrumentWording.objects.filter(clinic=access.clinic)]


@router.post(
    "/wording",
    response={201: WordingOut, 422: dict},
    summary="Load official wording (the JSON document of docs/clinical-api.md)",
)
def upload_wording(request, payload: WordingDocument):
    access = require(request, Capability.PROTOCOL_EDIT)
    try:
        row = services.wording_upload(
            clinic=access.clinic, document=payload, origin=RequestOrigin.from_request(request)
        )
    except services.AssessmentError as refused:
        return _invalid("body.payload", str(refused))
    return Status(201, _wording_out(row))
