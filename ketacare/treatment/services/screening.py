"""Screening the current signed intake for a route and indication (the core's eligibility
decides)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.eligibility import evaluate
from ketacare.clinical.intake import Indication
from ketacare.patients.models import Patient
from ketacare.patients.selectors import intake_current
from ketacare.treatment import selectors
from ketacare.treatment.clinical_records import decision_record
from ketacare.treatment.errors import TreatmentError, TreatmentInvalid
from ketacare.treatment.models import (
    ScreeningResult,
)
from ketacare.treatment.screening import facts_to_dict, intake_facts


@transaction.atomic
def screening_run(
    *,
    patient: Patient,
    route: Route | str,
    indication: Indication | str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ScreeningResult:
    """Screen the patient's current intake for ``route`` and ``indication`` and keep the result."""
    try:
        route, indication = Route(route), Indication(indication)
    except ValueError as bad:
        raise TreatmentInvalid(str(bad)) from None
    intake = intake_current(patient)
    if intake is None:
        raise TreatmentError("No intake has been entered for this patient: enter it first.")
    protocol = selectors.clinic_protocol(patient.clinic)
    local_day = at.astimezone(patient.clinic.zone).date()
    try:
        facts = intake_facts(patient, intake.data, indication=indication, on=local_day)
        decision = evaluate(facts, route=route, settings=protocol.eligibility)
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(f"The intake cannot be screened: {refused}") from None
    result = ScreeningResult.objects.create(
        clinic=patient.clinic,
        patient=patient,
        intake_version=intake,
        intake_number=intake.number,
        route=route.value,
        indication=indication.value,
        outcome=str(decision.outcome),
        summary=decision.summary,
        decision=decision_record(decision),
        facts=facts_to_dict(facts),
        protocol={
            "values": dict(decision.settings_in_force),
            "severities": {k: str(v) for k, v in protocol.eligibility.severities.items()},
        },
        screened_at=at,
        screened_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="screening",
        object_id=result.pk,
        patient=patient,
        summary=f"Screened for {result.route_label} ({indication.value}) on intake "
        f"v{intake.number}: {result.outcome_label}",
        changes={
            "outcome": result.outcome,
            "rule_ids": sorted(decision.rule_ids),
            "intake_version": intake.number,
        },
        at=at,
    )
    return result
