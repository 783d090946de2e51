"""Where the session reaches into other apps that are still being built.

TEMPORARY FALLBACKS, clearly marked: each function below prefers the owning app's service
(``ketacare.treatment.services``, ``ketacare.alerts.services``, ``ketacare.assessments``) and
falls back to a small local query or write only while that service does not exist yet. When the
owners' services land, the fallbacks can be deleted without touching any caller.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q

from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.patients.models import Patient
from ketacare.treatment.models import Appointment, ConsentDocument, ConsentSignature, Order


def optional_service(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if both exist, else None (only a missing module or name is tolerated)."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name != module:
            raise
        return None
    return getattr(found, name, None)


# --- treatment (issue 4) ------------------------------------------------------------------------


def signed_order_for(appointment: Appointment) -> Order | None:
    """The signed order the nurse may act on for ``appointment``, or None."""
    service = optional_service("ketacare.treatment.services", "signed_order_for")
    if service is not None:
        return service(appointment)
    by_course = optional_service("ketacare.treatment.selectors", "signed_order")
    if by_course is not None:
        return by_course(appointment.course) if appointment.course_id else None
    # FALLBACK until treatment.services exists: the latest signed order of the course.
    if appointment.course_id is None:
        return None
    return (
        Order.objects.filter(course_id=appointment.course_id, status=Order.Status.SIGNED)
        .order_by("-signed_at", "-pk")
        .first()
    )


def consent_is_current(patient: Patient, route: str, *, at: dt.datetime) -> bool:
    """True when the patient has a complete signature of the current consent for ``route``."""
    service = optional_service("ketacare.treatment.services", "consent_is_current") or (
        optional_service("ketacare.treatment.consent", "consent_is_current")
    )
    if service is not None:
        return bool(service(patient, route, at=at))
    # FALLBACK until treatment.services exists: the latest version of the route's document at
    # the patient's clinic, signed by patient and clinician, not revoked.
    latest = (
        ConsentDocument.objects.filter(
            clinic_id=patient.clinic_id, route=route, effective_from__lte=at.date()
        )
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=at))
        .order_by("-version")
        .first()
    )
    if latest is None:
        return False
    return ConsentSignature.objects.filter(
        document=latest,
        patient=patient,
        clinician_signed_at__isnull=False,
        clinician_signed_at__lte=at,
        revoked_at__isnull=True,
    ).exists()


# --- assessments (issue 3) ----------------------------------------------------------------------


def assessment_completed_on(patient: Patient, code: str, day: dt.date) -> bool | None:
    """Whether the patient completed instrument ``code`` on ``day`` (clinic time); None when
    Ketacare cannot tell (no assessments app yet), so the nurse attests instead."""
    responses_current = optional_service("ketacare.assessments.selectors", "responses_current")
    if responses_current is None:
        return None
    zone = patient.clinic.zone
    return any(
        r.completed_at.astimezone(zone).date() == day
        for r in responses_current(patient, code).filter(
            completed_at__gte=dt.datetime.combine(day, dt.time.min, zone) - dt.timedelta(days=1)
        )
    )


# --- alerts (issue 3) ---------------------------------------------------------------------------


def alert_open(
    *,
    patient: Patient,
    kind: str,
    level: str,
    code: str,
    message: str,
    recommended_action: str,
    source_type: str,
    source_id: object,
    details: dict,
    origin: RequestOrigin,
    at: dt.datetime,
    escalate: bool | None = None,
) -> Alert:
    """Open an alert for the care team: THE one place the session app opens alerts.
    ``escalate`` True: escalate like a safety alert if nobody acknowledges it in time."""
    service = optional_service("ketacare.alerts.services", "alert_open")
    if service is not None:
        return service(
            patient=patient,
            kind=kind,
            level=level,
            code=code,
            message=message,
            origin=origin,
            recommended_action=recommended_action,
            source_type=source_type,
            source_id=source_id,
            details=details,
            escalate=escalate,
            at=at,
        )
    # FALLBACK until alerts.services exists: write the row and audit it.
    with transaction.atomic():
        alert = Alert.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            kind=kind,
            level=level,
            code=code[:60],
            message=message[:400],
            recommended_action=recommended_action[:400],
            source_type=source_type,
            source_id=str(source_id),
            details=details,
            opened_at=at,
        )
        audit_record(
            origin=origin,
            action="create",
            object_type="alert",
            object_id=alert.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            summary=f"{alert.get_kind_display()} opened ({level}): {code}",
            at=at,
        )
    return alert


def alert_acknowledge(*, alert: Alert, note: str, origin: RequestOrigin, at: dt.datetime) -> Alert:
    """Acknowledge with the action taken, written in ``note`` (action "other")."""
    service = optional_service("ketacare.alerts.services", "alert_acknowledge")
    if service is not None:
        return service(alert=alert, action=Alert.Action.OTHER, note=note, origin=origin, at=at)
    # FALLBACK until alerts.services exists.
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
            status=Alert.Status.ACKNOWLEDGED,
            acknowledged_at=at,
            acknowledged_by=origin.actor,
            action_taken=Alert.Action.OTHER,
            action_note=note,
        )
        audit_record(
            origin=origin,
            action="update",
            object_type="alert",
            object_id=alert.pk,
            clinic_id=alert.clinic_id,
            patient_id=alert.patient_id,
            summary=f"Acknowledged {alert.get_kind_display().lower()}",
            changes={"action_note": note},
            at=at,
        )
    alert.refresh_from_db()
    return alert


def alert_resolve(*, alert: Alert, note: str, origin: RequestOrigin, at: dt.datetime) -> Alert:
    service = optional_service("ketacare.alerts.services", "alert_resolve")
    if service is not None:
        return service(alert=alert, note=note, origin=origin, at=at)
    # FALLBACK until alerts.services exists.
    with transaction.atomic():
        Alert.objects.filter(pk=alert.pk).exclude(status=Alert.Status.RESOLVED).update(
            status=Alert.Status.RESOLVED, resolved_at=at
        )
        audit_record(
            origin=origin,
            action="update",
            object_type="alert",
            object_id=alert.pk,
            clinic_id=alert.clinic_id,
            patient_id=alert.patient_id,
            summary=f"Resolved {alert.get_kind_display().lower()}: {note}",
            at=at,
        )
    alert.refresh_from_db()
    return alert
