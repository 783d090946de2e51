"""At-home sessions (sublingual/oral): the patient's log and the alerts it raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from ketacare.alerts import services as alert_services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import score
from ketacare.clinical.monitoring import AlertLevel, Phase, VitalsReading, evaluate_vitals
from ketacare.clinical.session_flow import SideEffect, SideEffectSeverity
from ketacare.core.events import emit
from ketacare.patients.models import Patient
from ketacare.sessions.events import AT_HOME_LOGGED
from ketacare.sessions.models import AtHomeSession
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.records import InvalidEntry, check_time
from ketacare.sessions.selectors.sessions import (
    at_home_course,
)


@dataclass
class AtHomeEntry:
    started_at: dt.datetime
    ended_at: dt.datetime
    sitter_present: bool
    dose_taken_mg: str
    phq9_answers: list[int]
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    side_effects: list[dict] = field(default_factory=list)  # {"effect": ..., "severity": ...}


def _concerns(
    entry: AtHomeEntry, route: str, clinic, phq9_flags
) -> tuple[list[dict], AlertLevel | None]:
    concerns: list[dict] = []
    if entry.systolic_mmhg is not None:
        reading = VitalsReading(
            taken_at=entry.ended_at,
            systolic_mmhg=entry.systolic_mmhg,
            diastolic_mmhg=entry.diastolic_mmhg,
        )
        for a in evaluate_vitals(
            reading, phase=Phase.POST_DOSE, baseline=None, protocol=protocol_for(clinic, route)
        ):
            if a.level is not AlertLevel.UNCONFIGURED:
                concerns.append({"code": a.code, "level": a.level.value, "reason": a.message})
    if not entry.sitter_present:
        concerns.append(
            {"code": "no_sitter", "level": "warning", "reason": "No sitter was present"}
        )
    for s in entry.side_effects:
        if s["severity"] == SideEffectSeverity.SEVERE.value:
            what = s["effect"].replace("_", " ")
            concerns.append(
                {"code": "severe_side_effect", "level": "warning", "reason": f"Severe {what}"}
            )
    for f in phq9_flags:
        concerns.append({"code": f"phq9_{f.flag}", "level": "critical", "reason": f.reason})
    levels = {c["level"] for c in concerns}
    top = AlertLevel.CRITICAL if "critical" in levels else (AlertLevel.WARNING if levels else None)
    return concerns, top


def _validate(entry: AtHomeEntry, at: dt.datetime) -> Decimal:
    check_time("The start", entry.started_at, now=at)
    check_time("The end", entry.ended_at, now=at)
    if entry.ended_at < entry.started_at:
        raise InvalidEntry("The end is before the start", "ended_at")
    try:
        dose = Decimal(str(entry.dose_taken_mg).strip())
    except InvalidOperation as bad:
        raise InvalidEntry("Give the dose taken in mg", "dose_taken_mg") from bad
    if dose <= 0 or dose > 10000:
        raise InvalidEntry("Give the dose taken in mg", "dose_taken_mg")
    if (entry.systolic_mmhg is None) != (entry.diastolic_mmhg is None):
        raise InvalidEntry("Give both blood-pressure numbers, or neither", "systolic_mmhg")
    for s in entry.side_effects:
        try:
            SideEffect(s["effect"])
            SideEffectSeverity(s["severity"])
        except (KeyError, ValueError) as bad:
            raise InvalidEntry("Choose a side effect and how bad it was", "side_effects") from bad
    return dose


@transaction.atomic
def at_home_log(
    *, patient: Patient, entry: AtHomeEntry, origin: RequestOrigin, at: dt.datetime
) -> AtHomeSession:
    """Store the patient's log; worrying entries open an AT_HOME alert for the care team."""
    course = at_home_course(patient)
    if course is None:
        raise InvalidEntry("You have no at-home treatment programme with the clinic")
    dose = _validate(entry, at)
    try:
        phq9 = score("phq9", entry.phq9_answers)
        concerns, level = _concerns(entry, course.route, patient.clinic, phq9.flag_reasons)
    except ClinicalRuleError as bad:
        field_name = "phq9" if "PHQ-9" in str(bad) else "systolic_mmhg"
        raise InvalidEntry(str(bad), field_name) from bad
    row = AtHomeSession.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        course=course,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        sitter_present=entry.sitter_present,
        dose_taken_mg=dose,
        systolic_mmhg=entry.systolic_mmhg,
        diastolic_mmhg=entry.diastolic_mmhg,
        side_effects=entry.side_effects,
        phq9_answers=list(phq9.item_scores),
        phq9_total=phq9.total,
        concerns=concerns,
        created_at=at,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="at_home_session",
        object_id=row.pk,
        patient=patient,
        summary="At-home session logged by the patient"
        + (f" ({len(concerns)} concern(s))" if concerns else ""),
        changes={"concerns": [c["code"] for c in concerns], "phq9_total": phq9.total},
        at=at,
    )
    if level is not None:
        alert_services.alert_open(
            patient=patient,
            kind=Alert.Kind.AT_HOME,
            level=Alert.Level.CRITICAL if level is AlertLevel.CRITICAL else Alert.Level.WARNING,
            code=concerns[0]["code"],
            message="At-home session: " + "; ".join(c["reason"] for c in concerns),
            recommended_action="Call the patient today and review the at-home programme",
            source_type="at_home_session",
            source_id=row.pk,
            details={"concerns": concerns},
            escalate=any(c["code"].startswith("phq9_") for c in concerns),
            origin=origin,
            at=at,
        )
    emit(AT_HOME_LOGGED, at_home=row, origin=origin, at=at)
    return row
