"""What the patients API reads and writes; ``PatientIn`` is shared with the registration page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from ketacare.patients.models import IntakeVersion, Patient
from ketacare.patients.selectors import body_measures


class PatientIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date
    sex_at_birth: str = Field(title="Sex assigned at birth")
    gender_identity: str = Field(default="", max_length=60)
    pronouns: str = Field(default="", max_length=30)
    email: EmailStr | None = None
    phone: str = Field(default="", max_length=40)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=50)
    postal_code: str = Field(default="", max_length=20)
    emergency_contact_name: str = Field(default="", max_length=200)
    emergency_contact_phone: str = Field(default="", max_length=40)
    emergency_contact_relationship: str = Field(default="", max_length=60)
    preferred_pharmacy: str = Field(default="", max_length=200)
    insurance_payer: str = Field(default="", max_length=120)
    insurance_member_id: str = Field(default="", max_length=60)
    insurance_group_number: str = Field(default="", max_length=60)
    # Registering someone whose name and date of birth, e-mail or phone match a patient of the
    # clinic is refused unless this says they are a different person (audited).
    allow_duplicate: bool = False

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth_date(cls, value: dt.date) -> dt.date:
        today = dt.date.today()
        if value > today:
            raise ValueError("date of birth is in the future")
        if value.year < today.year - 120:
            raise ValueError("date of birth is more than 120 years ago")
        return value

    @field_validator("sex_at_birth")
    @classmethod
    def _known_sex(cls, value: str) -> str:
        if value not in Patient.SexAtBirth.values:
            raise ValueError(f"choose one of {', '.join(Patient.SexAtBirth.values)}")
        return value

    def model_fields_for_db(self) -> dict:
        data = self.model_dump(exclude={"allow_duplicate"})
        data["email"] = data["email"] or ""
        return data


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

    @classmethod
    def of(cls, patient: Patient, *, with_insurance: bool) -> PatientOut:
        data = {
            name: getattr(patient, name)
            for name in cls.model_fields
            if name not in {"id", "insurance"}
        }
        insurance = (
            {
                "payer": patient.insurance_payer,
                "member_id": patient.insurance_member_id,
                "group_number": patient.insurance_group_number,
            }
            if with_insurance
            else None
        )
        return cls(id=patient.pk, insurance=insurance, **data)


class PatientSummary(Schema):
    id: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date

    @classmethod
    def of(cls, patient: Patient) -> PatientSummary:
        return cls(
            id=patient.pk,
            mrn=patient.mrn,
            first_name=patient.first_name,
            last_name=patient.last_name,
            preferred_name=patient.preferred_name,
            date_of_birth=patient.date_of_birth,
        )


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

    @classmethod
    def of(cls, patient: Patient, version: IntakeVersion) -> IntakeOut:
        measures = body_measures(patient, version.data)
        return cls(
            number=version.number,
            status=version.status,
            source=version.source,
            created_at=version.created_at,
            signed_at=version.signed_at,
            signed_by=version.signed_by.get_username() if version.signed_by_id else None,
            data=version.data,
            measures=MeasuresOut(**{**measures.__dict__, "notes": list(measures.notes)}),
        )


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
