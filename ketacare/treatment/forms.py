"""Posted form fields -> typed values for the services, and errors back to fields."""

from __future__ import annotations

import datetime as dt
import math

from django.http import QueryDict

from ketacare.treatment.dose import DoseInput

DOSE_FIELDS = (
    "dose_mg_per_kg",
    "fixed_dose_mg",
    "dose_mg",
    "concentration_mg_per_ml",
    "bag_volume_ml",
    "infusion_minutes",
    "unit_strength_mg",
    "unit_count",
)


def number(
    post: QueryDict, name: str, errors: dict[str, str], *, whole: bool = False
) -> float | int | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = "Enter a number."
        return None
    if not math.isfinite(value) or value <= 0:
        errors[name] = "Enter a number above 0."
        return None
    if whole:
        if value != int(value):
            errors[name] = "Enter a whole number."
            return None
        return int(value)
    return value


def dose_input(post: QueryDict) -> tuple[DoseInput, dict[str, str]]:
    errors: dict[str, str] = {}
    values = {name: number(post, name, errors, whole=name == "unit_count") for name in DOSE_FIELDS}
    values["bag_volume_includes_drug"] = post.get("bag_volume_includes_drug") == "on"
    return DoseInput(**values), errors


def date_field(post: QueryDict, name: str, errors: dict[str, str]) -> dt.date | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        errors[name] = "Enter a date."
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def time_field(post: QueryDict, name: str, errors: dict[str, str]) -> dt.time | None:
    raw = (post.get(name) or "").strip()
    try:
        return dt.time.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a time as HH:MM."
        return None


def weekdays(post: QueryDict, errors: dict[str, str]) -> tuple[int, ...] | None:
    chosen = post.getlist("weekdays")
    if not chosen:
        return None
    try:
        days = tuple(sorted(int(day) for day in chosen))
    except ValueError:
        errors["weekdays"] = "Choose weekdays from the list."
        return None
    return days
