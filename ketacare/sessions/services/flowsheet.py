"""Writing the flowsheet: vital signs and the alerts they open or resolve, observations, side
effects. ``monitoring.evaluate_vitals`` decides what a reading means."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.alerts import services as alert_services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import score
from ketacare.clinical.monitoring import (
    AlertLevel,
    Phase,
    VitalAlert,
    VitalsReading,
    evaluate_vitals,
)
from ketacare.clinical.session_flow import SideEffectObservation, phase_for_state
from ketacare.sessions.models import (
    ScoredObservation,
    SideEffectEntry,
    TreatmentSession,
    VitalsEntry,
)
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.records import (
    InvalidEntry,
    SessionRefused,
    check_time,
    provenance_json,
    pump_record,
    reading_of,
)
from ketacare.sessions.selectors.flowsheet import (
    ACK_ACTIONS,
    DOCUMENTING_STATES,
    RECORDING_STATES,
    SOURCE_TYPE,
    VITAL_FIELDS,
    _finding_json,
    back_within,
    baseline_entry,
    session_alerts,
)


def _resolve(alert: Alert, entry: VitalsEntry, *, origin: RequestOrigin, at: dt.datetime):
    note = f"Back within limits at the reading of {entry.taken_at.isoformat()}"
    return alert_services.alert_resolve(alert=alert, note=note, origin=origin, at=at)


@transaction.atomic
def vitals_record(
    *,
    session: TreatmentSession,
    values: dict,
    taken_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    crisis_symptoms: list[str] | None = None,
) -> tuple[VitalsEntry, list[Alert], list[Alert]]:
    """Store a flowsheet row; open alerts for what it shows and resolve those it clears.

    Returns the row, the alerts opened and the alerts resolved. Pre-dose findings are not
    opened as alerts: they are the pre-check gate's to judge.
    """
    session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if session.state not in RECORDING_STATES:
        raise SessionRefused(f"Vital signs cannot be recorded in a session that is {session.state}")
    check_time("The reading time", taken_at, now=at, not_before=session.checked_in_at)
    values = {k: values.get(k) for k in VITAL_FIELDS}
    if all(v is None for v in values.values()):
        raise InvalidEntry("Enter at least one value", "systolic_mmhg")
    try:
        reading = VitalsReading(
            taken_at=taken_at,
            crisis_symptoms=frozenset(crisis_symptoms) if crisis_symptoms is not None else None,
            **values,
        )
    except ClinicalRuleError as bad:
        field = next((f for f in VITAL_FIELDS if f in str(bad) or _label(f) in str(bad)), None)
        raise InvalidEntry(str(bad), field) from bad
    phase = phase_for_state(session.state)
    protocol = protocol_for(session.clinic, session.route)
    base = baseline_entry(session, before=taken_at)
    findings = evaluate_vitals(
        reading,
        phase=phase,
        baseline=reading_of(base) if base else None,
        protocol=protocol,
    )
    entry = VitalsEntry.objects.create(
        session=session,
        taken_at=taken_at,
        phase=phase.value,
        crisis_symptoms=sorted(reading.crisis_symptoms)
        if reading.crisis_symptoms
        else ([] if reading.crisis_symptoms is not None else None),
        findings=[_finding_json(f) for f in findings],
        recorded_at=at,
        recorded_by=origin.actor,
        **values,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="vitals",
        object_id=entry.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"Vital signs recorded ({phase.value.replace('_', ' ')})",
        changes={
            "session": session.pk,
            "taken_at": taken_at,
            **values,
            "findings": [f.code for f in findings],
        },
        at=at,
    )
    opened: list[Alert] = []
    if phase is not Phase.PRE_DOSE:
        still_open = set(
            session_alerts(session, kinds=[Alert.Kind.VITALS])
            .filter(status=Alert.Status.OPEN)
            .values_list("code", flat=True)
        )
        for f in findings:
            if f.level is AlertLevel.UNCONFIGURED or f.code in still_open:
                continue
            opened.append(_open_vitals_alert(session, entry, f, origin=origin, at=at))
    resolved = []
    unresolved = session_alerts(session, kinds=[Alert.Kind.VITALS]).filter(
        status=Alert.Status.ACKNOWLEDGED
    )
    for alert in unresolved:
        if back_within(alert, [entry], protocol) is not None:
            resolved.append(_resolve(alert, entry, origin=origin, at=at))
    return entry, opened, resolved


def _label(field: str) -> str:
    return {
        "systolic_mmhg": "Systolic",
        "diastolic_mmhg": "Diastolic",
        "heart_rate_bpm": "Heart rate",
        "spo2_percent": "SpO2",
        "respiratory_rate_per_min": "Respiratory rate",
        "moaas_level": "MOAA/S",
    }[field]


def _open_vitals_alert(
    session: TreatmentSession, entry: VitalsEntry, f: VitalAlert, *, origin, at
) -> Alert:
    return alert_services.alert_open(
        patient=session.patient,
        kind=Alert.Kind.VITALS,
        level=Alert.Level.CRITICAL if f.level is AlertLevel.CRITICAL else Alert.Level.WARNING,
        code=f.code,
        message=f.message,
        recommended_action=f.recommended_action,
        source_type=SOURCE_TYPE,
        source_id=session.pk,
        details={
            **_finding_json(f),
            "reading_id": entry.pk,
            "reading_taken_at": entry.taken_at.isoformat(),
            "phase": f.phase.value,
        },
        origin=origin,
        at=at,
    )


@transaction.atomic
def vitals_alert_acknowledge(
    *,
    session: TreatmentSession,
    alert: Alert,
    actions: list[str],
    note: str,
    origin: RequestOrigin,
    at: dt.datetime,
    slowed_to_ml_per_h: Decimal | None = None,
) -> Alert:
    """The nurse acknowledges a session alert with what was done; a reading already back within
    limits then resolves it. "Slowed the infusion" on a running pump records the new rate as a
    rate change in the administration record, in the same transaction (a slowed pump that the
    record does not know would make every delivered-dose figure wrong)."""
    if alert.source_type != SOURCE_TYPE or alert.source_id != str(session.pk):
        raise InvalidEntry("This alert does not belong to this session", "alert")
    if alert.status != Alert.Status.OPEN:
        raise SessionRefused(f"This alert is already {alert.get_status_display().lower()}")
    actions = list(actions)
    if slowed_to_ml_per_h is not None and "slowed" not in actions:
        actions.append("slowed")
    unknown = [a for a in actions if a not in ACK_ACTIONS]
    if unknown:
        raise InvalidEntry(f"Unknown action: {', '.join(unknown)}", "actions")
    note = (note or "").strip()
    if not actions and not note:
        raise InvalidEntry("Say what was done: choose an action or write a note", "actions")
    said = [ACK_ACTIONS[a] for a in actions]
    if "slowed" in actions:
        slowed = _record_slowed_rate(session, alert, slowed_to_ml_per_h, origin=origin, at=at)
        if slowed is not None:
            said[actions.index("slowed")] = f"Slowed the infusion to {slowed:g} mL/h"
    text = "; ".join([*said, *([note] if note else [])])
    alert = alert_services.alert_acknowledge(
        alert=alert, action=Alert.Action.OTHER, note=text, origin=origin, at=at
    )
    if alert.kind == Alert.Kind.VITALS and "reading_taken_at" in alert.details:
        protocol = protocol_for(session.clinic, session.route)
        since = dt.datetime.fromisoformat(alert.details["reading_taken_at"])
        later = session.vitals.filter(taken_at__gt=since)
        entry = back_within(alert, later.order_by("taken_at"), protocol)
        if entry is not None:
            alert = _resolve(alert, entry, origin=origin, at=at)
    return alert


def _record_slowed_rate(
    session: TreatmentSession,
    alert: Alert,
    rate_ml_per_h: Decimal | None,
    *,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Decimal | None:
    """Record the rate a running or paused pump was slowed to; None when no pump is running
    (a discrete-dose route, or dosing already over: there is no rate to change)."""
    from ketacare.sessions.selectors.administration import uses_pump
    from ketacare.sessions.services.administration import administration_record

    events = list(session.administration.order_by("at", "pk"))
    rates = [e.rate_ml_per_h for e in events if e.rate_ml_per_h is not None]
    status = pump_record(events).status if events else "not_started"
    if not uses_pump(session) or session.state != "dosing" or status not in ("running", "paused"):
        return None
    if rate_ml_per_h is None:
        raise InvalidEntry(
            "Give the rate you slowed the infusion to (mL/h), so the record shows what the pump "
            "runs at",
            "rate_ml_per_h",
        )
    if rates and rate_ml_per_h >= rates[-1]:
        raise InvalidEntry(
            f"A slowed infusion runs below the current {rates[-1]:g} mL/h", "rate_ml_per_h"
        )
    administration_record(
        session=session,
        kind="rate_change",
        given_at=at,
        origin=origin,
        at=at,
        rate_ml_per_h=rate_ml_per_h,
        reason=f"Slowed for the alert: {alert.message}",
    )
    return rate_ml_per_h


@transaction.atomic
def observation_record(
    *,
    session: TreatmentSession,
    instrument: str,
    answers: list[int],
    observed_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ScoredObservation:
    """A clinician-rated instrument during the session (CADSS-6), scored by instruments.score.
    MOAA/S is a flowsheet column, because it drives the sedation alerts."""
    if instrument != "cadss6":
        raise InvalidEntry("Only CADSS-6 is rated here; MOAA/S goes in the flowsheet", "instrument")
    if session.state not in DOCUMENTING_STATES:
        raise SessionRefused(
            f"Observations cannot be recorded in a session that is {session.state}"
        )
    check_time("The observation time", observed_at, now=at, not_before=session.checked_in_at)
    try:
        result = score(instrument, answers)
    except ClinicalRuleError as bad:
        raise InvalidEntry(str(bad), "answers") from bad
    row = ScoredObservation.objects.create(
        session=session,
        instrument=instrument,
        observed_at=observed_at,
        answers=list(result.item_scores),
        total=result.total,
        scorer_version=result.scorer_version,
        flags=sorted(result.flags),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="session_observation",
        object_id=row.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"{instrument.upper()} recorded: {result.total}",
        changes={"session": session.pk, "answers": row.answers, "total": result.total},
        at=at,
    )
    return row


@transaction.atomic
def side_effect_record(
    *,
    session: TreatmentSession,
    effect: str,
    severity: str,
    observed_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    serious_adverse_event: bool = False,
    note: str = "",
    intervention: str = "",
) -> SideEffectEntry:
    """A side effect with its severity and what was given; a serious adverse event opens an
    ADVERSE_EVENT alert so it is reported (FDA MedWatch, source: S106; REMS form, S15)."""
    if session.state not in DOCUMENTING_STATES:
        raise SessionRefused(
            f"Side effects cannot be recorded in a session that is {session.state}"
        )
    check_time("The time observed", observed_at, now=at, not_before=session.checked_in_at)
    try:
        obs = SideEffectObservation(
            effect=effect,
            severity=severity,
            observed_at=observed_at,
            serious_adverse_event=serious_adverse_event,
            note=(note or "").strip(),
        )
    except (ClinicalRuleError, ValueError) as bad:
        raise InvalidEntry(str(bad), "note" if "note" in str(bad) else "effect") from bad
    row = SideEffectEntry.objects.create(
        session=session,
        effect=obs.effect.value,
        severity=obs.severity.value,
        observed_at=observed_at,
        serious_adverse_event=obs.serious_adverse_event,
        note=obs.note,
        intervention=(intervention or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="side_effect",
        object_id=row.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"Side effect: {obs.effect.value} ({obs.severity.value})"
        + (", serious adverse event" if obs.reportable else ""),
        changes={"session": session.pk, "intervention": row.intervention},
        at=at,
    )
    if obs.reportable:
        what = obs.effect.value.replace("_", " ")
        alert_services.alert_open(
            patient=session.patient,
            kind=Alert.Kind.ADVERSE_EVENT,
            level=Alert.Level.CRITICAL,
            code="serious_adverse_event",
            message=f"Serious adverse event during the session: {what} ({obs.severity.value})"
            + (f" — {obs.note}" if obs.note else ""),
            recommended_action="Treat and document; report it (FDA MedWatch"
            + ("; the REMS Patient Monitoring Form" if session.route == "esketamine_nasal" else "")
            + ")",
            source_type=SOURCE_TYPE,
            source_id=session.pk,
            details={"side_effect_id": row.pk, "provenance": provenance_json(obs.provenance)},
            origin=origin,
            at=at,
        )
    return row
