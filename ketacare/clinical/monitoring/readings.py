"""Vital-sign readings: what the nurse records, checked for plausibility, and the session phases
a reading belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ketacare.clinical.common import ClinicalRuleError, require_aware
from ketacare.clinical.thresholds import PLAUSIBLE_RANGES, check_plausible


class Phase(StrEnum):
    """The part of the session a reading belongs to."""

    PRE_DOSE = "pre_dose"
    DOSING = "dosing"  # infusion running, or between esketamine devices
    POST_DOSE = "post_dose"  # recovery / observation


class CrisisSymptom(StrEnum):
    """Possible hypertensive crisis -> emergency care. source: §3.3 [memory, verify]"""

    CHEST_PAIN = "chest_pain"
    DYSPNEA = "dyspnea"
    SUDDEN_SEVERE_HEADACHE = "sudden_severe_headache"
    VISUAL_CHANGE = "visual_change"
    SEIZURE = "seizure"
    REDUCED_CONSCIOUSNESS = "reduced_consciousness"
    FOCAL_NEUROLOGICAL_DEFICIT = "focal_neurological_deficit"


@dataclass(frozen=True)
class VitalsReading:
    """One set of vital signs. Any value may be None: not measured at this reading.

    ``crisis_symptoms`` None means the nurse did not ask; an empty set means asked, none present.
    Construction refuses implausible values (ClinicalRuleError), e.g. SpO2 140 % or 90/120 mmHg.
    """

    taken_at: datetime
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_percent: int | None = None
    respiratory_rate_per_min: int | None = None
    moaas_level: int | None = None
    crisis_symptoms: frozenset[CrisisSymptom] | None = None

    def __post_init__(self) -> None:
        require_aware("The reading time", self.taken_at)
        for name in PLAUSIBLE_RANGES:
            if getattr(self, name) is not None:
                check_plausible(name, getattr(self, name))
        if (self.systolic_mmhg is None) != (self.diastolic_mmhg is None):
            raise ClinicalRuleError("A blood pressure needs both systolic and diastolic values")
        sys_mmhg, dia_mmhg = self.systolic_mmhg, self.diastolic_mmhg
        if sys_mmhg is not None and dia_mmhg is not None and sys_mmhg <= dia_mmhg:
            raise ClinicalRuleError(
                f"BP {sys_mmhg}/{dia_mmhg} mmHg: the systolic must be above the diastolic; "
                "check the entry"
            )
        if self.crisis_symptoms is not None:
            try:
                symptoms = frozenset(CrisisSymptom(s) for s in self.crisis_symptoms)
            except ValueError as exc:
                raise ClinicalRuleError(f"Unknown crisis symptom: {exc}") from exc
            object.__setattr__(self, "crisis_symptoms", symptoms)

    @property
    def bp_text(self) -> str:
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg} mmHg"
