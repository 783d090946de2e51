"""Kiosk mode: a staff member hands a patient a tablet on which only that patient's own portal
(consent, questionnaires, the health questionnaire) is open; it ends at a locked screen.

A patient without a portal account gets one without a password (nobody can sign in to it from
outside; a later portal invitation completes it), so every portal page works the same in the
clinic and at home. Starting and ending are audited with the staff member who handed over.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Refused
from ketacare.core.models import User
from ketacare.patients.models import KioskSession, Patient

KIOSK_SESSION_KEY = "ketacare_kiosk_id"
KIOSK_ACTIVITY_KEY = "ketacare_kiosk_last_activity"


def _portal_user(patient: Patient, *, origin: RequestOrigin, at: dt.datetime) -> User:
    """The patient's portal account, made (without a usable password) when there is none."""
    if patient.portal_user_id is not None:
        user = patient.portal_user
        if user.memberships.filter(active=True).exists():
            raise Refused(
                "This patient's portal account is also a staff account; kiosk mode needs a "
                "patient-only account."
            )
        return user
    username, n = f"patient-{patient.mrn.lower()}", 2
    while User.objects.filter(username=username).exists():
        username, n = f"patient-{patient.mrn.lower()}-{n}", n + 1
    user = User(
        username=username,
        first_name=patient.first_name,
        last_name=patient.last_name,
        email=patient.email,
    )
    user.set_unusable_password()
    user.save()
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    audit_record(
        origin=origin,
        action="create",
        object_type="portal_account",
        object_id=user.pk,
        patient=patient,
        summary="Portal account made for kiosk mode (no password until the patient activates it)",
        at=at,
    )
    return user


@transaction.atomic
def kiosk_start(
    *, patient: Patient, by: User, origin: RequestOrigin, at: dt.datetime
) -> tuple[KioskSession, User]:
    """Open kiosk mode for ``patient``; returns the session and the account the tablet uses."""
    # Lock the patient's row only: PostgreSQL refuses FOR UPDATE on a nullable outer join.
    patient = (
        Patient.objects.select_for_update(of=("self",))
        .select_related("portal_user")
        .get(pk=patient.pk)
    )
    user = _portal_user(patient, origin=origin, at=at)
    kiosk = KioskSession.objects.create(patient=patient, started_at=at, started_by=by)
    audit_record(
        origin=origin,
        action="create",
        object_type="kiosk_session",
        object_id=kiosk.pk,
        patient=patient,
        summary=f"Kiosk mode started for {patient.full_name}",
        at=at,
    )
    return kiosk, user


def kiosk_open(kiosk_id: int | None, user: User) -> KioskSession | None:
    """The open kiosk session ``kiosk_id`` of ``user``'s patient record, or None."""
    if not kiosk_id:
        return None
    return (
        KioskSession.objects.filter(pk=kiosk_id, ended_at__isnull=True, patient__portal_user=user)
        .select_related("patient", "patient__clinic")
        .first()
    )


@transaction.atomic
def kiosk_end(
    *, kiosk_id: int, reason: str, origin: RequestOrigin, at: dt.datetime
) -> KioskSession | None:
    """Close the kiosk session (the tablet then shows the locked screen); None if closed."""
    kiosk = KioskSession.objects.select_for_update().filter(pk=kiosk_id).first()
    if kiosk is None or kiosk.ended_at is not None:
        return None
    kiosk.ended_at = at
    kiosk.ended_reason = reason
    kiosk.save(update_fields=["ended_at", "ended_reason"])
    audit_record(
        origin=origin,
        action="update",
        object_type="kiosk_session",
        object_id=kiosk.pk,
        clinic_id=kiosk.patient.clinic_id,
        patient_id=kiosk.patient_id,
        summary=f"Kiosk mode ended: {kiosk.get_ended_reason_display().lower()}",
        at=at,
    )
    return kiosk
