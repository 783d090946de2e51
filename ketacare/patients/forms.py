"""Turning posted form fields into the shared pydantic schemas, and errors back into fields.

Pages post flat names (``medications-0-name``); the schemas are the only validation.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from pydantic import ValidationError

from ketacare.core.validation import field_label, human_errors
from ketacare.patients.intake import CONDITION_NAMES, STAFF_ONLY_LISTS, IntakeData
from ketacare.patients.intake_labels import pregnancy_facts, where
from ketacare.patients.schemas import PatientIn

LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "diagnoses": ("code", "description"),
    "medications": ("name", "dose", "drug_class"),
    "allergies": ("substance", "reaction"),
    "antidepressant_trials": ("drug", "dose_mg", "weeks", "adequate", "outcome", "current_episode"),
    "psychotherapy": ("kind", "current"),
    "labs": ("name", "value", "unit", "taken_on"),
}
# Blank rows of each list shown under the filled ones ("Add a row" shows one more).
BLANK_ROWS = 1
NESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "psychiatric": (
        "depressive_episodes",
        "hospitalisations",
        "suicide_attempts",
        "most_recent_attempt",
        "current_episode_started",
        "notes",
    ),
    "baseline_vitals": (
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "spo2_percent",
        "measured_on",
    ),
}
# Fields of a list row that, left alone, do not make the row count as filled in.
ROW_DEFAULTS = {
    "adequate": "unknown",
    "outcome": "unknown",
    "current_episode": "unknown",
    "current": "unknown",
}


def _blank_to_none(value: str | None) -> str | None:
    return None if value is None or value.strip() == "" else value.strip()


# The registration form's labels, for its error messages.
PATIENT_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth",
    "sex_at_birth": "Sex assigned at birth",
    "email": "E-mail",
    "address_line1": "Address",
    "address_line2": "Address line 2",
    "postal_code": "ZIP code",
    "emergency_contact_name": "Emergency contact's name",
    "emergency_contact_phone": "Emergency contact's phone",
    "emergency_contact_relationship": "Emergency contact's relationship",
    "insurance_member_id": "Insurance member ID",
}


def form_errors(exc: ValidationError, *, label=where) -> dict[str, str]:
    """One human sentence per field, keyed like the form (``medications.0.name``)."""
    _, fields = human_errors(exc.errors(), label=label)
    return {("form" if key == "request" else key): message for key, message in fields.items()}


def row_edit(post: QueryDict) -> tuple[str, str, int | None] | None:
    """``("add", group, None)`` or ``("remove", group, index)`` when the form was posted by an
    "Add a row" / "Remove" button (without JavaScript) rather than to be saved."""
    if post.get("add_row") in LIST_FIELDS:
        return "add", post["add_row"], None
    group, _, index = (post.get("remove_row") or "").rpartition("-")
    if group in LIST_FIELDS and index.isdigit():
        return "remove", group, int(index)
    return None


def intake_from_post(
    post: QueryDict, *, patient_facing: bool = False, removed: tuple[str, int] | None = None
) -> dict[str, Any]:
    """The posted intake as plain data; ``removed`` names one list row to leave out."""
    data: dict[str, Any] = {}
    for name in ("height_cm", "weight_kg"):
        data[name] = _blank_to_none(post.get(name))
    data["no_known_allergies"] = post.get("no_known_allergies") == "on"
    data["medications_complete"] = post.get("medications_complete") == "on"
    data["antidepressant_history_complete"] = post.get("antidepressant_history_complete") == "on"
    # Pregnancy is asked once; the answer is stored as the two facts screening reads.
    data["pregnancy_possible"], pregnant = pregnancy_facts(post.get("pregnancy", "unknown"))
    data["substance_use_details"] = post.get("substance_use_details", "")
    data["notes"] = post.get("notes", "")
    data["conditions"] = {
        name: post.get(f"conditions-{name}", "unknown") for name in CONDITION_NAMES
    } | {"pregnant": pregnant}
    for group, fields in NESTED_FIELDS.items():
        nested = {f: post.get(f"{group}-{f}") for f in fields}
        data[group] = {
            k: (v if k == "notes" else _blank_to_none(v))
            for k, v in nested.items()
            if v is not None
        }
        if group == "psychiatric":
            data[group]["notes"] = post.get("psychiatric-notes", "")
    for group, fields in LIST_FIELDS.items():
        if patient_facing and group in STAFF_ONLY_LISTS:
            continue
        rows = []
        indexes = sorted(
            {
                int(key.split("-")[1])
                for key in post
                if key.startswith(f"{group}-") and key.split("-")[1].isdigit()
            }
        )
        for index in indexes:
            if removed == (group, index):
                continue
            row = {f: post.get(f"{group}-{index}-{f}", "") for f in fields}
            filled = {k: v for k, v in row.items() if v.strip() and ROW_DEFAULTS.get(k) != v}
            if not filled:
                continue
            rows.append(
                {
                    k: _blank_to_none(v) if k not in ROW_DEFAULTS else v
                    for k, v in row.items()
                    if _blank_to_none(v) is not None
                }
            )
        data[group] = rows
    return data


def parse_intake(
    post: QueryDict, *, patient_facing: bool = False
) -> tuple[IntakeData | None, dict[str, Any], dict[str, str]]:
    """(validated intake or None, the raw values to re-show, errors keyed like the form).
    A patient's form has no diagnoses or labs: those lists are left out of what they submit."""
    raw = intake_from_post(post, patient_facing=patient_facing)
    try:
        return IntakeData.model_validate(raw), raw, {}
    except ValidationError as exc:
        return None, raw, form_errors(exc)


# The registration's fields as the form shows them (``allow_duplicate`` is a checkbox).
PATIENT_FIELDS = tuple(name for name in PatientIn.model_fields if name != "allow_duplicate")


def parse_patient(post: QueryDict) -> tuple[PatientIn | None, dict[str, Any], dict[str, str]]:
    raw: dict[str, Any] = {name: post.get(name, "").strip() for name in PATIENT_FIELDS}
    raw["email"] = raw["email"] or None
    raw["allow_duplicate"] = post.get("allow_duplicate") == "on"
    try:
        return PatientIn.model_validate(raw), raw, {}
    except ValidationError as exc:
        return None, raw, form_errors(
            exc, label=lambda key: PATIENT_LABELS.get(key) or field_label(key)
        )


def rows_with_blanks(
    rows: list[dict[str, Any]], fields: tuple[str, ...], *, blanks: int = BLANK_ROWS
) -> list[dict[str, Any]]:
    """Filled rows plus blank ones to type into."""
    blank = {f: ROW_DEFAULTS.get(f, "") for f in fields}
    return [*rows, *([blank] * blanks)]
