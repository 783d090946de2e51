"""The vital signs a session's flowsheet records, with their LOINC codes and units.

Codes are from the clinical reference §4.5, where every vital-sign code is tagged
``[memory, verify]``: they are used as given and carry ``Provenance(verified=False)`` until a
LOINC lookup confirms them. Units are UCUM (``mm[Hg]``, ``/min``, ``%``), the form FHIR's vital
signs profile asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.instruments import MEMORY, Loinc


@dataclass(frozen=True)
class VitalSign:
    """One measured vital sign: the flowsheet field it is read from and how it is coded."""

    field: str  # the flowsheet's column, e.g. ``systolic_mmhg``
    key: str  # a short stable name, e.g. ``sbp``
    label: str
    loinc: Loinc
    unit: str  # as shown
    ucum: str  # UCUM code


# source: reference §4.5 "Vitals" row, tagged [memory, verify]
SYSTOLIC = VitalSign(
    "systolic_mmhg", "sbp", "Systolic blood pressure", Loinc("8480-6", MEMORY), "mmHg", "mm[Hg]"
)
DIASTOLIC = VitalSign(
    "diastolic_mmhg", "dbp", "Diastolic blood pressure", Loinc("8462-4", MEMORY), "mmHg", "mm[Hg]"
)
HEART_RATE = VitalSign(
    "heart_rate_bpm", "hr", "Heart rate", Loinc("8867-4", MEMORY), "beats/min", "/min"
)
RESPIRATORY_RATE = VitalSign(
    "respiratory_rate_per_min", "rr", "Respiratory rate", Loinc("9279-1", MEMORY), "breaths/min",
    "/min",
)
SPO2 = VitalSign(
    "spo2_percent", "spo2", "Oxygen saturation by pulse oximetry", Loinc("59408-5", MEMORY), "%",
    "%",
)
BODY_WEIGHT = VitalSign("weight_kg", "weight", "Body weight", Loinc("29463-7", MEMORY), "kg", "kg")
BODY_HEIGHT = VitalSign("height_cm", "height", "Body height", Loinc("8302-2", MEMORY), "cm", "cm")

# What the session flowsheet measures, in the order it shows them.
FLOWSHEET_VITAL_SIGNS: tuple[VitalSign, ...] = (
    SYSTOLIC, DIASTOLIC, HEART_RATE, RESPIRATORY_RATE, SPO2
)
