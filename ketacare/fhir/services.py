"""Writes of the FHIR import: a pre-fill draft made from a Bundle, and staff's decision on it.
Confirming registers the patient with the patients app's services (duplicates refused there as
for any registration) and enters the intake lists as a new intake version awaiting signature;
a draft is decided once (a second confirm is refused, never repeated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.access import Access
from ketacare.core.errors import Refused
from ketacare.fhir.models import PrefillDraft
from ketacare.fhir.prefill import prefill_from_bundle
from ketacare.patients.intake import IntakeData
from ketacare.patients.models import Patient
from ketacare.patients.schemas import PatientIn
from ketacare.patients.services import intake_submit, patient_register

INTAKE_LISTS = ("diagnoses", "medications", "allergies")


class PrefillDecided(Refused):
    """The draft was confirmed or discarded already (409)."""


@transaction.atomic
def prefill_create(
    *, access: Access, bundle: Any, origin: RequestOrigin, at: dt.datetime
) -> PrefillDraft:
    """A draft from ``bundle`` at the clinic in use (Invalid for a Bundle that cannot be read);
    audited, since it holds a person's details."""
    assert access.clinic is not None and access.user is not None
    prefill = prefill_from_bundle(bundle)
    draft = PrefillDraft.objects.create(
        clinic=access.clinic,
        submitted_by=access.user,
        submitted_at=at,
        registration=prefill.registration,
        intake={name: getattr(prefill, name) for name in INTAKE_LISTS},
        notes=prefill.notes,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="fhir.prefill",
        object_id=draft.pk,
        clinic_id=access.clinic.pk,
        summary=f"FHIR Bundle read into a registration draft for {draft.name} "
        f"({', '.join(f'{len(getattr(prefill, n))} {n}' for n in INTAKE_LISTS)}); "
        "nothing saved to the record",
        at=at,
    )
    return draft


def _decide(draft: PrefillDraft) -> PrefillDraft:
    locked = PrefillDraft.objects.select_for_update().get(pk=draft.pk)
    if locked.status != PrefillDraft.Status.PENDING:
        raise PrefillDecided(f"This draft is already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def prefill_confirm(
    *,
    draft: PrefillDraft,
    registration: PatientIn,
    intake: IntakeData,
    origin: RequestOrigin,
    at: dt.datetime,
) -> Patient:
    """Register the patient as staff corrected the draft and, when any list is kept, enter the
    intake as a version for a prescriber to sign. One transaction: all of it or nothing."""
    draft = _decide(draft)
    patient = patient_register(clinic=draft.clinic, data=registration, origin=origin, at=at)
    if any(getattr(intake, name) for name in INTAKE_LISTS):
        intake_submit(patient=patient, data=intake, source="staff", origin=origin, at=at)
    draft.status = PrefillDraft.Status.CONFIRMED
    draft.decided_by = origin.actor
    draft.decided_at = at
    draft.patient = patient
    draft.save(update_fields=["status", "decided_by", "decided_at", "patient"])
    audit_record(
        origin=origin,
        action="update",
        object_type="fhir.prefill",
        object_id=draft.pk,
        clinic_id=draft.clinic_id,
        patient_id=patient.pk,
        summary=f"FHIR registration draft confirmed: {patient.full_name} ({patient.mrn})",
        at=at,
    )
    return patient


@transaction.atomic
def prefill_discard(*, draft: PrefillDraft, origin: RequestOrigin, at: dt.datetime) -> None:
    """Discard a draft: its details are blanked, the row stays as the record of the import."""
    draft = _decide(draft)
    draft.status = PrefillDraft.Status.DISCARDED
    draft.decided_by = origin.actor
    draft.decided_at = at
    draft.registration = {}
    draft.intake = {}
    draft.save(update_fields=["status", "decided_by", "decided_at", "registration", "intake"])
    audit_record(
        origin=origin,
        action="update",
        object_type="fhir.prefill",
        object_id=draft.pk,
        clinic_id=draft.clinic_id,
        summary="FHIR registration draft discarded; its details deleted",
        at=at,
    )
