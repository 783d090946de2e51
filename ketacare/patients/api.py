"""Patients and intake under /api/v1/patients."""

from __future__ import annotations

from ninja import Router, Status

from ketacare.audit.services import audit_record
from ketacare.core.actions import Action, action, audit_read
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.patients import selectors, services
from ketacare.patients.intake import IntakeData
from ketacare.patients.models import Patient
from ketacare.patients.portal import portal_invite
from ketacare.patients.schemas import (
    IntakeOut,
    LinkOut,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientSummary,
    SignIn,
    TimelineEntry,
)

router = Router(tags=["patients"])


def _audit_view(act: Action, patient: Patient, what: str) -> None:
    audit_read(
        act,
        object_type=what,
        patient=patient,
        clinic_id=patient.clinic_id,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


def _out(act: Action, patient: Patient) -> PatientOut:
    return PatientOut.of(patient, with_insurance=act.access.can(Capability.INSURANCE_VIEW))


@router.get(
    "",
    response={200: PatientPage, **ERRORS},
    summary="Search patients by name, date of birth or MRN",
)
def list_patients(request, q: str = "", page: int = 1, page_size: int = 25):
    act = action(request, Capability.PATIENT_LIST)
    if page < 1:
        raise Invalid.field("page", "Page must be 1 or more.")
    if not 1 <= page_size <= 100:
        raise Invalid.field("page_size", "Page size must be between 1 and 100.")
    results = selectors.patient_search(act.access, q)
    count = results.count()
    rows = list(results[(page - 1) * page_size : page * page_size])
    audit_record(
        action="view",
        object_type="patient_list",
        clinic_id=act.clinic.pk,
        summary=f"Listed {len(rows)} patients through the API",
        changes={"query": q, "patient_ids": [p.pk for p in rows]},
        **act.stamp,
    )
    return PatientPage(
        count=count,
        page=page,
        pages=max(1, -(-count // page_size)),
        results=[PatientSummary.of(p) for p in rows],
    )


@router.post("", response={201: PatientOut, **ERRORS}, summary="Register a patient")
def create_patient(request, payload: PatientIn):
    act = action(request, Capability.PATIENT_REGISTER)
    patient = services.patient_register(clinic=act.clinic, data=payload, **act.stamp)
    return Status(201, _out(act, patient))


@router.get("/{patient_id}", response={200: PatientOut, **READ_ERRORS}, summary="One patient")
def get_patient(request, patient_id: int):
    act = action(request, Capability.PATIENT_LIST)
    patient = selectors.patient_get(act.access, patient_id)
    _audit_view(act, patient, "demographics")
    return _out(act, patient)


@router.put(
    "/{patient_id}",
    response={200: PatientOut, **ERRORS},
    summary="Replace a patient's demographics",
)
def update_patient(request, patient_id: int, payload: PatientIn):
    act = action(request, Capability.PATIENT_REGISTER)
    patient = services.patient_update(
        patient=selectors.patient_get(act.access, patient_id), data=payload, **act.stamp
    )
    return _out(act, patient)


@router.get(
    "/{patient_id}/intake",
    response={200: IntakeOut, **READ_ERRORS},
    summary="The current intake version",
)
def get_intake(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(act.access, patient_id)
    version = selectors.intake_current(patient)
    _audit_view(act, patient, "intake")
    if version is None:
        raise NotFound("No intake has been entered for this patient.")
    return IntakeOut.of(patient, version)


@router.get(
    "/{patient_id}/intake/versions",
    response={200: list[IntakeOut], **READ_ERRORS},
    summary="Every intake version, newest first",
)
def list_intake_versions(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(act.access, patient_id)
    _audit_view(act, patient, "intake_versions")
    return [IntakeOut.of(patient, v) for v in selectors.intake_versions(patient)]


@router.post(
    "/{patient_id}/intake",
    response={201: IntakeOut, **ERRORS},
    summary="Enter a new intake version",
)
def submit_intake(request, patient_id: int, payload: IntakeData):
    act = action(request, Capability.INTAKE_EDIT)
    patient = selectors.patient_get(act.access, patient_id)
    version = services.intake_submit(patient=patient, data=payload, source="staff", **act.stamp)
    return Status(201, IntakeOut.of(patient, version))


@router.post(
    "/{patient_id}/intake/{number}/sign",
    response={200: IntakeOut, **ERRORS},
    summary="Sign a reviewed intake version",
)
def sign_intake(request, patient_id: int, number: int, payload: SignIn):
    act = action(request, Capability.INTAKE_SIGN)
    patient = selectors.patient_get(act.access, patient_id)
    version = services.intake_sign(
        version=selectors.intake_version_get(patient, number), note=payload.note, **act.stamp
    )
    return IntakeOut.of(patient, version)


@router.post(
    "/{patient_id}/intake-links",
    response={201: LinkOut, **ERRORS},
    summary="E-mail a one-time intake link",
)
def send_intake_link(request, patient_id: int):
    act = action(request, Capability.INTAKE_SEND_LINK)
    patient = selectors.patient_get(act.access, patient_id)
    link, _ = services.intake_link_send(patient=patient, **act.stamp)
    return Status(201, LinkOut(sent_to=link.sent_to, expires_at=link.expires_at))


@router.post(
    "/{patient_id}/portal-invitation",
    response={201: LinkOut, **ERRORS},
    summary="E-mail a one-time portal activation link (re-sending retires the earlier one)",
)
def send_portal_invitation(request, patient_id: int):
    act = action(request, Capability.PORTAL_INVITE)
    patient = selectors.patient_get(act.access, patient_id)
    invitation, _ = portal_invite(patient=patient, **act.stamp)
    return Status(201, LinkOut(sent_to=invitation.sent_to, expires_at=invitation.expires_at))


@router.get(
    "/{patient_id}/timeline",
    response={200: list[TimelineEntry], **READ_ERRORS},
    summary="What happened in the chart, newest first",
)
def timeline(request, patient_id: int):
    act = action(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(act.access, patient_id)
    _audit_view(act, patient, "timeline")
    return [
        TimelineEntry(at=e.at, actor=e.actor_label, action=e.action, summary=e.summary)
        for e in selectors.patient_timeline(patient)
    ]
