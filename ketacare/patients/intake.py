"""The clinical intake's shape, validated in one place for the pages, the portal and the API.

Condition names match ``ketacare.clinical.intake.IntakeFacts`` so screening reads the intake
directly. Every condition is yes / no / unknown, and unknown is never read as no.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ketacare.clinical.common import Answer
from ketacare.clinical.intake import DrugClass

# (field name, question shown to staff and patients)
CONDITIONS: tuple[tuple[str, str], ...] = (
    ("hypertension", "High blood pressure (hypertension)"),
    ("hypertension_controlled", "If high blood pressure: is it controlled on treatment?"),
    ("cardiovascular_disease", "Heart or blood-vessel disease"),
    (
        "unstable_cardiovascular_disease",
        "Unstable heart disease (recent heart attack, unstable angina, heart failure)",
    ),
    ("aneurysmal_vascular_disease", "Aneurysm (aorta, brain or other arteries)"),
    ("arteriovenous_malformation", "Arteriovenous malformation (AVM)"),
    ("intracerebral_haemorrhage", "Bleeding in the brain (intracerebral haemorrhage), ever"),
    ("raised_intracranial_pressure", "Raised pressure inside the skull"),
    ("raised_intraocular_pressure", "Raised eye pressure (e.g. glaucoma)"),
    ("psychosis_history", "Psychosis, hallucinations or delusions, ever"),
    ("mania_history", "Mania or hypomania, ever"),
    ("substance_use_active", "Current drug use (including ketamine outside treatment)"),
    ("substance_use_history", "Past substance use disorder"),
    ("alcohol_use_disorder", "Alcohol use disorder, current"),
    ("pregnant", "Pregnant, or could be pregnant"),
    ("breastfeeding", "Breastfeeding"),
    ("liver_disease", "Liver disease"),
    ("severe_liver_disease", "Severe liver disease (e.g. cirrhosis)"),
    ("seizures", "Seizures or epilepsy"),
    ("urinary_symptoms", "Urinary symptoms (pain, urgency, frequency, blood)"),
    ("ketamine_hypersensitivity", "Allergy or bad reaction to ketamine or esketamine"),
)
CONDITION_NAMES = tuple(name for name, _ in CONDITIONS)
# Lists only staff fill in: patients are never asked for ICD-10 codes or lab values, and what
# staff entered there is carried into a version the patient submits.
STAFF_ONLY_LISTS = ("diagnoses", "labs")

ICD10_CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Diagnosis(_Strict):
    code: str = Field(title="ICD-10-CM code", min_length=3, max_length=8)
    description: str = Field(default="", max_length=200)

    @field_validator("code")
    @classmethod
    def _icd10(cls, value: str) -> str:
        value = value.upper()
        if not ICD10_CM.match(value):
            raise ValueError("not an ICD-10-CM code (e.g. F33.2)")
        return value


DRUG_CLASS_CHOICES: tuple[str, ...] = tuple(c.value for c in DrugClass)


class Medication(_Strict):
    name: str = Field(min_length=1, max_length=120)
    dose: str = Field(default="", max_length=80, title="Dose and frequency")
    # Chosen by a clinician when the drug is not in the interaction table (clinical.intake).
    drug_class: str | None = Field(default=None, title="Interaction class")

    @field_validator("drug_class")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in DRUG_CLASS_CHOICES:
            raise ValueError(f"choose one of {', '.join(DRUG_CLASS_CHOICES)}")
        return value


class Allergy(_Strict):
    substance: str = Field(min_length=1, max_length=120)
    reaction: str = Field(default="", max_length=200)


class AntidepressantTrial(_Strict):
    drug: str = Field(min_length=1, max_length=120)
    dose_mg: float | None = Field(default=None, gt=0, le=5000, title="Dose (mg/day)")
    weeks: float | None = Field(default=None, ge=0, le=520, title="Duration (weeks)")
    adequate: Answer = Answer.UNKNOWN
    outcome: Literal["no_response", "partial", "response", "intolerance", "unknown"] = "unknown"
    current_episode: Answer = Answer.UNKNOWN


class Psychotherapy(_Strict):
    kind: str = Field(min_length=1, max_length=120, title="Kind (e.g. CBT)")
    current: Answer = Answer.UNKNOWN


class PsychiatricHistory(_Strict):
    depressive_episodes: int | None = Field(default=None, ge=0, le=200)
    hospitalisations: int | None = Field(default=None, ge=0, le=200)
    suicide_attempts: int | None = Field(default=None, ge=0, le=200)
    most_recent_attempt: dt.date | None = None
    current_episode_started: dt.date | None = None
    notes: str = Field(default="", max_length=2000)


class Vitals(_Strict):
    systolic_mmhg: int | None = Field(default=None, ge=50, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=20, le=200)
    heart_rate_bpm: int | None = Field(default=None, ge=20, le=250)
    spo2_percent: int | None = Field(default=None, ge=50, le=100)
    measured_on: dt.date | None = None

    @model_validator(mode="after")
    def _pressure_order(self) -> Vitals:
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError("diastolic pressure must be lower than systolic pressure")
        return self


class Lab(_Strict):
    name: str = Field(min_length=1, max_length=80)
    value: str = Field(min_length=1, max_length=40)
    unit: str = Field(default="", max_length=20)
    taken_on: dt.date | None = None


def _conditions_model() -> type[BaseModel]:
    fields = {
        name: (Answer, Field(default=Answer.UNKNOWN, title=label)) for name, label in CONDITIONS
    }
    from pydantic import create_model

    return create_model("Conditions", __base__=_Strict, **fields)  # type: ignore[call-overload]


Conditions = _conditions_model()


class IntakeData(_Strict):
    """The clinical intake as entered; heights and weights in metric units."""

    height_cm: float | None = Field(default=None, ge=100, le=250)
    weight_kg: float | None = Field(default=None, ge=25, le=350)
    diagnoses: list[Diagnosis] = Field(default_factory=list, max_length=20)
    medications: list[Medication] = Field(default_factory=list, max_length=40)
    # An empty list is not "no medications": these confirm a list is complete.
    medications_complete: bool = Field(default=False, title="This is every medication taken now")
    no_known_allergies: bool = False
    allergies: list[Allergy] = Field(default_factory=list, max_length=30)
    psychiatric: PsychiatricHistory = Field(default_factory=PsychiatricHistory)
    antidepressant_trials: list[AntidepressantTrial] = Field(default_factory=list, max_length=30)
    antidepressant_history_complete: bool = Field(
        default=False, title="These are all the antidepressants tried"
    )
    pregnancy_possible: Answer = Field(default=Answer.UNKNOWN, title="Could be pregnant")
    psychotherapy: list[Psychotherapy] = Field(default_factory=list, max_length=20)
    conditions: Conditions = Field(default_factory=Conditions)  # type: ignore[valid-type]
    substance_use_details: str = Field(default="", max_length=2000)
    baseline_vitals: Vitals = Field(default_factory=Vitals)
    labs: list[Lab] = Field(default_factory=list, max_length=40)
    notes: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _allergies_consistent(self) -> IntakeData:
        if self.no_known_allergies and self.allergies:
            raise ValueError("'no known allergies' is ticked but allergies are listed")
        return self
