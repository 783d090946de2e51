"""Demographics input, shared by the registration page and the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from ketacare.patients.models import Patient


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
        data = self.model_dump()
        data["email"] = data["email"] or ""
        return data
