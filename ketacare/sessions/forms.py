"""Parsing the session pages' form posts into plain values; errors by field name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from ketacare.clinical.common import Answer, Route
from ketacare.clinical.monitoring import PLAUSIBLE_RANGES, CrisisSymptom
from ketacare.clinical.session_flow import SideEffect, SideEffectSeverity

ESKETAMINE_DEVICE_MG = 28  # one SPRAVATO device. source: S45

SIDE_EFFECT_CHOICES = [(e.value, e.value.replace("_", " ").capitalize()) for e in SideEffect]
SEVERITY_CHOICES = [(s.value, s.value.capitalize()) for s in SideEffectSeverity]
CRISIS_CHOICES = [(c.value, c.value.replace("_", " ").capitalize()) for c in CrisisSymptom]
ANSWER_CHOICES = [(a.value, a.value.capitalize()) for a in Answer]

PRECHECK_QUESTIONS = [
    ("identity_confirmed", "Identity confirmed (two identifiers)"),
    ("could_be_pregnant", "Could the patient be pregnant?"),
    ("pregnant", "Pregnant (test or report), if the patient could be"),
    ("new_medications_since_last_visit", "New medications since the last visit"),
    ("substance_use_since_last_visit", "Substance use since the last visit"),
    ("phq9_completed", "Pre-session PHQ-9 completed"),
    ("cssrs_completed", "Pre-session C-SSRS completed"),
    ("escort_confirmed", "Escort home confirmed"),
]
DISCHARGE_QUESTIONS = [
    ("mental_status_at_baseline", "Alert and oriented, mental status back to baseline"),
    ("walking_steadily", "Walking steadily"),
    ("nausea_controlled", "Nausea controlled"),
    ("escort_present", "Responsible adult escort present"),
    ("sedation_resolved", "Sedation resolved (or never occurred)"),
    ("dissociation_resolved", "Dissociation resolved (or never occurred)"),
    ("respiratory_depression_resolved", "Respiratory depression resolved (or never occurred)"),
]


class Parsed:
    """Collects values and field errors from one POST."""

    def __init__(self, data) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def int(self, name: str, label: str, *, low: int | None = None, high: int | None = None):
        raw = self.text(name)
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = f"{label}: a whole number"
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.errors[name] = f"{label}: {low}–{high}"
            return None
        return value

    def decimal(self, name: str, label: str) -> Decimal | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.errors[name] = f"{label}: a number"
            return None
        if not value.is_finite() or value <= 0:
            self.errors[name] = f"{label}: a number above 0"
            return None
        return value

    def answer(self, name: str) -> str:
        raw = self.text(name) or "unknown"
        if raw not in Answer._value2member_map_:
            self.errors[name] = "Choose yes, no or unknown"
            return "unknown"
        return raw

    def local_datetime(self, name: str, zone, label: str) -> dt.datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            naive = dt.datetime.fromisoformat(raw)
        except ValueError:
            self.errors[name] = f"{label}: a date and time"
            return None
        return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive

    def hours_ago(self, name: str, label: str, now: dt.datetime) -> dt.datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            hours = Decimal(raw)
        except InvalidOperation:
            self.errors[name] = f"{label}: hours, e.g. 6 or 1.5"
            return None
        if not hours.is_finite() or hours < 0 or hours > 72:
            self.errors[name] = f"{label}: 0–72 hours"
            return None
        return now - dt.timedelta(minutes=float(hours) * 60)


VITAL_LABELS = {
    "systolic_mmhg": "Systolic",
    "diastolic_mmhg": "Diastolic",
    "heart_rate_bpm": "Heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate_per_min": "Resp. rate",
    "moaas_level": "MOAA/S",
}


def parse_vitals(p: Parsed, prefix: str = "") -> dict:
    """The flowsheet row's values; plausibility bounds are the clinical core's data-entry ranges."""
    values = {}
    for name, label in VITAL_LABELS.items():
        low, high = PLAUSIBLE_RANGES[name]
        values[name] = p.int(prefix + name, label, low=low, high=high)
    return values


def first_dose_default(route: str, order_dose_mg) -> Decimal | None:
    """The start form's suggested first dose: one device for esketamine, else the order."""
    if route == Route.ESKETAMINE_NASAL.value:
        return Decimal(ESKETAMINE_DEVICE_MG)
    return order_dose_mg


def discharge_instructions_default(clinic) -> str:
    phone = f" at {clinic.phone}" if clinic.phone else ""
    return (
        "Do not drive or operate machinery until the next day, after a restful sleep. "
        "Go home with your escort. "
        f"If you feel unwell, call the clinic{phone}. "
        "If you are in crisis, call or text 988; in an emergency, call 911."
    )


def bag_diluent_default(order) -> Decimal | None:
    """The diluent the signed order implies: its final bag volume less the drug volume."""
    if order is None or order.bag_volume_ml is None or order.drug_volume_ml is None:
        return None
    diluent = order.bag_volume_ml - order.drug_volume_ml
    return diluent if diluent > 0 else None
