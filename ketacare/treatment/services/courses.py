"""Courses: planning on a screening, moving through the regimen's phases, the checklist, REMS
enrolment and the aftercare plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.intake import Indication
from ketacare.clinical.regimens import CoursePhaseState, Phase, next_phase, template_serves
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.patients.selectors import intake_current
from ketacare.treatment import checklist, selectors
from ketacare.treatment.errors import TreatmentError, TreatmentInvalid
from ketacare.treatment.models import (
    INDICATION_LABELS,
    AftercarePlan,
    ChecklistItem,
    RemsEnrolment,
    TreatmentCourse,
)
from ketacare.treatment.services.consent import (
    consent_documents_ensure,
)
from ketacare.treatment.services.rems import rems_enrolment_set


@transaction.atomic
def course_create(
    *,
    patient: Patient,
    route: Route | str,
    indication: Indication | str,
    regimen_key: str,
    risk_benefit_note: str = "",
    origin: RequestOrigin,
    at: dt.datetime,
) -> TreatmentCourse:
    """Plan a course on the latest screening for this route and indication.

    Refused unless that screening ran on the current, signed intake and allows treatment; with
    cautions, the prescriber's documented risk-benefit decision is required.
    """
    try:
        route, indication = Route(route), Indication(indication)
    except ValueError as bad:
        raise TreatmentInvalid(str(bad)) from None
    protocol = selectors.clinic_protocol(patient.clinic)
    template = protocol.templates.get(regimen_key)
    if template is None:
        raise TreatmentInvalid(
            f"Unknown regimen {regimen_key!r}.", fields={"regimen_key": "Unknown."}
        )
    if template.route is not route:
        raise TreatmentInvalid(
            f"The regimen {template.label} is for {template.route.value}, not {route.value}.",
            fields={"regimen_key": "Does not match the route."},
        )
    if not template_serves(template, indication.value, route):
        raise TreatmentInvalid(
            f"The regimen {template.label} is not for {INDICATION_LABELS[indication].lower()}.",
            fields={"regimen_key": "Does not match the indication."},
        )
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    screening = selectors.latest_screening(patient, route.value, indication.value)
    intake = intake_current(patient)
    if screening is None:
        raise TreatmentError("Screen the patient for this route and indication first.")
    if intake is None or screening.intake_number != intake.number:
        raise TreatmentError(
            "The intake changed since the last screening: screen the patient again."
        )
    if intake.status != IntakeVersion.Status.SIGNED:
        raise TreatmentError(
            f"Intake v{intake.number} awaits a prescriber's signature: review and sign it first."
        )
    if not screening.allows_treatment:
        raise TreatmentError(f"The latest screening does not allow treatment: {screening.summary}")
    note = risk_benefit_note.strip()
    if screening.outcome == "eligible_with_cautions" and not note:
        raise TreatmentInvalid(
            "The screening found cautions: document the risk-benefit decision.",
            fields={"risk_benefit_note": "Required when the screening has cautions."},
        )
    if (
        TreatmentCourse.objects.filter(patient=patient, route=route.value)
        .exclude(phase=TreatmentCourse.Phase.COMPLETED)
        .exists()
    ):
        raise TreatmentError(
            "The patient already has an open course for this route: complete it first."
        )
    consent_documents_ensure(
        clinic=patient.clinic, on=at.astimezone(patient.clinic.zone).date(), origin=origin
    )
    course = TreatmentCourse.objects.create(
        clinic=patient.clinic,
        patient=patient,
        route=route.value,
        indication=indication.value,
        regimen_key=regimen_key,
        created_at=at,
        created_by=origin.actor,
        screening=screening,
        risk_benefit_note=note,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="course",
        object_id=course.pk,
        patient=patient,
        summary=f"Planned a {course.route_label} course ({template.label})",
        changes={"regimen_key": regimen_key, "screening": screening.pk, "risk_benefit_note": note},
        at=at,
    )
    return course


@transaction.atomic
def course_move(
    *,
    course: TreatmentCourse,
    to: str,
    origin: RequestOrigin,
    at: dt.datetime,
    relapse_detected: bool = False,
    reason: str = "",
) -> TreatmentCourse:
    """Move the course to phase ``to`` through ``regimens.next_phase``.

    A planned course starts into induction (or is closed). A booster needs a detected relapse:
    from the outcome rules when the scores show it, else the prescriber's documented relapse.
    """
    course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    before = course.phase
    if course.phase == TreatmentCourse.Phase.PLANNED:
        if to not in (TreatmentCourse.Phase.INDUCTION, TreatmentCourse.Phase.COMPLETED):
            raise TreatmentError("A planned course starts with induction.")
        course.phase = to
        if to == TreatmentCourse.Phase.INDUCTION:
            course.started_on = course.started_on or at.astimezone(course.clinic.zone).date()
    else:
        if to == Phase.BOOSTER and relapse_detected and not reason.strip():
            raise TreatmentInvalid(
                "Describe the relapse (the scores or the clinical event) before a booster.",
                fields={"reason": "Required for a booster."},
            )
        state = CoursePhaseState(
            Phase(course.phase),
            paused_from=Phase(course.paused_from) if course.paused_from else None,
        )
        try:
            state = next_phase(state, to=to, relapse_detected=relapse_detected)
        except (ClinicalRuleError, ValueError) as refused:
            raise TreatmentError(str(refused)) from None
        course.phase = state.phase.value
        course.paused_from = state.paused_from.value if state.paused_from else ""
    if course.phase == TreatmentCourse.Phase.COMPLETED:
        course.ended_on = at.astimezone(course.clinic.zone).date()
    course.save(update_fields=["phase", "paused_from", "started_on", "ended_on"])
    audit_record(
        origin=origin,
        action="update",
        object_type="course",
        record=course,
        summary=f"Course {before} → {course.phase}"
        + (f": {reason.strip()}" if reason.strip() else ""),
        changes={"phase": {"before": before, "after": course.phase}, "reason": reason.strip()},
        at=at,
    )
    return course


@transaction.atomic
def checklist_confirm(
    *, course: TreatmentCourse, key: str, note: str, origin: RequestOrigin, at: dt.datetime
) -> ChecklistItem:
    """A clinician confirms a checklist item done (items read from the record cannot be)."""
    spec = checklist.ITEMS.get(key)
    if spec is None or not spec.manual:
        raise TreatmentError("This item is read from the record, not confirmed by hand.")
    item, created = ChecklistItem.objects.update_or_create(
        course=course,
        key=key,
        defaults={"done_at": at, "done_by": origin.actor, "note": note.strip()[:300]},
    )
    audit_record(
        origin=origin,
        action="create" if created else "update",
        object_type="checklist_item",
        object_id=item.pk,
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        summary=f"Checklist: {spec.label} — done" + (f" ({note.strip()})" if note.strip() else ""),
        at=at,
    )
    return item


@transaction.atomic
def checklist_clear(
    *, course: TreatmentCourse, key: str, origin: RequestOrigin, at: dt.datetime
) -> None:
    deleted, _ = ChecklistItem.objects.filter(course=course, key=key).delete()
    if deleted:
        audit_record(
            origin=origin,
            action="delete",
            object_type="checklist_item",
            object_id=f"{course.pk}:{key}",
            clinic_id=course.clinic_id,
            patient_id=course.patient_id,
            summary=f"Checklist: {checklist.ITEMS[key].label} — marked not done",
            at=at,
        )


def course_rems_enrol(
    *,
    course: TreatmentCourse,
    enrolled_on: dt.date,
    enrolment_id: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> TreatmentCourse:
    """Record, from an esketamine course, the patient's SPRAVATO REMS enrolment (one record per
    patient, ``rems_enrolment_set``)."""
    if course.route != Route.ESKETAMINE_NASAL:
        raise TreatmentError("REMS enrolment applies to esketamine courses only.")
    rems_enrolment_set(
        patient=course.patient,
        status=RemsEnrolment.Status.ENROLLED,
        enrolled_on=enrolled_on,
        enrolment_id=enrolment_id,
        origin=origin,
        at=at,
    )
    return course


@transaction.atomic
def aftercare_save(
    *, course: TreatmentCourse, values: dict[str, Any], origin: RequestOrigin, at: dt.datetime
) -> AftercarePlan:
    """Write the course's aftercare plan (what the patient sees in the portal)."""
    clean = {name: str(values.get(name) or "").strip()[:4000] for name in AftercarePlan.FIELDS}
    plan = AftercarePlan.objects.select_for_update().filter(course=course).first()
    before = {name: getattr(plan, name) for name in AftercarePlan.FIELDS} if plan else {}
    if plan is None:
        plan = AftercarePlan(course=course)
    for name, value in clean.items():
        setattr(plan, name, value)
    plan.updated_at, plan.updated_by = at, origin.actor
    plan.save()
    audit_record(
        origin=origin,
        action="update" if before else "create",
        object_type="aftercare_plan",
        object_id=plan.pk,
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        summary="Aftercare plan " + ("updated" if before else "written"),
        changes=diff(before, clean),
        at=at,
    )
    return plan
