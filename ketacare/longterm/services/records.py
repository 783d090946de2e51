"""The checks and results recorded across the course: urinary symptoms, cognitive screens, liver
function; each raises its signal when positive, worse or abnormal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction

from ketacare.alerts import services as alert_services
from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical import longterm as core
from ketacare.clinical.common import Provenance
from ketacare.clinical.longterm import settings as keys
from ketacare.core.errors import Invalid
from ketacare.longterm import selectors
from ketacare.longterm.models import (
    CognitiveScreen,
    LiverResult,
    UrinaryCheck,
)
from ketacare.longterm.services.common import audited, decimal_of
from ketacare.longterm.services.signals import signal_raise
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentCourse

# --- checks and results -------------------------------------------------------------------------


def _prescribers_of(patient: Patient) -> list:
    courses = (
        TreatmentCourse.objects.filter(patient=patient)
        .exclude(phase__in=("completed",))
        .select_related("created_by")
    )
    return list({c.created_by_id: c.created_by for c in courses}.values())


@transaction.atomic
def urinary_check_record(
    *,
    patient: Patient,
    answers: Mapping[str, bool],
    origin: RequestOrigin,
    at: dt.datetime,
    asked_at: dt.datetime | None = None,
    note: str = "",
    session=None,
) -> UrinaryCheck:
    """Record the clinic's checklist as answered. Every question must be answered; any "yes"
    raises a signal and alerts the prescriber with the recommended action."""
    items = selectors.checklist_of(clinic_protocol(patient.clinic))
    missing = [q for q in items if q not in answers]
    if missing:
        raise Invalid.field("answers", "Answer every question: " + ", ".join(missing))
    unknown = [q for q in answers if q not in items]
    if unknown:
        raise Invalid.field("answers", "Not on the clinic's checklist: " + ", ".join(unknown))
    asked_at = asked_at or at
    if asked_at > at:
        raise Invalid.field("asked_at", "The check cannot be in the future")
    ordered = {q: bool(answers[q]) for q in items}
    positive = list(core.urinary_positive(ordered))
    check = UrinaryCheck.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        session=session,
        asked_at=asked_at,
        answers=ordered,
        positive=positive,
        note=(note or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audited(
        origin,
        "create",
        "longterm_urinary_check",
        check,
        patient,
        "Urinary symptom check: " + ("positive" if positive else "negative"),
        at,
        {"positive": positive},
    )
    if positive:
        finding = core.Finding(
            core.Category.URINARY,
            "urinary_symptoms",
            f"urinary:{check.pk}",
            asked_at,
            "Urinary symptoms reported: " + ", ".join(positive),
            {"check": check.pk, "positive": positive},
            core.URINARY_SOURCE,
        )
        signal_raise(patient=patient, finding=finding, origin=origin, at=at)
        alert_services.alert_open(
            patient=patient,
            kind=Alert.Kind.OTHER,
            level=Alert.Level.WARNING,
            code="urinary_symptoms",
            message="Urinary symptoms reported: " + ", ".join(positive),
            recommended_action=core.URINARY_ACTION,
            source_type="longterm_urinary_check",
            source_id=check.pk,
            details={
                "positive": positive,
                "sources": list(core.URINARY_SOURCE.sources),
                "action_sources": core.URINARY_ACTION_SOURCE.cite(),
            },
            notify=True,
            notify_users=_prescribers_of(patient),
            origin=origin,
            at=at,
        )
    return check


@transaction.atomic
def cognitive_screen_record(
    *,
    patient: Patient,
    score,
    administered_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
    instrument: str = "",
    note: str = "",
) -> CognitiveScreen:
    """Record a score on the clinic's own screen (the first is the baseline). When the clinic has
    said which direction is worse and by how much, a worse score than baseline raises a signal."""
    protocol = clinic_protocol(patient.clinic)
    instrument = (instrument or "").strip() or (
        selectors.setting(protocol, keys.COGNITION_INSTRUMENT) or ""
    )
    if not instrument:
        raise Invalid.field(
            "instrument",
            "Name the cognitive screen used (the clinic has not set one; the reference names none)",
        )
    if administered_at > at:
        raise Invalid.field("administered_at", "The screen cannot be in the future")
    screen = CognitiveScreen.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        instrument=instrument[:120],
        score=decimal_of(score, "score", "the score"),
        administered_at=administered_at,
        note=(note or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audited(
        origin,
        "create",
        "longterm_cognitive_screen",
        screen,
        patient,
        f"Cognitive screen recorded ({instrument})",
        at,
    )
    view = selectors.cognition_view(patient, protocol)
    if view.change is not None and view.change.worse and view.screens[0].pk == screen.pk:
        signal_raise(
            patient=patient,
            finding=core.Finding(
                core.Category.COGNITION,
                "cognition_worse",
                f"cognition:{screen.pk}",
                administered_at,
                f"Cognitive screen worse than baseline: {view.change.reason}",
                {"screen": screen.pk, "change": view.change.change, "instrument": instrument},
                Provenance(("S14",), True, "label warning; direction and points: clinic"),
            ),
            origin=origin,
            at=at,
        )
    return screen


@transaction.atomic
def liver_result_record(
    *,
    patient: Patient,
    analyte: str,
    value,
    collected_on: dt.date,
    origin: RequestOrigin,
    at: dt.datetime,
    unit: str = "",
    lab_flag: str = "",
    lab_lower=None,
    lab_upper=None,
) -> LiverResult:
    """Record one liver-function result with its date; abnormal (the lab's flag or range, or
    the clinic's limit) raises a signal for review."""
    if analyte not in keys.LIVER_ANALYTES:
        raise Invalid.field("analyte", "Choose ALT, AST, ALP, GGT or total bilirubin")
    if lab_flag not in LiverResult.Flag.values:
        raise Invalid.field("lab_flag", "Choose the lab's flag from the list")
    if collected_on > at.astimezone(patient.clinic.zone).date():
        raise Invalid.field("collected_on", "The sample cannot be collected in the future")
    number = decimal_of(value, "value", "the result")
    lower = None if lab_lower in (None, "") else decimal_of(lab_lower, "lab_lower", "the range")
    upper = None if lab_upper in (None, "") else decimal_of(lab_upper, "lab_upper", "the range")
    clinic_upper = selectors.setting(clinic_protocol(patient.clinic), keys.LIVER_UPPER[analyte])
    reasons = list(
        core.liver_abnormal(
            value=float(number),
            lab_flag=lab_flag,
            lab_lower=None if lower is None else float(lower),
            lab_upper=None if upper is None else float(upper),
            clinic_upper=clinic_upper,
        )
    )
    result = LiverResult.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        analyte=analyte,
        value=number,
        unit=(unit or "").strip() or keys.LIVER_UNITS[analyte],
        lab_flag=lab_flag,
        lab_lower=lower,
        lab_upper=upper,
        collected_on=collected_on,
        abnormal_reasons=reasons,
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audited(
        origin,
        "create",
        "longterm_liver_result",
        result,
        patient,
        f"Liver result recorded: {keys.LIVER_ANALYTES[analyte]}",
        at,
        {"abnormal": reasons},
    )
    if reasons:
        label = keys.LIVER_ANALYTES[analyte]
        signal_raise(
            patient=patient,
            finding=core.Finding(
                core.Category.LIVER,
                "liver_abnormal",
                f"liver:{result.pk}",
                dt.datetime.combine(collected_on, dt.time.min, patient.clinic.zone),
                f"{label} {number:f} {result.unit} on {collected_on:%Y-%m-%d}: "
                + "; ".join(reasons),
                {
                    "result": result.pk,
                    "analyte": analyte,
                    "value": float(number),
                    "reasons": reasons,
                },
                core.LIVER_SOURCE,
            ),
            origin=origin,
            at=at,
        )
    return result
