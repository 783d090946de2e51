"""Plain dicts of treatment records, shared by the API (as JSON) and the pages (as context)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketacare.clinic_settings.selectors import StoredValue
from ketacare.clinical.regimens import CoursePhaseState, Phase, allowed_phases
from ketacare.treatment.clinical_records import rule_rows
from ketacare.treatment.models import (
    Appointment,
    Order,
    RemsEnrolment,
    ScreeningResult,
    TreatmentCourse,
)
from ketacare.treatment.protocol import (
    CATALOGUE,
    SPECS,
    ClinicProtocol,
    display_value,
    registry_key,
)
from ketacare.treatment.screening import needs_text

_SETTING_LABELS = {spec.key: spec.label for spec in CATALOGUE}


def _float(value) -> float | None:
    return None if value is None else float(value)


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def screening_dict(result: ScreeningResult) -> dict[str, Any]:
    """The screening with each finding's question in words (for ``missing`` findings)."""
    decision = result.decision
    findings = []
    for finding in decision.get("findings", []):
        findings.append(
            {
                **finding,
                "question": needs_text(finding.get("needs", ""), result.facts, _SETTING_LABELS),
            }
        )
    return {
        "id": result.pk,
        "patient_id": result.patient_id,
        "intake_version": result.intake_number,
        "route": result.route,
        "route_label": result.route_label,
        "indication": result.indication,
        "indication_label": result.indication_label,
        "outcome": result.outcome,
        "outcome_label": result.outcome_label,
        "allows_treatment": result.allows_treatment,
        "summary": result.summary,
        "findings": findings,
        "settings_in_force": decision.get("settings_in_force", {}),
        "screened_at": result.screened_at,
        "screened_by": _person(result.screened_by),
    }


def order_dict(order: Order) -> dict[str, Any]:
    calculation = order.calculation or {}
    return {
        "id": order.pk,
        "course_id": order.course_id,
        "status": order.status,
        "actionable": order.is_actionable,
        "route": order.route,
        "dose_mg": float(order.dose_mg),
        "dose_mg_per_kg": _float(order.dose_mg_per_kg),
        "dosing_weight_kg": _float(order.dosing_weight_kg),
        "dosing_weight_basis": order.dosing_weight_basis,
        "concentration_mg_per_ml": _float(order.concentration_mg_per_ml),
        "drug_volume_ml": _float(order.drug_volume_ml),
        "bag_volume_ml": _float(order.bag_volume_ml),
        "infusion_minutes": order.infusion_minutes,
        "rate_ml_per_h": _float(order.rate_ml_per_h),
        "sessions_authorised": order.sessions_authorised,
        "summary": calculation.get("summary", ""),
        "warnings": list(calculation.get("warnings", [])),
        "titration_reason": order.titration_reason,
        "instructions": order.instructions,
        "created_at": order.created_at,
        "signed_at": order.signed_at,
        "signed_by": _person(order.signed_by) if order.signed_by_id else None,
        "supersedes_id": order.supersedes_id,
    }


def course_phases(course: TreatmentCourse) -> list[str]:
    """Phases the course may move to next (a booster also needs a detected relapse)."""
    if course.phase == TreatmentCourse.Phase.PLANNED:
        return [TreatmentCourse.Phase.INDUCTION, TreatmentCourse.Phase.COMPLETED]
    paused_from = Phase(course.paused_from) if course.paused_from else None
    state = CoursePhaseState(Phase(course.phase), paused_from=paused_from)
    order = [p.value for p in Phase]
    return sorted((p.value for p in allowed_phases(state)), key=order.index)


def course_dict(
    course: TreatmentCourse,
    signed: Order | None,
    template_label: str,
    rems: RemsEnrolment | None = None,
) -> dict:
    """The course for the page and the API; ``rems`` is the patient's REMS enrolment record
    (shown as the course's while the patient is enrolled)."""
    enrolled = rems is not None and rems.enrolled
    return {
        "id": course.pk,
        "patient_id": course.patient_id,
        "route": course.route,
        "route_label": course.route_label,
        "indication": course.indication,
        "indication_label": course.indication_label,
        "regimen_key": course.regimen_key,
        "regimen_label": template_label,
        "phase": course.phase,
        "paused_from": course.paused_from or None,
        "next_phases": course_phases(course),
        "started_on": course.started_on,
        "ended_on": course.ended_on,
        "screening_id": course.screening_id,
        "risk_benefit_note": course.risk_benefit_note,
        "rems_enrolled_on": rems.enrolled_on if enrolled else None,
        "rems_enrolment_id": rems.enrolment_id if enrolled else "",
        "signed_order": order_dict(signed) if signed else None,
    }


def appointment_dict(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.pk,
        "patient_id": appointment.patient_id,
        "course_id": appointment.course_id,
        "kind": appointment.kind,
        "status": appointment.status,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "chair": appointment.chair.name if appointment.chair_id else None,
        "chair_id": appointment.chair_id,
        "nurse": _person(appointment.nurse) if appointment.nurse_id else None,
        "nurse_id": appointment.nurse_id,
        "sequence": appointment.sequence,
        "preparation_instructions": appointment.preparation_instructions,
    }


def protocol_rows(protocol: ClinicProtocol) -> list[dict[str, Any]]:
    """Every setting with its default, value in force, source and verified badge."""
    rows = []
    for spec in CATALOGUE:
        value = protocol.value(spec.key)
        rows.append(
            {
                "key": spec.key,
                "section": spec.section,
                "label": spec.label,
                "kind": spec.kind,
                "unit": spec.unit,
                "default": spec.default,
                "default_text": display_value(spec, spec.default),
                "value": value,
                "value_text": display_value(spec, value),
                "overridden": protocol.is_overridden(spec.key),
                "required": spec.required,
                "unset": spec.required and value is None,
                "optional": spec.optional,
                "editable": spec.editable,
                "choices": list(spec.choices),
                "bounds": spec.bounds_text,
                "needed_for": spec.needed_for,
                "source": spec.provenance.cite(),
                "verified": spec.provenance.verified,
                "note": spec.provenance.note,
            }
        )
    return rows


def protocol_page_rows(
    protocol: ClinicProtocol, stored: Mapping[str, StoredValue]
) -> list[dict[str, Any]]:
    """``protocol_rows`` with what the read-only protocol page adds: who set a clinic value and
    when, whether an unverified default is still unconfirmed, and the value's key on the one
    protocol settings page, where it is changed."""
    rows = protocol_rows(protocol)
    for row in rows:
        row["updated"] = stored.get(row["key"])
        row["confirmed"] = row["verified"] or row["overridden"]
        row["settings_key"] = registry_key(row["key"])
    return rows


def rules_rows(protocol: ClinicProtocol) -> list[dict[str, Any]]:
    rows = rule_rows(protocol.eligibility)
    for row in rows:
        key = f"eligibility.severity.{row['rule_id']}"
        row["severity_key"] = key if key in SPECS else None
        row["settings_key"] = registry_key(key) if key in SPECS else None
        row["severity_choices"] = list(SPECS[key].choices) if key in SPECS else []
    return rows
