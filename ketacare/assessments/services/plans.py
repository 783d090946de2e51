"""Measurement plans: one open plan per patient, its phases and prescriber."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.assessments import selectors
from ketacare.assessments.models import (
    AssessmentPlan,
)
from ketacare.assessments.services.common import (
    AssessmentError,
    AssessmentStateError,
)
from ketacare.assessments.services.due import due_store
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.core.models import User
from ketacare.patients.models import Patient

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
    due_store(plan_ids=[plan.pk], at=at)
    audit_record(
        origin=origin,
        action="create",
        object_type="assessment_plan",
        object_id=plan.pk,
        patient=patient,
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
    due_store(plan_ids=[plan.pk], at=at)
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
