"""Every write to the registry and the intake: one transaction, audited."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from ketacare.audit.services import RequestOrigin, audit_record, diff, snapshot
from ketacare.core.errors import Refused
from ketacare.core.links import find_usable_link, new_link_token, public_url, use_link
from ketacare.core.models import Clinic
from ketacare.patients import selectors
from ketacare.patients.intake import STAFF_ONLY_LISTS, IntakeData
from ketacare.patients.mail import email_patient
from ketacare.patients.models import IntakeLink, IntakeVersion, Patient
from ketacare.patients.schemas import PatientIn


class IntakeError(Refused):
    """The intake's state does not allow the action (signed, superseded, no e-mail): 409."""


class LinkInvalid(IntakeError):
    """The one-time link is unknown, used or expired."""


INTAKE_LINK_USED = "This link has already been used. Please ask the clinic for a new one."


def _next_mrn(clinic: Clinic) -> str:
    locked = Clinic.objects.select_for_update().get(pk=clinic.pk)
    number = locked.next_mrn
    locked.next_mrn = number + 1
    locked.save(update_fields=["next_mrn"])
    return f"{locked.mrn_prefix}{number:06d}"


class DuplicatePatient(Refused):
    """The patient looks already registered (409); ``details["existing"]`` names the records."""


def _refuse_duplicates(clinic: Clinic, data: PatientIn) -> list:
    """The likely duplicates of ``data`` at ``clinic``; DuplicatePatient unless allowed."""
    matches = selectors.patient_duplicates(
        clinic.pk,
        first_name=data.first_name,
        last_name=data.last_name,
        date_of_birth=data.date_of_birth,
        email=data.email or "",
        phone=data.phone,
    )
    if matches and not data.allow_duplicate:
        first = matches[0]
        raise DuplicatePatient(
            f"{first.patient.full_name} ({first.patient.mrn}) is already registered with the "
            f"same name and {' and '.join(first.matched_on)}. Open that chart, or confirm this "
            'is a different person ("allow_duplicate": true).',
            details={
                "existing": [
                    {
                        "id": m.patient.pk,
                        "mrn": m.patient.mrn,
                        "name": m.patient.display_name,
                        "date_of_birth": m.patient.date_of_birth.isoformat(),
                        "matched_on": list(m.matched_on),
                    }
                    for m in matches
                ]
            },
        )
    return matches


@transaction.atomic
def patient_register(
    *, clinic: Clinic, data: PatientIn, origin: RequestOrigin, at: dt.datetime
) -> Patient:
    """Create a patient at ``clinic`` with a new MRN. A likely duplicate of a registered patient
    is refused unless ``data.allow_duplicate`` says otherwise, which is audited."""
    matches = _refuse_duplicates(clinic, data)
    patient = Patient(clinic=clinic, mrn=_next_mrn(clinic), **data.model_fields_for_db())
    patient.full_clean(exclude=["search_last_name", "search_first_name"])
    patient.save()
    audit_record(
        origin=origin,
        action="create",
        object_type="patient",
        object_id=patient.pk,
        clinic_id=clinic.pk,
        patient_id=patient.pk,
        summary=f"Registered {patient.full_name} ({patient.mrn})",
        changes=diff({}, snapshot(patient, data.model_fields_for_db().keys())),
        at=at,
    )
    if matches:
        audit_record(
            origin=origin,
            action="create",
            object_type="patient",
            object_id=patient.pk,
            clinic_id=clinic.pk,
            patient_id=patient.pk,
            summary=f"Registered despite a likely duplicate: "
            f"{', '.join(m.patient.mrn for m in matches)} (confirmed a different person)",
            changes={"allow_duplicate": True, "duplicate_of": [m.patient.pk for m in matches]},
            at=at,
        )
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, data: PatientIn, origin: RequestOrigin, at: dt.datetime
) -> Patient:
    """Change demographics; the before/after of each changed field goes to the audit trail."""
    fields = list(data.model_fields_for_db().keys())
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = snapshot(patient, fields)
    for name, value in data.model_fields_for_db().items():
        setattr(patient, name, value)
    patient.full_clean(exclude=["search_last_name", "search_first_name"])
    changes = diff(before, snapshot(patient, fields))
    if changes:
        patient.save()
        audit_record(
            origin=origin,
            action="update",
            object_type="patient",
            object_id=patient.pk,
            patient=patient,
            summary=f"Updated details: {', '.join(changes)}",
            changes=changes,
            at=at,
        )
    return patient


@transaction.atomic
def intake_submit(
    *,
    patient: Patient,
    data: IntakeData,
    source: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> IntakeVersion:
    """Store the intake as a new version. Earlier versions are kept untouched. A version the
    patient submits keeps the diagnoses and labs staff entered (patients are not asked those)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    latest = patient.intake_versions.aggregate(n=Max("number"))["n"] or 0
    previous = patient.intake_versions.filter(number=latest).first()
    payload = data.model_dump(mode="json")
    if source == "patient" and previous is not None:
        payload |= {key: previous.data.get(key, []) for key in STAFF_ONLY_LISTS}
    version = IntakeVersion.objects.create(
        patient=patient,
        number=latest + 1,
        source=source,
        data=payload,
        created_at=at,
        created_by=origin.actor,
    )
    changed = diff(previous.data if previous else {}, version.data)
    audit_record(
        origin=origin,
        action="create",
        object_type="intake",
        object_id=version.pk,
        patient=patient,
        summary=f"Intake version {version.number} "
        + ("completed by the patient" if source == "patient" else "entered"),
        changes=changed,
        at=at,
    )
    return version


@transaction.atomic
def intake_sign(
    *, version: IntakeVersion, origin: RequestOrigin, at: dt.datetime, note: str = ""
) -> IntakeVersion:
    """A prescriber signs a reviewed intake version; a signed version never changes again."""
    version = IntakeVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == IntakeVersion.Status.SIGNED:
        raise IntakeError(f"Intake version {version.number} is already signed.")
    newest = version.patient.intake_versions.aggregate(n=Max("number"))["n"]
    if newest != version.number:
        raise IntakeError(
            f"Version {version.number} has been superseded by version {newest}; review that one."
        )
    version.status = IntakeVersion.Status.SIGNED
    version.signed_at = at
    version.signed_by = origin.actor
    version.review_note = note
    version.save(update_fields=["status", "signed_at", "signed_by", "review_note"])
    audit_record(
        origin=origin,
        action="sign",
        object_type="intake",
        object_id=version.pk,
        clinic_id=version.patient.clinic_id,
        patient_id=version.patient_id,
        summary=f"Signed intake version {version.number}",
        changes={"status": {"before": "submitted", "after": "signed"}},
        at=at,
    )
    return version


def _intake_url(token: str) -> str:
    return public_url(f"/intake/{token}/")


@transaction.atomic
def intake_link_send(
    *, patient: Patient, origin: RequestOrigin, at: dt.datetime
) -> tuple[IntakeLink, str]:
    """E-mail the patient a one-time link to the intake questionnaire; returns the link and URL."""
    if not patient.email:
        raise IntakeError("The patient has no e-mail address; add one before sending a link.")
    token, digest = new_link_token()
    now = at
    link = IntakeLink.objects.create(
        patient=patient,
        token_sha256=digest,
        created_at=now,
        created_by=origin.actor,
        expires_at=now + dt.timedelta(hours=settings.INTAKE_LINK_TTL_HOURS),
        sent_to=patient.email,
    )
    url = _intake_url(token)
    clinic = patient.clinic
    email_patient(
        patient=patient,
        subject=f"{clinic.name}: your health questionnaire",
        text=(
            f"Please complete your health questionnaire before your first visit:\n{url}\n\n"
            f"The link works once and expires in {settings.INTAKE_LINK_TTL_HOURS} hours.\n"
        ),
        object_type="intake_link",
        object_id=link.pk,
        summary=f"Intake link e-mailed to {patient.email}",
        origin=origin,
        at=at,
    )
    return link, url


def intake_link_resolve(token: str, *, at: dt.datetime) -> IntakeLink:
    """The open link for ``token``, or LinkInvalid saying why it cannot be used."""
    return find_usable_link(
        IntakeLink.objects.select_related("patient", "patient__clinic"),
        token,
        error=LinkInvalid,
        used_message=INTAKE_LINK_USED,
        now=at,
    )


@transaction.atomic
def intake_submit_via_link(
    *, token: str, data: IntakeData, origin: RequestOrigin, at: dt.datetime
) -> IntakeVersion:
    """The patient's own submission through an e-mailed link; the link is then used up."""
    link = use_link(
        IntakeLink.objects.select_related("patient"),
        intake_link_resolve(token, at=at),
        error=LinkInvalid,
        used_message=INTAKE_LINK_USED,
        at=at,
    )
    patient_origin = origin.by_patient(link.patient, "intake link")
    return intake_submit(
        patient=link.patient, data=data, source="patient", origin=patient_origin, at=at
    )
