"""Consent documents (versioned per route), the patient's signature and the clinician's
countersignature, revocation."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.consent_texts import default_consent
from ketacare.treatment.errors import TreatmentError, TreatmentInvalid
from ketacare.treatment.models import ConsentDocument, ConsentSignature
from ketacare.treatment.selectors.consent import (
    consent_document_current,
)


def _normalise_name(text: str) -> str:
    return " ".join(text.lower().split())


@transaction.atomic
def consent_documents_ensure(*, clinic: Clinic, on: dt.date, origin: RequestOrigin) -> int:
    """Create version 1 of the default consent for every route the clinic has none for."""
    existing = set(
        ConsentDocument.objects.filter(clinic=clinic).values_list("route", flat=True).distinct()
    )
    created = 0
    for route in Route:
        if route.value in existing:
            continue
        title, body = default_consent(route)
        document = ConsentDocument.objects.create(
            clinic=clinic, route=route.value, version=1, title=title, body=body, effective_from=on
        )
        created += 1
        audit_record(
            origin=origin,
            action="create",
            object_type="consent_document",
            object_id=document.pk,
            clinic_id=clinic.pk,
            summary=f"Default consent v1 for {ROUTE_LABELS[route]}",
        )
    return created


@transaction.atomic
def consent_document_publish(
    *, clinic: Clinic, route: Route | str, title: str, body: str, origin: RequestOrigin, at
) -> ConsentDocument:
    """Publish a new version for ``route``; it replaces the previous one from today, so every
    patient signs the new wording before their next treatment."""
    try:
        route = Route(route)
    except ValueError:
        raise TreatmentInvalid.field("route", f"Unknown route {route!r}.") from None
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise TreatmentInvalid("A consent document needs a title and a text.")
    latest = (
        ConsentDocument.objects.select_for_update()
        .filter(clinic=clinic, route=route.value)
        .aggregate(n=Max("version"))["n"]
        or 0
    )
    ConsentDocument.objects.filter(
        clinic=clinic, route=route.value, retired_at__isnull=True
    ).update(retired_at=at)
    document = ConsentDocument.objects.create(
        clinic=clinic,
        route=route.value,
        version=latest + 1,
        title=title,
        body=body,
        effective_from=at.date(),
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="consent_document",
        object_id=document.pk,
        clinic_id=clinic.pk,
        summary=f"Published consent v{document.version} for {ROUTE_LABELS[route]}",
        changes={"title": title, "version": document.version},
        at=at,
    )
    return document


@transaction.atomic
def consent_patient_sign(
    *,
    patient: Patient,
    document: ConsentDocument,
    typed_name: str,
    agreed: bool,
    origin: RequestOrigin,
    at: dt.datetime,
) -> ConsentSignature:
    """The patient's electronic signature: their typed full name and a ticked box."""
    if document.clinic_id != patient.clinic_id:
        raise TreatmentError("This consent belongs to another clinic.")
    current = consent_document_current(patient.clinic, document.route, at=at)
    if current is None or current.pk != document.pk:
        raise TreatmentError("This consent version has been replaced; please read the new one.")
    errors = {}
    if not agreed:
        errors["agreed"] = "Tick the box to confirm you have read and agree to this consent."
    expected = {_normalise_name(patient.full_name)}
    if patient.preferred_name:
        expected.add(_normalise_name(f"{patient.preferred_name} {patient.last_name}"))
    if _normalise_name(typed_name) not in expected:
        errors["typed_name"] = f"Type your full name as registered: {patient.full_name}."
    if errors:
        raise TreatmentInvalid(" ".join(errors.values()), fields=errors)
    existing = ConsentSignature.objects.filter(
        document=document, patient=patient, revoked_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    signature = ConsentSignature.objects.create(
        document=document,
        patient=patient,
        patient_typed_name=typed_name.strip(),
        patient_signed_at=at,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="consent_signature",
        object_id=signature.pk,
        patient=patient,
        summary=f"Patient signed consent v{document.version} for "
        f"{ROUTE_LABELS[Route(document.route)]}",
        at=at,
    )
    return signature


@transaction.atomic
def consent_countersign(
    *, signature: ConsentSignature, origin: RequestOrigin, at: dt.datetime
) -> ConsentSignature:
    """A clinician countersigns the patient's signature; the consent is then complete."""
    signature = ConsentSignature.objects.select_for_update().get(pk=signature.pk)
    if signature.revoked_at is not None:
        raise TreatmentError("This consent was revoked; the patient must sign again.")
    if signature.clinician_signed_at is not None:
        raise TreatmentError("This consent is already countersigned.")
    if origin.actor is None:
        raise TreatmentError("A clinician must be signed in to countersign.")
    signature.clinician = origin.actor
    signature.clinician_signed_at = at
    signature.save(update_fields=["clinician", "clinician_signed_at"])
    audit_record(
        origin=origin,
        action="sign",
        object_type="consent_signature",
        object_id=signature.pk,
        clinic_id=signature.patient.clinic_id,
        patient_id=signature.patient_id,
        summary=f"Countersigned consent v{signature.document.version} for "
        f"{ROUTE_LABELS[Route(signature.document.route)]}",
        at=at,
    )
    return signature


@transaction.atomic
def consent_revoke(
    *, signature: ConsentSignature, reason: str, origin: RequestOrigin, at: dt.datetime
) -> ConsentSignature:
    """Withdraw a consent (the patient's wish, or a signature made in error)."""
    if not reason.strip():
        raise TreatmentInvalid("Say why the consent is withdrawn.", fields={"reason": "Required."})
    signature = ConsentSignature.objects.select_for_update().get(pk=signature.pk)
    if signature.revoked_at is not None:
        return signature
    signature.revoked_at = at
    signature.save(update_fields=["revoked_at"])
    audit_record(
        origin=origin,
        action="update",
        object_type="consent_signature",
        object_id=signature.pk,
        clinic_id=signature.patient.clinic_id,
        patient_id=signature.patient_id,
        summary=f"Consent v{signature.document.version} withdrawn: {reason.strip()}"[:300],
        changes={"revoked_at": {"before": None, "after": at}, "reason": reason.strip()},
        at=at,
    )
    return signature
