"""Which consent version is current for a route, and whether the patient's signature of it is."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from ketacare.clinical.common import Route
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.treatment.models import ConsentDocument, ConsentSignature, TreatmentCourse


def consent_document_current(clinic: Clinic, route: Route | str, *, at: dt.datetime):
    """The clinic's latest consent version for ``route`` in force at ``at``, or None."""
    return (
        ConsentDocument.objects.filter(
            clinic=clinic, route=Route(route).value, effective_from__lte=at.date()
        )
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=at))
        .order_by("-version")
        .first()
    )


def consent_signature_current(patient: Patient, route: Route | str, *, at: dt.datetime):
    """The complete, unrevoked signature of the current version, or None."""
    document = consent_document_current(patient.clinic, route, at=at)
    if document is None:
        return None
    return (
        ConsentSignature.objects.filter(
            document=document,
            patient=patient,
            patient_signed_at__lte=at,
            clinician_signed_at__isnull=False,
            clinician_signed_at__lte=at,
        )
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .order_by("-clinician_signed_at")
        .first()
    )


def consent_is_current(patient: Patient, route: Route | str, *, at: dt.datetime) -> bool:
    """True when the latest consent version for ``route`` is signed by the patient and
    countersigned by a clinician, both by ``at``, and not revoked. No treatment starts without."""
    return consent_signature_current(patient, route, at=at) is not None


def consents_to_sign(patient: Patient, *, at) -> list[ConsentDocument]:
    """Current consent versions for the routes of the patient's open courses, not yet signed."""
    documents = []
    routes = (
        TreatmentCourse.objects.filter(patient=patient)
        .exclude(phase=TreatmentCourse.Phase.COMPLETED)
        .values_list("route", flat=True)
        .distinct()
    )
    for route in routes:
        document = consent_document_current(patient.clinic, route, at=at)
        if document is None:
            continue
        signed = ConsentSignature.objects.filter(
            document=document, patient=patient, revoked_at__isnull=True
        ).exists()
        if not signed:
            documents.append(document)
    return documents
