"""SPRAVATO REMS: the outpatient Patient Monitoring Form, its completeness and due dates, and the
enrolment gate before a first treatment.

UNVERIFIED (reference §3.5): any 2025 REMS modification — e.g. removal of the Patient Monitoring
Form or of the 2-hour minimum — could not be verified; the last confirmed REMS update is
12/31/2024 (S12). This module keeps the 2-hour minimum and the form until the clinic confirms
the current REMS on the FDA REMS page and spravatorems.com.

Outpatient settings only: inpatient settings submit no monitoring forms (source: S59).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from ketacare.clinical.common import Answer, ClinicalRuleError, Provenance, parse_answers
from ketacare.clinical.monitoring import VitalsReading
from ketacare.clinical.session_flow import SideEffectObservation
from ketacare.clinical.thresholds import check_plausible

MINIMUM_MONITORING_MINUTES = 120  # from the first device. source: S12, S15
SUBMISSION_WINDOW_DAYS = 7  # submit within 7 days of treatment. source: S12, S15

FORM_PROVENANCE = Provenance(
    ("S15", "S61", "S12"), note="form as of 2024; 2025 REMS changes unverified (§3.5)"
)
ENROLMENT_PROVENANCE = Provenance(("S15", "S58"), note="outpatients enrol before first treatment")


class DoseChoice(StrEnum):
    """The dose boxes on the form."""

    MG_56 = "56"
    MG_84 = "84"
    OTHER = "other"


CONCOMITANT_CLASSES = (  # source: S15 (opioids named in the newer version only)
    "benzodiazepines",
    "non_benzodiazepine_sedative_hypnotics",
    "psychostimulants",
    "maois",
    "opioids",
)


@dataclass(frozen=True)
class BloodPressure:
    systolic_mmhg: int
    diastolic_mmhg: int

    def __post_init__(self) -> None:
        check_plausible("systolic_mmhg", self.systolic_mmhg)
        check_plausible("diastolic_mmhg", self.diastolic_mmhg)
        if self.systolic_mmhg <= self.diastolic_mmhg:
            raise ClinicalRuleError("The systolic must be above the diastolic")

    @classmethod
    def from_reading(cls, reading: VitalsReading | None) -> BloodPressure | None:
        if reading is None or reading.systolic_mmhg is None or reading.diastolic_mmhg is None:
            return None
        return cls(reading.systolic_mmhg, reading.diastolic_mmhg)


@dataclass(frozen=True)
class PatientMonitoringForm:
    """One outpatient session's Patient Monitoring Form (source: S15, S61). Every field may be
    missing while the form is drafted; ``missing_fields`` lists what is still needed.

    ``submitted_on`` is the clinic's tracking, not a form field.
    """

    # Patient
    patient_name: str | None = None
    patient_date_of_birth: date | None = None
    patient_sex: str | None = None
    first_treatment: Answer = Answer.UNKNOWN
    enrolled: Answer = Answer.UNKNOWN  # asked only when first_treatment is YES
    # Concomitant medicines that may cause sedation, respiratory depression or BP change
    concomitant_benzodiazepines: Answer = Answer.UNKNOWN
    concomitant_non_benzodiazepine_sedative_hypnotics: Answer = Answer.UNKNOWN
    concomitant_psychostimulants: Answer = Answer.UNKNOWN
    concomitant_maois: Answer = Answer.UNKNOWN
    concomitant_opioids: Answer = Answer.UNKNOWN
    # Monitoring healthcare professional and setting
    monitoring_hcp_name: str | None = None
    monitoring_hcp_phone: str | None = None
    monitoring_hcp_email: str | None = None
    setting_name: str | None = None
    setting_address: str | None = None
    # Treatment
    treatment_date: date | None = None
    dose: DoseChoice | None = None
    dose_other_mg: int | None = None  # asked only when dose is OTHER
    lot_number: str | None = None
    total_monitoring_minutes: int | None = None  # first device to end of monitoring
    ready_to_leave_minutes: int | None = None  # REMS evaluation question, minutes from start
    vitals_acceptable_before_administration: Answer = Answer.UNKNOWN
    vitals_acceptable_before_completion: Answer = Answer.UNKNOWN
    bp_pre_dose: BloodPressure | None = None
    bp_40_min_post_dose: BloodPressure | None = None
    bp_before_completion: BloodPressure | None = None
    # Outcomes; each "resolved" is asked only when the event occurred
    sedation_occurred: Answer = Answer.UNKNOWN
    sedation_resolved: Answer = Answer.UNKNOWN
    dissociation_occurred: Answer = Answer.UNKNOWN
    dissociation_resolved: Answer = Answer.UNKNOWN
    respiratory_depression_occurred: Answer = Answer.UNKNOWN
    respiratory_depression_resolved: Answer = Answer.UNKNOWN
    adverse_events_occurred: Answer = Answer.UNKNOWN
    adverse_events_description: str | None = None  # asked only when adverse events occurred
    # Tracking
    submitted_on: date | None = None

    def __post_init__(self) -> None:
        parse_answers(self)
        if self.dose is not None:
            object.__setattr__(self, "dose", DoseChoice(self.dose))
        for name in ("dose_other_mg", "total_monitoring_minutes", "ready_to_leave_minutes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ClinicalRuleError(f"{name} must be a whole number, got {value!r}")
            if value is not None and value < 0:
                raise ClinicalRuleError(f"{name} cannot be negative")


def _blank(value: object) -> bool:
    return (
        value is None or value is Answer.UNKNOWN or (isinstance(value, str) and not value.strip())
    )


def missing_fields(form: PatientMonitoringForm) -> list[str]:
    """Field names still to fill, in form order. UNKNOWN answers and blank text count as missing.

    Conditional questions count only when asked: ``enrolled`` for a first treatment,
    ``dose_other_mg`` for an "other" dose, each ``*_resolved`` when the event occurred, and the
    adverse-event description when adverse events occurred.
    """
    conditional = {
        "enrolled": form.first_treatment is Answer.YES,
        "dose_other_mg": form.dose is DoseChoice.OTHER,
        "sedation_resolved": form.sedation_occurred is Answer.YES,
        "dissociation_resolved": form.dissociation_occurred is Answer.YES,
        "respiratory_depression_resolved": form.respiratory_depression_occurred is Answer.YES,
        "adverse_events_description": form.adverse_events_occurred is Answer.YES,
        "submitted_on": False,
    }
    return [
        f.name
        for f in fields(form)
        if conditional.get(f.name, True) and _blank(getattr(form, f.name))
    ]


def form_problems(form: PatientMonitoringForm) -> list[str]:
    """Rule violations in what is filled in (missing fields are ``missing_fields``' job)."""
    problems: list[str] = []
    total = form.total_monitoring_minutes
    if total is not None and total < MINIMUM_MONITORING_MINUTES:  # source: S12
        problems.append(
            f"Total monitoring {total} min is below the REMS minimum of "
            f"{MINIMUM_MONITORING_MINUTES} min from the first device"
        )
    ready = form.ready_to_leave_minutes
    if ready is not None and total is not None and ready > total:
        problems.append(
            f"Ready to leave at {ready} min is after the end of monitoring at {total} min"
        )
    if form.first_treatment is Answer.YES and form.enrolled is Answer.NO:  # source: S15, S58
        problems.append("First treatment given to a patient not enrolled in the REMS")
    if form.submitted_on and form.treatment_date and form.submitted_on < form.treatment_date:
        problems.append("Submitted before the treatment date")
    return problems


def ready_to_submit(form: PatientMonitoringForm) -> bool:
    return not missing_fields(form) and not form_problems(form)


def submission_due(form: PatientMonitoringForm) -> date:
    """Last day to submit: treatment date + 7 days, inclusive (source: S12, S15)."""
    if form.treatment_date is None:
        raise ClinicalRuleError("The form has no treatment date, so no due date")
    return form.treatment_date + timedelta(days=SUBMISSION_WINDOW_DAYS)


def forms_due_within(
    forms: Iterable[PatientMonitoringForm], today: date, days: int = 7
) -> list[PatientMonitoringForm]:
    """Unsubmitted forms due on or before ``today + days``, overdue ones included, earliest first.

    A form without a treatment date cannot be dated: it is listed first, never dropped.
    """
    if days < 0:
        raise ClinicalRuleError("days cannot be negative")
    horizon = today + timedelta(days=days)
    open_forms = [f for f in forms if f.submitted_on is None]
    undated = [f for f in open_forms if f.treatment_date is None]
    dated = [f for f in open_forms if f.treatment_date is not None]
    due = sorted((f for f in dated if submission_due(f) <= horizon), key=submission_due)
    return undated + due


@dataclass(frozen=True)
class EnrolmentDecision:
    allowed: bool
    reason: str
    provenance: Provenance = ENROLMENT_PROVENANCE


def enrolment_gate(first_treatment: bool, enrolled: Answer | bool | None) -> EnrolmentDecision:
    """A first outpatient treatment needs REMS patient enrolment (source: S15, S58).

    Unknown enrolment blocks, like a NO. Later treatments are not re-checked here: enrolment was
    confirmed before the first.
    """
    if not isinstance(first_treatment, bool):
        raise ClinicalRuleError("first_treatment must be true or false")
    answer = Answer.parse(enrolled)
    if not first_treatment:
        return EnrolmentDecision(True, "Not a first treatment")
    if answer is Answer.YES:
        return EnrolmentDecision(True, "Enrolled in the SPRAVATO REMS before the first treatment")
    if answer is Answer.NO:
        return EnrolmentDecision(
            False,
            "Blocked: the patient must be enrolled in the SPRAVATO REMS before a first "
            "treatment (patient and prescriber sign the enrolment form)",
        )
    return EnrolmentDecision(False, "Blocked: REMS enrolment not documented for a first treatment")


def _minutes_between(start: datetime, end: datetime | None, name: str) -> int | None:
    if end is None:
        return None
    if end.tzinfo is None or end.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time")
    if end < start:
        raise ClinicalRuleError(f"{name} is before the first device")
    return int((end - start) // timedelta(minutes=1))  # whole minutes, rounded down


def form_from_session(
    *,
    clinic_zone: tzinfo,
    first_device_at: datetime,
    monitoring_ended_at: datetime | None,
    ready_to_leave_at: datetime | None = None,
    dose_mg: int | None,
    lot_number: str | None,
    first_treatment: bool,
    enrolled: Answer | bool | None = None,
    concomitant: Mapping[str, Answer | bool | None] | None = None,
    patient_name: str | None = None,
    patient_date_of_birth: date | None = None,
    patient_sex: str | None = None,
    monitoring_hcp_name: str | None = None,
    monitoring_hcp_phone: str | None = None,
    monitoring_hcp_email: str | None = None,
    setting_name: str | None = None,
    setting_address: str | None = None,
    pre_dose: VitalsReading | None = None,
    post_dose_40_min: VitalsReading | None = None,
    before_completion: VitalsReading | None = None,
    vitals_acceptable_before_administration: Answer | bool | None = None,
    vitals_acceptable_before_completion: Answer | bool | None = None,
    sedation_occurred: Answer | bool | None = None,
    sedation_resolved: Answer | bool | None = None,
    dissociation_occurred: Answer | bool | None = None,
    dissociation_resolved: Answer | bool | None = None,
    respiratory_depression_occurred: Answer | bool | None = None,
    respiratory_depression_resolved: Answer | bool | None = None,
    side_effects: Sequence[SideEffectObservation] | None = None,
) -> PatientMonitoringForm:
    """A form drafted from the session record. Minutes are whole minutes from the first device,
    rounded down (119.9 min is 119: never rounded up to the minimum). The treatment date is the
    first device's date in ``clinic_zone``. Adverse events come from ``side_effects`` when given
    (none recorded -> NO); without it the question stays open.
    """
    if first_device_at.tzinfo is None or first_device_at.utcoffset() is None:
        raise ClinicalRuleError("The first-device time must be timezone-aware")
    concomitant = dict(concomitant or {})
    unknown = set(concomitant) - set(CONCOMITANT_CLASSES)
    if unknown:
        raise ClinicalRuleError(f"Unknown concomitant classes: {', '.join(sorted(unknown))}")

    def on(drug_class: str) -> Answer:
        return Answer.parse(concomitant.get(drug_class))

    if dose_mg is None:
        dose, other = None, None
    elif dose_mg in (56, 84):
        dose, other = DoseChoice(str(dose_mg)), None
    else:
        dose, other = DoseChoice.OTHER, dose_mg
    if side_effects is None:
        ae_occurred: Answer | bool | None = None
        ae_text = None
    else:
        ae_occurred = bool(side_effects)
        ae_text = (
            "; ".join(
                f"{o.effect.value.replace('_', ' ')} ({o.severity.value})"
                + (", serious" if o.serious_adverse_event else "")
                + (f": {o.note}" if o.note else "")
                for o in side_effects
            )
            or None
        )
    return PatientMonitoringForm(
        patient_name=patient_name,
        patient_date_of_birth=patient_date_of_birth,
        patient_sex=patient_sex,
        first_treatment=Answer.parse(first_treatment),
        enrolled=Answer.parse(enrolled),
        concomitant_benzodiazepines=on("benzodiazepines"),
        concomitant_non_benzodiazepine_sedative_hypnotics=on(
            "non_benzodiazepine_sedative_hypnotics"
        ),
        concomitant_psychostimulants=on("psychostimulants"),
        concomitant_maois=on("maois"),
        concomitant_opioids=on("opioids"),
        monitoring_hcp_name=monitoring_hcp_name,
        monitoring_hcp_phone=monitoring_hcp_phone,
        monitoring_hcp_email=monitoring_hcp_email,
        setting_name=setting_name,
        setting_address=setting_address,
        treatment_date=first_device_at.astimezone(clinic_zone).date(),
        dose=dose,
        dose_other_mg=other,
        lot_number=lot_number,
        total_monitoring_minutes=_minutes_between(
            first_device_at, monitoring_ended_at, "The end of monitoring"
        ),
        ready_to_leave_minutes=_minutes_between(
            first_device_at, ready_to_leave_at, "The ready-to-leave time"
        ),
        vitals_acceptable_before_administration=Answer.parse(
            vitals_acceptable_before_administration
        ),
        vitals_acceptable_before_completion=Answer.parse(vitals_acceptable_before_completion),
        bp_pre_dose=BloodPressure.from_reading(pre_dose),
        bp_40_min_post_dose=BloodPressure.from_reading(post_dose_40_min),
        bp_before_completion=BloodPressure.from_reading(before_completion),
        sedation_occurred=Answer.parse(sedation_occurred),
        sedation_resolved=Answer.parse(sedation_resolved),
        dissociation_occurred=Answer.parse(dissociation_occurred),
        dissociation_resolved=Answer.parse(dissociation_resolved),
        respiratory_depression_occurred=Answer.parse(respiratory_depression_occurred),
        respiratory_depression_resolved=Answer.parse(respiratory_depression_resolved),
        adverse_events_occurred=Answer.parse(ae_occurred),
        adverse_events_description=ae_text,
    )
