"""The intake facts that eligibility screening reads, and the drug-name -> interaction-class table.

Pure data: frozen dataclasses, validated on construction. Every condition is an ``Answer``
(yes / no / unknown) defaulting to unknown, and unknown is never read as no. The condition names
match ``ketacare.patients.intake.CONDITIONS`` so the web form maps onto them one to one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ketacare.clinical.common import Answer, ClinicalRuleError, parse_answers

Sex = Literal["female", "male"]


class Indication(StrEnum):
    """What the patient is being screened for."""

    DEPRESSION = "depression"  # major depression; treatment-resistant when the TRD rule is met
    BIPOLAR_DEPRESSION = "bipolar_depression"
    PTSD = "ptsd"
    OCD = "ocd"
    ANXIETY = "anxiety"
    CHRONIC_PAIN_CRPS = "chronic_pain_crps"
    SUICIDAL_IDEATION = "suicidal_ideation"  # MDD with acute suicidal ideation or behaviour


class TrialOutcome(StrEnum):
    NO_RESPONSE = "no_response"
    PARTIAL = "partial"
    RESPONSE = "response"
    INTOLERANCE = "intolerance"
    UNKNOWN = "unknown"


class DrugClass(StrEnum):
    """Interaction classes of reference §6.3, plus the few classes screening needs to recognise."""

    BENZODIAZEPINE = "benzodiazepine"
    Z_DRUG = "z_drug"  # non-benzodiazepine sedative-hypnotics
    LAMOTRIGINE = "lamotrigine"
    MAOI = "maoi"
    PSYCHOSTIMULANT = "psychostimulant"
    OPIOID = "opioid"
    CNS_DEPRESSANT = "cns_depressant"  # other CNS depressants
    METHYLXANTHINE = "methylxanthine"  # theophylline / aminophylline
    SYMPATHOMIMETIC = "sympathomimetic"  # includes vasopressin (same row in §6.3)
    CYP_INHIBITOR = "cyp_inhibitor"  # strong CYP3A4 or CYP2B6 inhibitors
    CYP_INDUCER = "cyp_inducer"  # CYP3A4 or CYP2B6 inducers
    ANTIPSYCHOTIC = "antipsychotic"
    NALTREXONE = "naltrexone"
    LITHIUM = "lithium"  # no significant interaction reported (S105): no finding
    ANTIDEPRESSANT = "antidepressant"  # oral antidepressant; can generally be continued (S104)
    OTHER = "other"  # confirmed by a clinician to be in none of the classes above


# Project list, not from the reference: §6.3 names classes only (and a few drugs, marked below).
# Generic names, matched case-insensitively as whole words. Unverified: a pharmacist should
# review it. A medication not found here needs a drug_class chosen by a clinician.
# fmt: off
CLASS_MEMBERS: dict[DrugClass, tuple[str, ...]] = {
    DrugClass.BENZODIAZEPINE: (
        "alprazolam", "chlordiazepoxide", "clobazam", "clonazepam", "clorazepate", "diazepam",
        "estazolam", "flurazepam", "lorazepam", "midazolam", "oxazepam", "temazepam",
        "triazolam",
    ),
    DrugClass.Z_DRUG: ("zolpidem", "zaleplon", "zopiclone", "eszopiclone"),
    DrugClass.LAMOTRIGINE: ("lamotrigine",),
    DrugClass.MAOI: (
        "phenelzine", "tranylcypromine", "isocarboxazid", "moclobemide", "selegiline",
        "rasagiline",
    ),
    DrugClass.PSYCHOSTIMULANT: (
        "amphetamine", "methylphenidate", "modafinil", "armodafinil",  # named in §6.3 (S106)
        "dextroamphetamine", "lisdexamfetamine", "methamphetamine", "dexmethylphenidate",
    ),
    DrugClass.OPIOID: (
        "buprenorphine", "codeine", "fentanyl", "hydrocodone", "hydromorphone", "methadone",
        "morphine", "oxycodone", "oxymorphone", "tapentadol", "tramadol",
    ),
    DrugClass.CNS_DEPRESSANT: (
        "baclofen", "butalbital", "carisoprodol", "cyclobenzaprine", "diphenhydramine",
        "doxylamine", "gabapentin", "hydroxyzine", "phenobarbital", "pregabalin",
        "promethazine", "tizanidine",
    ),
    DrugClass.METHYLXANTHINE: ("theophylline", "aminophylline"),  # named in §6.3 (S107)
    DrugClass.SYMPATHOMIMETIC: (
        "ephedrine", "epinephrine", "midodrine", "norepinephrine", "phenylephrine",
        "pseudoephedrine",
        "vasopressin",  # named in §6.3 (S107)
    ),
    DrugClass.CYP_INHIBITOR: (
        "clarithromycin", "cobicistat", "itraconazole", "ketoconazole", "posaconazole",
        "ritonavir", "voriconazole",  # strong CYP3A4
        "clopidogrel", "ticlopidine",  # CYP2B6
    ),
    DrugClass.CYP_INDUCER: (
        "carbamazepine", "phenytoin", "phenobarbital", "rifampin", "rifampicin",
        "st john's wort", "st johns wort", "hypericum",
    ),
    DrugClass.ANTIPSYCHOTIC: (
        "clozapine", "risperidone", "haloperidol",  # named in §6.3 (S105)
        "aripiprazole", "brexpiprazole", "cariprazine", "lurasidone", "olanzapine",
        "quetiapine", "ziprasidone",
    ),
    DrugClass.NALTREXONE: ("naltrexone",),
    DrugClass.LITHIUM: ("lithium",),
    DrugClass.ANTIDEPRESSANT: (
        "citalopram", "escitalopram", "fluoxetine", "fluvoxamine", "paroxetine", "sertraline",
        "vilazodone", "vortioxetine", "venlafaxine", "desvenlafaxine", "duloxetine",
        "levomilnacipran", "bupropion", "mirtazapine", "trazodone", "nefazodone",
        "amitriptyline", "nortriptyline", "imipramine", "desipramine", "clomipramine",
        "doxepin", "protriptyline", "trimipramine",
        "phenelzine", "tranylcypromine", "isocarboxazid", "moclobemide",  # also MAOIs
    ),
}
# fmt: on

# Drug name -> its classes (a name may sit in several, e.g. phenobarbital).
DRUG_CLASSES: dict[str, frozenset[DrugClass]] = {}
for _class, _names in CLASS_MEMBERS.items():
    for _name in _names:
        DRUG_CLASSES[_name] = DRUG_CLASSES.get(_name, frozenset()) | {_class}

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def classify_drug(name: str) -> frozenset[DrugClass]:
    """Interaction classes of a drug by generic name; empty when the name is not in the table.

    Case-insensitive, on whole words, so "Lorazepam 1 mg" and "dextroamphetamine-amphetamine"
    are recognised but "methadone" does not match inside another word.
    """
    words = _WORD.findall(name.lower())
    found: set[DrugClass] = set()
    for key, classes in DRUG_CLASSES.items():
        key_words = _WORD.findall(key)
        width = len(key_words)
        if any(words[i : i + width] == key_words for i in range(len(words) - width + 1)):
            found |= classes
    return frozenset(found)


@dataclass(frozen=True, kw_only=True)
class Medication:
    """A current medication. ``drug_class`` is a clinician's choice that adds to the table's."""

    name: str
    dose_text: str = ""
    drug_class: DrugClass | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ClinicalRuleError("A medication needs a name")
        if self.drug_class is not None:
            object.__setattr__(self, "drug_class", DrugClass(self.drug_class))

    @property
    def classes(self) -> frozenset[DrugClass]:
        """The table's classes for this name, plus the clinician's ``drug_class`` if given."""
        extra = {self.drug_class} if self.drug_class is not None else set()
        return classify_drug(self.name) | extra


@dataclass(frozen=True, kw_only=True)
class AntidepressantTrial:
    """One past antidepressant trial. Adequacy (dose and duration) is the clinician's judgement:
    the reference gives no adequacy criteria, so ``dose_mg`` and ``weeks`` are shown, not scored."""

    drug: str
    dose_mg: float | None = None
    weeks: float | None = None
    adequate: Answer = Answer.UNKNOWN
    outcome: TrialOutcome = TrialOutcome.UNKNOWN
    current_episode: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        if not self.drug.strip():
            raise ClinicalRuleError("An antidepressant trial needs the drug's name")
        for name in ("dose_mg", "weeks"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ClinicalRuleError(f"Antidepressant trial of {self.drug}: {name} is negative")
        object.__setattr__(self, "adequate", Answer.parse(self.adequate))
        object.__setattr__(self, "current_episode", Answer.parse(self.current_episode))
        object.__setattr__(self, "outcome", TrialOutcome(self.outcome))

    @property
    def counts_as_failed(self) -> bool:
        """Adequate, in the current episode, and no or only partial response."""
        return (
            self.adequate is Answer.YES
            and self.current_episode is Answer.YES
            and self.outcome in (TrialOutcome.NO_RESPONSE, TrialOutcome.PARTIAL)
        )

    @property
    def ruled_out(self) -> bool:
        """Known not to count: inadequate, an earlier episode, a response, or intolerance."""
        return (
            self.adequate is Answer.NO
            or self.current_episode is Answer.NO
            or self.outcome in (TrialOutcome.RESPONSE, TrialOutcome.INTOLERANCE)
        )


# The question to ask for each yes/no/unknown fact, named in MISSING findings.
QUESTIONS: dict[str, str] = {
    "hypertension": "Does the patient have high blood pressure (hypertension)?",
    "hypertension_controlled": "Is the patient's hypertension controlled on treatment?",
    "cardiovascular_disease": "Does the patient have heart or blood-vessel disease?",
    "unstable_cardiovascular_disease": "Is the patient's cardiovascular disease unstable?",
    "aneurysmal_vascular_disease": "Does the patient have an aneurysm (aorta, brain, other)?",
    "arteriovenous_malformation": "Does the patient have an arteriovenous malformation (AVM)?",
    "intracerebral_haemorrhage": "Has the patient ever had bleeding in the brain?",
    "raised_intracranial_pressure": "Does the patient have raised intracranial pressure?",
    "raised_intraocular_pressure": "Does the patient have raised eye pressure (e.g. glaucoma)?",
    "psychosis_history": "Has the patient ever had psychosis?",
    "mania_history": "Has the patient ever had mania or hypomania?",
    "substance_use_active": "Does the patient currently use drugs (incl. non-prescribed ketamine)?",
    "substance_use_history": "Has the patient had a substance use disorder in the past?",
    "alcohol_use_disorder": "Does the patient currently have an alcohol use disorder?",
    "pregnancy_possible": "Could the patient be or become pregnant?",
    "pregnant": "Is the patient pregnant, or could she be?",
    "breastfeeding": "Is the patient breastfeeding?",
    "liver_disease": "Does the patient have liver disease?",
    "severe_liver_disease": "Is the patient's liver disease severe (e.g. cirrhosis)?",
    "seizures": "Has the patient had seizures or epilepsy?",
    "urinary_symptoms": "Does the patient have urinary symptoms (pain, urgency, frequency, blood)?",
    "ketamine_hypersensitivity": "Is the patient allergic or hypersensitive to ketamine?",
    "medications_complete": "Is the current medication list complete and reviewed?",
    "antidepressant_history_complete": "Is the antidepressant treatment history complete?",
}

_ICD10_CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def normalise_icd10(code: str) -> str:
    """``f331`` -> ``F33.1``; refuses anything that is not shaped like an ICD-10-CM code."""
    text = code.strip().upper()
    if "." not in text and len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    if not _ICD10_CM.match(text):
        raise ClinicalRuleError(f"{code!r} is not an ICD-10-CM code (e.g. F33.2)")
    return text


@dataclass(frozen=True, kw_only=True)
class IntakeFacts:
    """Everything eligibility screening reads about one patient, as recorded at intake.

    Answers accept ``Answer``, bool, None or "yes"/"no"/"unknown". Blood pressure is the latest
    seated reading the caller chose (the clinical core has no clock to judge its age).
    """

    indication: Indication
    age_years: int | None = None
    sex: Sex | None = None
    diagnoses: tuple[str, ...] = ()  # ICD-10-CM codes
    current_medications: tuple[Medication, ...] = ()
    medications_complete: Answer = Answer.UNKNOWN  # an empty list is not "no medications"
    antidepressant_trials: tuple[AntidepressantTrial, ...] = ()
    antidepressant_history_complete: Answer = Answer.UNKNOWN
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None  # recorded for the chart; no screening rule reads it

    pregnancy_possible: Answer = Answer.UNKNOWN  # NO: pregnancy need not be asked
    hypertension: Answer = Answer.UNKNOWN
    hypertension_controlled: Answer = Answer.UNKNOWN
    cardiovascular_disease: Answer = Answer.UNKNOWN
    unstable_cardiovascular_disease: Answer = Answer.UNKNOWN
    aneurysmal_vascular_disease: Answer = Answer.UNKNOWN
    arteriovenous_malformation: Answer = Answer.UNKNOWN
    intracerebral_haemorrhage: Answer = Answer.UNKNOWN
    raised_intracranial_pressure: Answer = Answer.UNKNOWN
    raised_intraocular_pressure: Answer = Answer.UNKNOWN
    psychosis_history: Answer = Answer.UNKNOWN
    mania_history: Answer = Answer.UNKNOWN
    substance_use_active: Answer = Answer.UNKNOWN
    substance_use_history: Answer = Answer.UNKNOWN
    alcohol_use_disorder: Answer = Answer.UNKNOWN
    pregnant: Answer = Answer.UNKNOWN
    breastfeeding: Answer = Answer.UNKNOWN
    liver_disease: Answer = Answer.UNKNOWN
    severe_liver_disease: Answer = Answer.UNKNOWN
    seizures: Answer = Answer.UNKNOWN
    urinary_symptoms: Answer = Answer.UNKNOWN
    ketamine_hypersensitivity: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        parse_answers(self)
        object.__setattr__(self, "indication", Indication(self.indication))
        if self.sex not in (None, "female", "male"):
            raise ClinicalRuleError(f"sex must be 'female', 'male' or unknown, got {self.sex!r}")
        if self.age_years is not None and self.age_years < 0:
            raise ClinicalRuleError(f"Age {self.age_years} years is negative")
        object.__setattr__(self, "diagnoses", tuple(normalise_icd10(c) for c in self.diagnoses))
        object.__setattr__(self, "current_medications", tuple(self.current_medications))
        object.__setattr__(self, "antidepressant_trials", tuple(self.antidepressant_trials))
        self._check_vitals()

    def _check_vitals(self) -> None:
        systolic, diastolic = self.systolic_mmhg, self.diastolic_mmhg
        if (systolic is None) != (diastolic is None):
            raise ClinicalRuleError("A blood pressure needs both systolic and diastolic values")
        for name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ClinicalRuleError(f"{name} must be positive, got {value}")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            raise ClinicalRuleError(
                f"Blood pressure {systolic}/{diastolic} mmHg: diastolic must be lower than "
                "systolic (were the values swapped?)"
            )

    @property
    def blood_pressure_text(self) -> str:
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg} mmHg"


# Yes/no/unknown facts where YES adds risk; and those where YES is the reassuring answer.
RISK_CONDITIONS: tuple[str, ...] = (
    "hypertension",
    "cardiovascular_disease",
    "unstable_cardiovascular_disease",
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_haemorrhage",
    "raised_intracranial_pressure",
    "raised_intraocular_pressure",
    "psychosis_history",
    "mania_history",
    "substance_use_active",
    "substance_use_history",
    "alcohol_use_disorder",
    "pregnancy_possible",
    "pregnant",
    "breastfeeding",
    "liver_disease",
    "severe_liver_disease",
    "seizures",
    "urinary_symptoms",
    "ketamine_hypersensitivity",
)
REASSURING_ANSWERS: tuple[str, ...] = (
    "hypertension_controlled",
    "medications_complete",
    "antidepressant_history_complete",
)
