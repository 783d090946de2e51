"""Esketamine prior authorisations: submitted, then the payer's decision, an appeal, its result.

The status rules are ``clinical.prior_authorisation.check_transition``; an approval must state
its period and units (``Approval``). Every change keeps an ``AuthorisationEvent``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import AuthorisationEvent, PriorAuthorisation
from ketacare.clinical.common import Route
from ketacare.clinical.prior_authorisation import (
    Approval,
    AuthorisationStatus,
    check_transition,
)
from ketacare.core.errors import Invalid, NotFound
from ketacare.patients.models import Patient
from ketacare.treatment.models import TreatmentCourse


def _event(authorisation, from_status, note, origin, at) -> None:
    AuthorisationEvent.objects.create(authorisation=authorisation, from_status=from_status,
                                      to_status=authorisation.status, note=note[:300], at=at,
                                      by=origin.actor)
    audit_record(
        origin=origin, action="create" if not from_status else "update",
        object_type="prior_authorisation", record=authorisation,
        summary=f"Prior authorisation with {authorisation.payer}: {authorisation.status}",
        changes={"from": from_status, "to": authorisation.status,
                 "starts_on": authorisation.starts_on, "ends_on": authorisation.ends_on,
                 "approved_units": authorisation.approved_units, "note": note},
        at=at,
    )


@transaction.atomic
def authorisation_submit(
    *, patient: Patient, payer: str, submitted_on: dt.date, origin: RequestOrigin,
    at: dt.datetime, course: TreatmentCourse | None = None, payer_reference: str = "",
    note: str = "",
) -> PriorAuthorisation:
    """Record a request sent to a payer for a patient's esketamine treatment."""
    payer = (payer or "").strip() or patient.insurance_payer
    if not payer:
        raise Invalid.field("payer", "Name the payer the request went to.")
    if course is not None:
        if course.patient_id != patient.pk:
            raise NotFound("No such course for this patient.")
        if not Route(course.route).is_esketamine:
            raise Invalid.field("course", "Prior authorisation here is for esketamine courses.")
    if submitted_on > at.astimezone(patient.clinic.zone).date():
        raise Invalid.field("submitted_on", "A request cannot be submitted in the future.")
    authorisation = PriorAuthorisation.objects.create(
        clinic_id=patient.clinic_id, patient=patient, course=course, payer=payer[:120],
        payer_reference=(payer_reference or "").strip()[:80],
        status=AuthorisationStatus.SUBMITTED, submitted_on=submitted_on,
        note=(note or "").strip()[:300], created_at=at, created_by=origin.actor, updated_at=at,
    )
    _event(authorisation, "", note or "", origin, at)
    return authorisation


@transaction.atomic
def authorisation_decide(
    *, authorisation: PriorAuthorisation, status: str, on: dt.date, origin: RequestOrigin,
    at: dt.datetime, starts_on: dt.date | None = None, ends_on: dt.date | None = None,
    approved_units: int | None = None, denial_reason: str = "", payer_reference: str = "",
    note: str = "",
) -> PriorAuthorisation:
    """The payer approved (period and units), denied (with the reason), or it was appealed."""
    authorisation = PriorAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
    try:
        to = AuthorisationStatus(status)
    except ValueError:
        raise Invalid.field("status", "Choose approved, denied or appealed.") from None
    check_transition(authorisation.status, to)
    if on < authorisation.submitted_on:
        raise Invalid.field("on", "The decision cannot come before the request was submitted.")
    before = authorisation.status
    if to is AuthorisationStatus.APPROVED:
        if starts_on is None or ends_on is None or approved_units is None:
            raise Invalid("An approval states its period and the sessions approved.",
                          fields={k: "Required for an approval." for k, v in
                                  (("starts_on", starts_on), ("ends_on", ends_on),
                                   ("approved_units", approved_units)) if v is None})
        Approval(starts_on=starts_on, ends_on=ends_on, units=approved_units)
        authorisation.starts_on, authorisation.ends_on = starts_on, ends_on
        authorisation.approved_units, authorisation.decided_on = approved_units, on
    elif to is AuthorisationStatus.DENIED:
        if not (denial_reason or "").strip():
            raise Invalid.field("denial_reason", "Give the payer's reason for the denial.")
        authorisation.denial_reason, authorisation.decided_on = denial_reason.strip()[:300], on
    else:
        authorisation.appealed_on = on
    if payer_reference:
        authorisation.payer_reference = payer_reference.strip()[:80]
    authorisation.status, authorisation.updated_at = to, at
    authorisation.save()
    _event(authorisation, before, note or denial_reason or "", origin, at)
    return authorisation
