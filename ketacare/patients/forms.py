"""Turning posted form fields into the shared pydantic schemas, and errors back into fields.

Pages post flat names (``medications-0-name``); the schemas are the only validation.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from pydantic import ValidationError

from ketacare.patients.intake import CONDITION_NAMES, IntakeData, intake_errors
from ketacare.patients.schemas import PatientIn

LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "diagnoses": ("code", "description"),
    "medications": ("name", "dose", "drug_class"),
    "allergies": ("substance", "reaction"),
    "antidepressant_trials": ("drug", "dose_mg", "weeks", "adequate", "outcome", "current_episode"),
    "psychotherapy": ("kind", "current"),
    "labs": ("name", "value", "unit", "taken_on"),
}
# Blank rows of each list shown under the filled ones.
BLANK_ROWS = 2
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


def intake_from_post(post: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ("height_cm", "weight_kg"):
        data[name] = _blank_to_none(post.get(name))
    data["no_known_allergies"] = post.get("no_known_allergies") == "on"
    data["medications_complete"] = post.get("medications_complete") == "on"
    data["antidepressant_history_complete"] = post.get("antidepressant_history_complete") == "on"
    data["pregnancy_possible"] = post.get("pregnancy_possible", "unknown")
    data["substance_use_details"] = post.get("substance_use_details", "")
    data["notes"] = post.get("notes", "")
    data["conditions"] = {
        name: post.get(f"conditions-{name}", "unknown") for name in CONDITION_NAMES
    }
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
        rows = []
        indexes = sorted(
            {
                int(key.split("-")[1])
                for key in post
                if key.startswith(f"{group}-") and key.split("-")[1].isdigit()
            }
        )
        for index in indexes:
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


def parse_intake(post: QueryDict) -> tuple[IntakeData | None, dict[str, Any], dict[str, str]]:
    """(validated intake or None, the raw values to re-show, errors keyed like the form)."""
    raw = intake_from_post(post)
    try:
        return IntakeData.model_validate(raw), raw, {}
    except ValidationError as exc:
        return None, raw, intake_errors(exc)


def parse_patient(post: QueryDict) -> tuple[PatientIn | None, dict[str, Any], dict[str, str]]:
    raw = {name: post.get(name, "").strip() for name in PatientIn.model_fields}
    raw["email"] = raw["email"] or None
    try:
        return PatientIn.model_validate(raw), raw, {}
    except ValidationError as exc:
        return None, raw, intake_errors(exc)


def rows_with_blanks(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Filled rows plus blank ones to type into."""
    blank = {f: ROW_DEFAULTS.get(f, "") for f in fields}
    return [*rows, *([blank] * BLANK_ROWS)]
