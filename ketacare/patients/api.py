"""Patients and intake under /api/v1/patients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.api_utils import require
from ketacare.core.roles import Capability
from ketacare.patients import selectors, services
from ketacare.patients.intake import IntakeData
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.patients.schemas import PatientIn

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex_at_birth: str
    gender_identity: str
    pronouns: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relationship: str
    preferred_pharmacy: str
    insurance: dict[str, str] | None = None


class PatientSummary(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date


class PatientPage(Schema):
    count: int
    page: int
    pages: int
    results: list[PatientSummary]


class MeasuresOut(Schema):
    height_cm: float | None
    weight_kg: float | None
    bmi_kg_m2: float | None
    ideal_body_weight_kg: float | None
    notes: list[str]


class IntakeOut(Schema):
    number: int
    status: str
    source: str
    created_at: dt.datetime
    signed_at: dt.datetime | None
    signed_by: str | None
    data: dict[str, Any]
    measures: MeasuresOut


class SignIn(Schema):
    note: str = Field(default="", max_length=2000)


class LinkOut(Schema):
    sent_to: str
    expires_at: dt.datetime


class TimelineEntry(Schema):
    at: dt.datetime
    actor: str
    action: str
    summary: str


class Message(Schema):
    detail: str


def _audit_view(request, patient: Patient, what: str) -> None:
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type=what,
        object_id=patient.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        summary=f"Viewed {what.replace('_', ' ')} through the API",
    )


def _patient_out(patient: Patient, *, with_insurance: bool) -> dict:
    data = {
        name: getattr(patient, name)
        for name in PatientOut.model_fields
        if name not in {"id", "insurance"}
    }
    data["id"] = patient.pk
    if with_insurance:
        data["insurance"] = {
            "payer": patient.insurance_payer,
            "member_id": patient.insurance_member_id,
            "group_number": patient.insurance_group_number,
        }
    return data


def _intake_out(patient: Patient, version: IntakeVersion) -> dict:
    measures = selectors.body_measures(patient, version.data)
    return {
        "number": version.number,
        "status": version.status,
        "source": version.source,
        "created_at": version.created_at,
        "signed_at": version.signed_at,
        "signed_by": version.signed_by.get_username() if version.signed_by_id else None,
        "data": version.data,
        "measures": {**measures.__dict__, "notes": list(measures.notes)},
    }


@router.get("", response=PatientPage, summary="Search patients by name, date of birth or MRN")
def list_patients(request, q: str = "", page: int = 1, page_size: int = 25):
    access = require(request, Capability.PATIENT_LIST)
    if page < 1 or not 1 <= page_size <= 100:
        raise HttpError(422, "page must be ≥ 1 and page_size between 1 and 100")
    results = selectors.patient_search(access, q)
    count = results.count()
    rows = list(results[(page - 1) * page_size : page * page_size])
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="view",
        object_type="patient_list",
        clinic_id=access.clinic.pk,
        summary=f"Listed {len(rows)} patients through the API",
        changes={"query": q, "patient_ids": [p.pk for p in rows]},
    )
    return {
        "count": count,
        "page": page,
        "pages": max(1, -(-count // page_size)),
        "results": [
            {
                **{
                    f: getattr(p, f)
                    for f in ("mrn", "first_name", "last_name", "preferred_name", "date_of_birth")
                },
                "id": p.pk,
            }
            for p in rows
        ],
    }


@router.post("", response={201: PatientOut}, summary="Register a patient")
def create_patient(request, payload: PatientIn):
    access = require(request, Capability.PATIENT_REGISTER)
    patient = services.patient_register(
        clinic=access.clinic, data=payload, origin=RequestOrigin.from_request(request)
    )
    return Status(201, _patient_out(patient, with_insurance=access.can(Capability.INSURANCE_VIEW)))


@router.get("/{patient_id}", response=PatientOut)
def get_patient(request, patient_id: int):
    access = require(request, Capability.PATIENT_LIST)
    patient = selectors.patient_get(access, patient_id)
    _audit_view(request, patient, "demographics")
    return _patient_out(patient, with_insurance=access.can(Capability.INSURANCE_VIEW))


@router.put("/{patient_id}", response=PatientOut, summary="Replace a patient's demographics")
def update_patient(request, patient_id: int, payload: PatientIn):
    access = require(request, Capability.PATIENT_REGISTER)
    patient = selectors.patient_get(access, patient_id)
    patient = services.patient_update(
        patient=patient, data=payload, origin=RequestOrigin.from_request(request)
    )
    return _patient_out(patient, with_insurance=access.can(Capability.INSURANCE_VIEW))


@router.get(
    "/{patient_id}/intake",
    response={200: IntakeOut, 404: Message},
    summary="The current intake version",
)
def get_intake(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(access, patient_id)
    version = selectors.intake_current(patient)
    _audit_view(request, patient, "intake")
    if version is None:
        return Status(404, {"detail": "No intake has been entered for this patient."})
    return _intake_out(patient, version)


@router.get("/{patient_id}/intake/versions", response=list[IntakeOut])
def list_intake_versions(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(access, patient_id)
    _audit_view(request, patient, "intake_versions")
    return [
        _intake_out(patient, v)
        for v in patient.intake_versions.select_related("signed_by").order_by("-number")
    ]


@router.post(
    "/{patient_id}/intake", response={201: IntakeOut}, summary="Enter a new intake version"
)
def submit_intake(request, patient_id: int, payload: IntakeData):
    access = require(request, Capability.INTAKE_EDIT)
    patient = selectors.patient_get(access, patient_id)
    version = services.intake_submit(
        patient=patient, data=payload, source="staff", origin=RequestOrigin.from_request(request)
    )
    return Status(201, _intake_out(patient, version))


@router.post("/{patient_id}/intake/{number}/sign", response={200: IntakeOut, 409: Message})
def sign_intake(request, patient_id: int, number: int, payload: SignIn):
    access = require(request, Capability.INTAKE_SIGN)
    patient = selectors.patient_get(access, patient_id)
    version = get_object_or_404(IntakeVersion, patient=patient, number=number)
    try:
        version = services.intake_sign(
            version=version, origin=RequestOrigin.from_request(request), note=payload.note
        )
    except services.IntakeError as refused:
        return Status(409, {"detail": str(refused)})
    return _intake_out(patient, version)


@router.post(
    "/{patient_id}/intake-links",
    response={201: LinkOut, 409: Message},
    summary="E-mail a one-time intake link",
)
def send_intake_link(request, patient_id: int):
    access = require(request, Capability.INTAKE_SEND_LINK)
    patient = selectors.patient_get(access, patient_id)
    try:
        link, _ = services.intake_link_send(
            patient=patient, origin=RequestOrigin.from_request(request)
        )
    except services.IntakeError as refused:
        return Status(409, {"detail": str(refused)})
    return Status(201, {"sent_to": link.sent_to, "expires_at": link.expires_at})


@router.get("/{patient_id}/timeline", response=list[TimelineEntry])
def timeline(request, patient_id: int):
    access = require(request, Capability.CHART_VIEW)
    patient = selectors.patient_get(access, patient_id)
    _audit_view(request, patient, "timeline")
    return [
        {"at": e.at, "actor": e.actor_label, "action": e.action, "summary": e.summary}
        for e in selectors.patient_timeline(patient)
    ]
