"""Reads shared by the pages and the API: always scoped to the clinic in use."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ketacare.audit.models import AuditEntry
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.access import Access
from ketacare.core.lookups import one_or_not_found
from ketacare.patients.models import IntakeVersion, Patient, PortalInvitation

MRN_PATTERN = re.compile(r"^[A-Za-z]{1,8}\d{3,}$")
DATE_PATTERNS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%m/%d/%Y"),
)


def patients_in_scope(access: Access) -> QuerySet[Patient]:
    """Patients of the clinic in use; nobody sees another clinic's patients through this."""
    if access.clinic is None:
        return Patient.objects.none()
    return Patient.objects.filter(clinic_id=access.clinic.pk)


def _parse_date(text: str) -> dt.date | None:
    for pattern, fmt in DATE_PATTERNS:
        if pattern.match(text):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                return None
    return None


def patient_search(access: Access, query: str) -> QuerySet[Patient]:
    """Search by MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or name ("last, first" or words).
    Records merged into another are left out (their chart is reached from the one they joined)."""
    patients = patients_in_scope(access).filter(merged_into__isnull=True)
    query = (query or "").strip()
    if not query:
        return patients
    birth_date = _parse_date(query)
    if birth_date is not None:
        return patients.filter(date_of_birth=birth_date)
    if MRN_PATTERN.match(query):
        by_mrn = patients.filter(mrn__iexact=query)
        if by_mrn.exists():
            return by_mrn
    if "," in query:
        last, _, first = (part.strip().lower() for part in query.partition(","))
        condition = Q(search_last_name__startswith=last)
        if first:
            condition &= Q(search_first_name__startswith=first)
        return patients.filter(condition)
    condition = Q()
    for word in query.lower().split():
        condition &= Q(search_last_name__startswith=word) | Q(search_first_name__startswith=word)
    return patients.filter(condition)


def patient_get(access: Access, patient_id: int) -> Patient:
    return one_or_not_found(
        patients_in_scope(access).select_related("clinic"),
        "No such patient at this clinic.",
        pk=patient_id,
    )


def intake_current(patient: Patient) -> IntakeVersion | None:
    return patient.intake_versions.order_by("-number").first()


def intake_versions(patient: Patient) -> QuerySet[IntakeVersion]:
    """Every intake version of the patient, newest first."""
    return patient.intake_versions.select_related("signed_by", "created_by").order_by("-number")


def intake_version_get(patient: Patient, number: int) -> IntakeVersion:
    return one_or_not_found(
        patient.intake_versions.select_related("patient"),
        f"No intake version {number} for this patient.",
        number=number,
    )


@dataclass(frozen=True)
class BodyMeasures:
    height_cm: float | None
    weight_kg: float | None
    bmi_kg_m2: float | None
    ideal_body_weight_kg: float | None
    notes: tuple[str, ...] = ()


def body_measures(patient: Patient, intake: dict[str, Any] | None) -> BodyMeasures:
    """BMI and ideal body weight (Devine) from the clinical core, with why one is missing."""
    from ketacare.clinical.anthropometrics import bmi_kg_m2, ideal_body_weight_kg

    intake = intake or {}
    height, weight = intake.get("height_cm"), intake.get("weight_kg")
    notes: list[str] = []
    bmi = ibw = None
    if height and weight:
        bmi = round(bmi_kg_m2(weight_kg=weight, height_cm=height), 1)
    else:
        notes.append("BMI needs height and weight.")
    if height and patient.sex_at_birth in ("female", "male"):
        try:
            ibw = round(ideal_body_weight_kg(height_cm=height, sex=patient.sex_at_birth), 1)
        except ClinicalRuleError as refused:
            notes.append(str(refused))
    elif height:
        notes.append("Ideal body weight (Devine) needs sex assigned at birth as female or male.")
    return BodyMeasures(height, weight, bmi, ibw, tuple(notes))


@dataclass(frozen=True)
class ChartHeader:
    patient: Patient
    age_years: int
    allergies: tuple[str, ...]
    allergies_known: bool
    alerts: tuple[Any, ...] = field(default_factory=tuple)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def chart_header(patient: Patient, intake: IntakeVersion | None, *, today: dt.date) -> ChartHeader:
    from ketacare.alerts.selectors import alerts_open_for_patient

    data = intake.data if intake else {}
    allergies = tuple(
        f"{a['substance']}" + (f" ({a['reaction']})" if a.get("reaction") else "")
        for a in data.get("allergies", [])
    )
    return ChartHeader(
        patient=patient,
        age_years=age_on(patient.date_of_birth, today),
        allergies=allergies,
        allergies_known=bool(allergies) or bool(data.get("no_known_allergies")),
        alerts=tuple(alerts_open_for_patient(patient)),
    )


def patient_timeline(patient: Patient, *, limit: int = 200) -> QuerySet[AuditEntry]:
    """Everything that happened to the patient and the records merged into them, newest first
    (views of the chart left out)."""
    return (
        AuditEntry.objects.filter(patient_id__in=merged_ids(patient))
        .exclude(action=AuditEntry.Action.VIEW)
        .order_by("-sequence")[:limit]
    )


def portal_status(patient: Patient, *, now: dt.datetime) -> dict[str, Any]:
    """Whether the patient's portal account is active, and the latest invitation if not."""
    user = patient.portal_user
    active = user is not None and user.is_active and user.has_usable_password()
    invitation = (
        None
        if active
        else PortalInvitation.objects.filter(patient=patient, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    return {
        "active": active,
        "username": user.username if active else "",
        "invitation": invitation,
        "invitation_expired": invitation is not None and invitation.expires_at <= now,
    }


def latest_intake_data(patient_ids: list[int]) -> dict[int, dict]:
    """The data of each patient's latest intake version: {patient id: data}."""
    latest: dict[int, tuple[int, dict]] = {}
    rows = IntakeVersion.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "number", "data"
    )
    for patient_id, number, data in rows.iterator(chunk_size=2000):
        if patient_id not in latest or number > latest[patient_id][0]:
            latest[patient_id] = (number, data)
    return {patient_id: data for patient_id, (_, data) in latest.items()}


def latest_intakes_in_scope(access: Access) -> QuerySet[IntakeVersion]:
    """Each patient's latest intake version, for the clinic in use (one query)."""
    if access.clinic is None:
        return IntakeVersion.objects.none()
    newer = IntakeVersion.objects.filter(
        patient_id=OuterRef("patient_id"), number__gt=OuterRef("number")
    )
    return IntakeVersion.objects.filter(patient__clinic_id=access.clinic.pk).filter(~Exists(newer))


def _phone_digits(phone: str) -> str:
    """The last 10 digits of a phone number, so ``(555) 010-1234`` matches ``5550101234``."""
    return re.sub(r"\D", "", phone or "")[-10:]


@dataclass(frozen=True)
class DuplicateMatch:
    patient: Patient
    matched_on: tuple[str, ...]  # "date of birth", "e-mail", "phone"


def patient_duplicates(
    clinic_id: int,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    email: str = "",
    phone: str = "",
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Patients of the clinic with the same first and last name (any case) and the same date of
    birth, e-mail or phone: probably the same person. Merged records are left out."""
    same_name = Patient.objects.filter(
        clinic_id=clinic_id,
        search_last_name=last_name.strip().lower(),
        search_first_name=first_name.strip().lower(),
        merged_into__isnull=True,
    ).exclude(pk=exclude_id)
    matches = []
    for other in same_name.order_by("pk"):
        matched_on = []
        if date_of_birth and other.date_of_birth == date_of_birth:
            matched_on.append("date of birth")
        if email and other.email and other.email.lower() == email.strip().lower():
            matched_on.append("e-mail")
        digits = _phone_digits(phone)
        if len(digits) >= 7 and _phone_digits(other.phone) == digits:
            matched_on.append("phone")
        if matched_on:
            matches.append(DuplicateMatch(other, tuple(matched_on)))
    return matches


def merged_ids(patient: Patient) -> list[int]:
    """The patient and every record merged into them (and into those), for their history."""
    ids, frontier = [patient.pk], [patient.pk]
    while frontier:
        frontier = list(
            Patient.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids
