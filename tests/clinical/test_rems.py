"""SPRAVATO REMS Patient Monitoring Form: completeness, the 2-h minimum, due dates, enrolment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.clinical import rems
from ketacare.clinical.common import Answer, ClinicalRuleError
from ketacare.clinical.monitoring import VitalsReading
from ketacare.clinical.rems import (
    BloodPressure,
    DoseChoice,
    PatientMonitoringForm,
    enrolment_gate,
    form_from_session,
    form_problems,
    forms_due_within,
    missing_fields,
    ready_to_submit,
    submission_due,
)
from ketacare.clinical.session_flow import SideEffectObservation

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DEVICE = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)  # 09:00 in New York


def after(minutes: float) -> datetime:
    return FIRST_DEVICE + timedelta(minutes=minutes)


def bp(minutes: float, sys_mmhg: int, dia_mmhg: int) -> VitalsReading:
    return VitalsReading(taken_at=after(minutes), systolic_mmhg=sys_mmhg, diastolic_mmhg=dia_mmhg)


def session_form(**changes: object) -> PatientMonitoringForm:
    kwargs: dict[str, object] = {
        "clinic_zone": NEW_YORK,
        "first_device_at": FIRST_DEVICE,
        "monitoring_ended_at": after(125),
        "ready_to_leave_at": after(90),
        "dose_mg": 56,
        "lot_number": "LOT123",
        "first_treatment": False,
        "concomitant": dict.fromkeys(rems.CONCOMITANT_CLASSES, False),
        "patient_name": "Alex Doe",
        "patient_date_of_birth": date(1980, 5, 17),
        "patient_sex": "female",
        "monitoring_hcp_name": "R. Nurse",
        "monitoring_hcp_phone": "555-0100",
        "monitoring_hcp_email": "nurse@example.org",
        "setting_name": "Ketacare Clinic",
        "setting_address": "1 Main St",
        "pre_dose": bp(-5, 128, 82),
        "post_dose_40_min": bp(40, 146, 90),
        "before_completion": bp(120, 130, 84),
        "vitals_acceptable_before_administration": True,
        "vitals_acceptable_before_completion": True,
        "sedation_occurred": True,
        "sedation_resolved": True,
        "dissociation_occurred": True,
        "dissociation_resolved": True,
        "respiratory_depression_occurred": False,
        "side_effects": [],
    }
    kwargs.update(changes)
    return form_from_session(**kwargs)  # type: ignore[arg-type]


def test_module_flags_the_unverified_2025_rems_changes():
    assert rems.__doc__ is not None
    assert "UNVERIFIED" in rems.__doc__ and "§3.5" in rems.__doc__
    assert rems.FORM_PROVENANCE.note.endswith("2025 REMS changes unverified (§3.5)")


# --- completeness ----------------------------------------------------------------------------


def test_complete_session_form_is_ready_to_submit():
    form = session_form()
    assert missing_fields(form) == []
    assert form_problems(form) == []
    assert ready_to_submit(form)


def test_form_from_session_fills_what_it_computes():
    form = session_form()
    assert form.treatment_date == date(2025, 3, 4)
    assert form.total_monitoring_minutes == 125
    assert form.ready_to_leave_minutes == 90
    assert form.dose is DoseChoice.MG_56 and form.dose_other_mg is None
    assert form.bp_40_min_post_dose == BloodPressure(146, 90)
    assert form.adverse_events_occurred is Answer.NO
    assert form.concomitant_opioids is Answer.NO


def test_empty_form_lists_every_unconditional_field():
    missing = missing_fields(PatientMonitoringForm())
    assert "enrolled" not in missing  # asked only for a first treatment
    assert "dose_other_mg" not in missing
    assert "sedation_resolved" not in missing
    assert "submitted_on" not in missing
    assert missing[:4] == [
        "patient_name",
        "patient_date_of_birth",
        "patient_sex",
        "first_treatment",
    ]
    assert "total_monitoring_minutes" in missing and "bp_40_min_post_dose" in missing


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"first_treatment": Answer.YES}, ["enrolled"]),
        ({"dose": DoseChoice.OTHER}, ["dose_other_mg"]),
        ({"sedation_resolved": Answer.UNKNOWN}, ["sedation_resolved"]),
        ({"respiratory_depression_occurred": Answer.YES}, ["respiratory_depression_resolved"]),
        ({"adverse_events_occurred": Answer.YES}, ["adverse_events_description"]),
        ({"lot_number": "  "}, ["lot_number"]),
        ({"bp_before_completion": None}, ["bp_before_completion"]),
        ({"concomitant_maois": Answer.UNKNOWN}, ["concomitant_maois"]),
    ],
)
def test_conditional_and_blank_fields_are_missing(changes: dict, missing: list[str]):
    form = replace(session_form(), **changes)
    assert missing_fields(form) == missing
    assert not ready_to_submit(form)


def test_unknown_concomitant_is_missing_when_not_given():
    form = session_form(concomitant={"benzodiazepines": True})
    assert missing_fields(form) == [
        "concomitant_non_benzodiazepine_sedative_hypnotics",
        "concomitant_psychostimulants",
        "concomitant_maois",
        "concomitant_opioids",
    ]


def test_unknown_concomitant_class_is_refused():
    with pytest.raises(ClinicalRuleError, match="Unknown concomitant"):
        session_form(concomitant={"antihistamines": True})


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("ended", "ok"), [(119.99, False), (120, True), (121, True)])
def test_total_monitoring_must_be_at_least_120_minutes(ended: float, ok: bool):
    form = session_form(monitoring_ended_at=after(ended), ready_to_leave_at=after(60))
    problems = form_problems(form)
    if ok:
        assert problems == []
    else:
        assert form.total_monitoring_minutes == 119  # rounded down, never up to the minimum
        assert problems == [
            "Total monitoring 119 min is below the REMS minimum of 120 min from the first device"
        ]


def test_ready_to_leave_after_the_end_of_monitoring_is_inconsistent():
    form = replace(session_form(), ready_to_leave_minutes=130)
    assert form_problems(form) == [
        "Ready to leave at 130 min is after the end of monitoring at 125 min"
    ]


def test_first_treatment_without_enrolment_is_a_problem():
    form = session_form(first_treatment=True, enrolled=False)
    assert "First treatment given to a patient not enrolled in the REMS" in form_problems(form)


def test_submitted_before_treatment_is_a_problem():
    form = replace(session_form(), submitted_on=date(2025, 3, 1))
    assert form_problems(form) == ["Submitted before the treatment date"]


@pytest.mark.parametrize(
    ("dose_mg", "choice", "other"),
    [(56, DoseChoice.MG_56, None), (84, DoseChoice.MG_84, None), (28, DoseChoice.OTHER, 28)],
)
def test_dose_maps_to_the_form_boxes(dose_mg: int, choice: DoseChoice, other):
    form = session_form(dose_mg=dose_mg)
    assert (form.dose, form.dose_other_mg) == (choice, other)


def test_treatment_date_is_the_clinic_date():
    late = datetime(2025, 3, 5, 2, 30, tzinfo=UTC)  # 21:30 on 4 March in New York
    form = session_form(
        first_device_at=late,
        monitoring_ended_at=late + timedelta(minutes=125),
        ready_to_leave_at=late + timedelta(minutes=90),
    )
    assert form.treatment_date == date(2025, 3, 4)


def test_side_effects_become_adverse_events():
    effects = [
        SideEffectObservation("nausea", "mild", after(20)),
        SideEffectObservation("vomiting", "moderate", after(30), serious_adverse_event=True),
    ]
    form = session_form(side_effects=effects)
    assert form.adverse_events_occurred is Answer.YES
    assert form.adverse_events_description == "nausea (mild); vomiting (moderate), serious"


def test_end_before_first_device_is_refused():
    with pytest.raises(ClinicalRuleError, match="before the first device"):
        session_form(monitoring_ended_at=after(-1))


def test_naive_first_device_is_refused():
    with pytest.raises(ClinicalRuleError, match="timezone-aware"):
        session_form(first_device_at=datetime(2025, 3, 4, 9, 0))


@pytest.mark.parametrize(
    "changes",
    [{"total_monitoring_minutes": -5}, {"dose_other_mg": 28.5}, {"ready_to_leave_minutes": True}],
)
def test_bad_numbers_are_refused(changes: dict):
    with pytest.raises(ClinicalRuleError):
        PatientMonitoringForm(**changes)


def test_implausible_bp_is_refused():
    with pytest.raises(ClinicalRuleError):
        BloodPressure(80, 120)


# --- due dates -------------------------------------------------------------------------------


def form_on(day: date, submitted: date | None = None) -> PatientMonitoringForm:
    return PatientMonitoringForm(treatment_date=day, submitted_on=submitted)


def test_due_seven_days_after_treatment():
    assert submission_due(form_on(date(2025, 3, 4))) == date(2025, 3, 11)


def test_no_treatment_date_no_due_date():
    with pytest.raises(ClinicalRuleError, match="no treatment date"):
        submission_due(PatientMonitoringForm())


def test_forms_due_within_lists_open_forms_by_due_date():
    today = date(2025, 3, 10)
    overdue = form_on(date(2025, 3, 1))  # due 8 March
    due_tomorrow = form_on(date(2025, 3, 4))  # due 11 March
    due_in_7 = form_on(date(2025, 3, 10))  # due 17 March: on the horizon
    later = form_on(date(2025, 3, 11))  # due 18 March: beyond
    submitted = form_on(date(2025, 3, 5), submitted=date(2025, 3, 6))
    undated = PatientMonitoringForm(patient_name="draft")
    got = forms_due_within([later, due_in_7, submitted, due_tomorrow, undated, overdue], today)
    assert got == [undated, overdue, due_tomorrow, due_in_7]


def test_forms_due_within_a_shorter_window():
    today = date(2025, 3, 10)
    forms = [form_on(date(2025, 3, 4)), form_on(date(2025, 3, 6))]  # due 11 and 13 March
    assert forms_due_within(forms, today, days=1) == forms[:1]
    with pytest.raises(ClinicalRuleError):
        forms_due_within(forms, today, days=-1)


# --- enrolment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "enrolled", "allowed", "fragment"),
    [
        (True, Answer.YES, True, "Enrolled"),
        (True, Answer.NO, False, "must be enrolled"),
        (True, Answer.UNKNOWN, False, "not documented"),
        (True, None, False, "not documented"),
        (False, Answer.UNKNOWN, True, "Not a first treatment"),
    ],
)
def test_first_dose_requires_enrolment(first: bool, enrolled, allowed: bool, fragment: str):
    decision = enrolment_gate(first, enrolled)
    assert decision.allowed is allowed
    assert fragment in decision.reason
    assert decision.provenance.sources == ("S15", "S58")


def test_first_treatment_must_be_a_bool():
    with pytest.raises(ClinicalRuleError):
        enrolment_gate("yes", Answer.YES)  # type: ignore[arg-type]
