"""Regimen templates, planned dates and course phases. Expected dates worked out on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.regimens import (
    CRPS_CONTINUOUS_4_DAY,
    CRPS_DAILY_10,
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_DEPRESSION,
    IV_DEPRESSION,
    SUBLINGUAL_CLINIC,
    SUBLINGUAL_HOME,
    TEMPLATES,
    CoursePhaseState,
    Phase,
    allowed_phases,
    course_week,
    default_weekdays,
    next_phase,
    plan_booster,
    plan_induction,
    plan_maintenance,
)

MON_6_JAN = date(2025, 1, 6)  # a Monday
IV = "iv-depression.induction"


def _days(plan):
    return [item.scheduled_date for item in plan]


def _jan(*days):
    return [date(2025, 1, day) for day in days]


# --- IV induction: 6 infusions, 2–3 a week, within 21 days ----------------------------------------


def test_iv_induction_defaults_to_six_infusions_three_a_week():
    plan = plan_induction(IV_DEPRESSION, start=MON_6_JAN)
    assert _days(plan) == _jan(6, 8, 10, 13, 15, 17)  # Mon Wed Fri × 2 weeks
    assert [item.sequence for item in plan] == [1, 2, 3, 4, 5, 6]
    assert {item.phase for item in plan} == {Phase.INDUCTION}
    assert plan[0].dose_description == "0.5 mg/kg IV over 40 min"


def test_iv_induction_twice_weekly_takes_three_weeks():
    template = IV_DEPRESSION.with_settings({f"{IV}.sessions_per_week": 2})
    plan = plan_induction(template, start=MON_6_JAN)
    assert _days(plan) == _jan(6, 9, 13, 16, 20, 23)  # Mon Thu × 3 weeks
    assert (plan[-1].scheduled_date - plan[0].scheduled_date).days == 17


@pytest.mark.parametrize(
    ("start", "weekdays", "per_week", "expected"),
    [
        (date(2025, 1, 8), (0, 2, 4), 3, _jan(8, 10, 13, 15, 17, 20)),  # starts on a Wednesday
        (date(2025, 1, 11), (0, 2, 4), 3, _jan(13, 15, 17, 20, 22, 24)),  # Saturday → next Monday
        (MON_6_JAN, (1, 4), 2, _jan(7, 10, 14, 17, 21, 24)),  # Tue/Fri
        (MON_6_JAN, (0, 6), 2, _jan(6, 12, 13, 19, 20, 26)),  # Mon/Sun: 21 days, just fits
    ],
)
def test_iv_induction_on_preferred_weekdays(start, weekdays, per_week, expected):
    template = IV_DEPRESSION.with_settings({f"{IV}.sessions_per_week": per_week})
    assert _days(plan_induction(template, start=start, weekdays=weekdays)) == expected


@pytest.mark.parametrize("weekdays", [(0, 2), (0, 2, 4, 5), (0, 0, 2), (0, 2, 7), (-1, 2, 4)])
def test_preferred_weekdays_must_match_sessions_per_week_and_be_real_days(weekdays):
    with pytest.raises(ClinicalRuleError):
        plan_induction(IV_DEPRESSION, start=MON_6_JAN, weekdays=weekdays)


def test_induction_that_does_not_fit_its_window_is_refused():
    template = IV_DEPRESSION.with_settings({f"{IV}.sessions": 8, f"{IV}.sessions_per_week": 2})
    with pytest.raises(ClinicalRuleError, match="21-day window"):
        plan_induction(template, start=MON_6_JAN)  # 8 twice-weekly sessions span 25 days
    template = IV_DEPRESSION.with_settings({f"{IV}.sessions": 8})
    assert _days(plan_induction(template, start=MON_6_JAN))[-1] == date(2025, 1, 22)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sessions_per_week", 4),  # 2–3 a week (S5, S6, S8)
        ("sessions_per_week", 1),
        ("sessions", 9),  # real-world 4–8 (S29)
        ("sessions", 3),
        ("window_days", 35),  # within 7–28 days (S29)
        ("sessions", True),
    ],
)
def test_template_settings_outside_their_bounds_are_refused(key, value):
    with pytest.raises(ClinicalRuleError):
        IV_DEPRESSION.with_settings({f"{IV}.{key}": value})


def test_unknown_template_setting_is_refused():
    with pytest.raises(ClinicalRuleError, match="unknown setting"):
        IV_DEPRESSION.with_settings({"iv-depression.induction.dose": 1})


def test_with_settings_leaves_the_original_template_unchanged():
    changed = IV_DEPRESSION.with_settings({f"{IV}.sessions_per_week": 2})
    assert IV_DEPRESSION.induction.sessions_per_week.value == 3
    assert changed.induction.sessions_per_week.value == 2
    assert "medical director" in changed.induction.sessions_per_week.provenance.note


def test_default_weekdays_spread_from_the_start_day():
    assert default_weekdays(start=MON_6_JAN, sessions_per_week=3) == (0, 2, 4)
    assert default_weekdays(start=MON_6_JAN, sessions_per_week=2) == (0, 3)
    assert default_weekdays(start=date(2025, 1, 10), sessions_per_week=2) == (4, 0)  # Fri, Mon


# --- IV maintenance and boosters: no validated schedule -------------------------------------------


def test_iv_maintenance_interval_is_a_required_clinic_setting():
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        plan_maintenance(IV_DEPRESSION, start=date(2025, 2, 3), until=date(2025, 4, 30))


def test_iv_maintenance_at_the_chosen_interval():
    template = IV_DEPRESSION.with_settings({"iv-depression.maintenance.interval_days": 21})
    plan = plan_maintenance(template, start=date(2025, 2, 3), until=date(2025, 4, 30))
    assert _days(plan) == [
        date(2025, 2, 3),
        date(2025, 2, 24),
        date(2025, 3, 17),
        date(2025, 4, 7),
        date(2025, 4, 28),
    ]
    assert {item.phase for item in plan} == {Phase.MAINTENANCE}


def test_booster_needs_a_detected_relapse_and_clinic_settings():
    with pytest.raises(ClinicalRuleError, match="relapse"):
        plan_booster(IV_DEPRESSION, start=MON_6_JAN, relapse_detected=False)
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        plan_booster(IV_DEPRESSION, start=MON_6_JAN, relapse_detected=True)
    template = IV_DEPRESSION.with_settings(
        {"iv-depression.booster.sessions": 3, "iv-depression.booster.sessions_per_week": 2}
    )
    plan = plan_booster(template, start=MON_6_JAN, relapse_detected=True)
    assert _days(plan) == _jan(6, 9, 13)
    assert {item.phase for item in plan} == {Phase.BOOSTER}


# --- Esketamine (label §3.2) ----------------------------------------------------------------------

MON_3_MAR = date(2025, 3, 3)
WEEK_9_ON = "esketamine-trd.maintenance.week_9_on.interval_days"


def test_esketamine_induction_is_twice_weekly_for_weeks_1_to_4():
    plan = plan_induction(ESKETAMINE_TRD, start=MON_3_MAR)
    assert _days(plan) == [date(2025, 3, day) for day in (3, 6, 10, 13, 17, 20, 24, 27)]
    weeks = [course_week(course_start=MON_3_MAR, on=item.scheduled_date) for item in plan]
    assert weeks == [1, 1, 2, 2, 3, 3, 4, 4]
    assert plan[0].dose_description.startswith("56 mg")
    assert all(item.dose_description.startswith("56 or 84 mg") for item in plan[1:])


def test_esketamine_weeks_5_to_8_weekly_need_no_setting():
    plan = plan_maintenance(ESKETAMINE_TRD, start=date(2025, 3, 31), until=date(2025, 4, 27))
    assert _days(plan) == [
        date(2025, 3, 31),
        date(2025, 4, 7),
        date(2025, 4, 14),
        date(2025, 4, 21),
    ]
    weeks = [course_week(course_start=MON_3_MAR, on=item.scheduled_date) for item in plan]
    assert weeks == [5, 6, 7, 8]


def test_esketamine_week_9_frequency_is_the_prescribers_choice():
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        plan_maintenance(ESKETAMINE_TRD, start=date(2025, 3, 31), until=date(2025, 5, 31))


@pytest.mark.parametrize(
    ("interval", "after_week_8", "weeks"),
    [
        (14, [date(2025, 5, 5), date(2025, 5, 19)], [10, 12]),
        (
            7,
            [
                date(2025, 4, 28),
                date(2025, 5, 5),
                date(2025, 5, 12),
                date(2025, 5, 19),
                date(2025, 5, 26),
            ],
            [9, 10, 11, 12, 13],
        ),
    ],
)
def test_esketamine_week_9_onward_every_one_or_two_weeks(interval, after_week_8, weeks):
    template = ESKETAMINE_TRD.with_settings({WEEK_9_ON: interval})
    plan = plan_maintenance(template, start=date(2025, 3, 31), until=date(2025, 5, 31))
    assert _days(plan)[4:] == after_week_8
    assert [course_week(course_start=MON_3_MAR, on=day) for day in after_week_8] == weeks
    assert [item.sequence for item in plan] == list(range(1, len(plan) + 1))


@pytest.mark.parametrize("interval", [10, 21, 3])
def test_esketamine_week_9_interval_other_than_weekly_or_fortnightly_is_refused(interval):
    with pytest.raises(ClinicalRuleError):
        ESKETAMINE_TRD.with_settings({WEEK_9_ON: interval})


def test_esketamine_label_frequencies_cannot_be_edited():
    with pytest.raises(ClinicalRuleError):
        ESKETAMINE_TRD.with_settings({"esketamine-trd.induction.sessions_per_week": 3})


def test_esketamine_mdsi_is_84_mg_twice_weekly_for_4_weeks_without_maintenance():
    plan = plan_induction(ESKETAMINE_MDSI, start=MON_3_MAR)
    assert len(plan) == 8 and plan[-1].scheduled_date == date(2025, 3, 27)
    assert all(item.dose_description.startswith("84 mg") for item in plan)
    with pytest.raises(ClinicalRuleError, match="no maintenance schedule"):
        plan_maintenance(ESKETAMINE_MDSI, start=date(2025, 3, 31), until=date(2025, 5, 31))


# --- Other routes -------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [IM_DEPRESSION, SUBLINGUAL_CLINIC, SUBLINGUAL_HOME])
def test_routes_without_a_reference_schedule_need_clinic_settings(template):
    with pytest.raises(ClinicalRuleError, match="the clinic must set it"):
        plan_induction(template, start=MON_6_JAN)


def test_sublingual_in_clinic_every_2_3_or_7_days():
    template = SUBLINGUAL_CLINIC.with_settings(
        {
            "sublingual-clinic.induction.sessions": 4,
            "sublingual-clinic.induction.interval_days": 3,
        }
    )
    plan = plan_induction(template, start=MON_6_JAN)
    assert _days(plan) == _jan(6, 9, 12, 15)
    assert plan[0].dose_description.startswith("10 mg sublingual")
    with pytest.raises(ClinicalRuleError, match="preferred weekdays do not apply"):
        plan_induction(template, start=MON_6_JAN, weekdays=(0,))
    with pytest.raises(ClinicalRuleError, match="2 or 3 or 7 days"):
        SUBLINGUAL_CLINIC.with_settings({"sublingual-clinic.induction.interval_days": 5})


def test_crps_daily_for_ten_days():
    plan = plan_induction(CRPS_DAILY_10, start=MON_6_JAN)
    assert _days(plan) == _jan(*range(6, 16))
    assert plan[0].dose_description.startswith("0.35 mg/kg/h IV over 4 h")


def test_crps_continuous_four_days():
    plan = plan_induction(CRPS_CONTINUOUS_4_DAY, start=MON_6_JAN)
    assert _days(plan) == _jan(6, 7, 8, 9)
    assert "22 mg/h" in plan[0].dose_description


def test_every_template_has_unique_setting_keys_and_required_ones_are_unverified():
    keys = [item.key for template in TEMPLATES.values() for item in template.settings()]
    assert len(keys) == len(set(keys))
    for template in TEMPLATES.values():
        for item in template.settings():
            if item.value is None:
                assert item.provenance.verified is False
            else:
                assert item.provenance.sources


def test_planned_treatment_states_date_order_phase_and_dose():
    first = plan_induction(IV_DEPRESSION, start=MON_6_JAN)[0]
    assert (first.scheduled_date, first.sequence, first.phase, first.dose_description) == (
        MON_6_JAN,
        1,
        Phase.INDUCTION,
        "0.5 mg/kg IV over 40 min",
    )


# --- Course phases ------------------------------------------------------------------------------


def test_a_course_runs_induction_evaluation_maintenance_booster_and_completes():
    state = CoursePhaseState()
    assert state.phase is Phase.INDUCTION
    state = next_phase(state, to=Phase.EVALUATION)
    state = next_phase(state, to=Phase.MAINTENANCE)
    state = next_phase(state, to=Phase.BOOSTER, relapse_detected=True)
    state = next_phase(state, to="maintenance")
    state = next_phase(state, to=Phase.COMPLETED)
    assert state == CoursePhaseState(Phase.COMPLETED)


@pytest.mark.parametrize(
    ("phase", "target"),
    [
        (Phase.INDUCTION, Phase.MAINTENANCE),
        (Phase.INDUCTION, Phase.BOOSTER),
        (Phase.EVALUATION, Phase.BOOSTER),
        (Phase.EVALUATION, Phase.INDUCTION),
        (Phase.MAINTENANCE, Phase.INDUCTION),
        (Phase.MAINTENANCE, Phase.EVALUATION),
        (Phase.BOOSTER, Phase.INDUCTION),
        (Phase.COMPLETED, Phase.INDUCTION),
        (Phase.COMPLETED, Phase.PAUSED),
        (Phase.INDUCTION, Phase.INDUCTION),
    ],
)
def test_illegal_transitions_are_refused(phase, target):
    with pytest.raises(ClinicalRuleError, match="cannot move"):
        next_phase(CoursePhaseState(phase), to=target, relapse_detected=True)


def test_booster_from_maintenance_needs_a_detected_relapse():
    with pytest.raises(ClinicalRuleError, match="relapse"):
        next_phase(CoursePhaseState(Phase.MAINTENANCE), to=Phase.BOOSTER)


@pytest.mark.parametrize(
    "phase", [Phase.INDUCTION, Phase.EVALUATION, Phase.MAINTENANCE, Phase.BOOSTER]
)
def test_pause_resumes_into_the_phase_it_left(phase):
    paused = next_phase(CoursePhaseState(phase), to=Phase.PAUSED)
    assert paused == CoursePhaseState(Phase.PAUSED, paused_from=phase)
    assert allowed_phases(paused) == {phase, Phase.COMPLETED}
    assert next_phase(paused, to=phase) == CoursePhaseState(phase)  # no relapse needed to resume
    assert next_phase(paused, to=Phase.COMPLETED).phase is Phase.COMPLETED


def test_paused_course_cannot_resume_elsewhere_or_pause_again():
    paused = next_phase(CoursePhaseState(Phase.MAINTENANCE), to=Phase.PAUSED)
    for target in (Phase.INDUCTION, Phase.BOOSTER, Phase.PAUSED):
        with pytest.raises(ClinicalRuleError):
            next_phase(paused, to=target, relapse_detected=True)


def test_inconsistent_course_state_is_refused():
    with pytest.raises(ClinicalRuleError):
        CoursePhaseState(Phase.PAUSED)
    with pytest.raises(ClinicalRuleError):
        CoursePhaseState(Phase.MAINTENANCE, paused_from=Phase.INDUCTION)
    with pytest.raises(ClinicalRuleError):
        CoursePhaseState(Phase.PAUSED, paused_from=Phase.COMPLETED)


@pytest.mark.parametrize(
    ("indication", "expected"),
    [
        ("depression", {"iv-depression"}),
        ("suicidal_ideation", {"iv-depression"}),
        ("chronic_pain_crps", {"crps-daily-10", "crps-continuous-4-day"}),
    ],
)
def test_iv_templates_offered_for_an_indication(indication: str, expected: set[str]):
    from ketacare.clinical.regimens import TEMPLATES, templates_for

    offered = templates_for(TEMPLATES.values(), indication=indication, route=Route.RACEMIC_IV)
    assert {t.key for t in offered} == expected


def test_every_template_setting_is_a_configurable_default_declared_once():
    from ketacare.clinical.regimens import CONFIGURABLE_DEFAULTS

    keys = [item.key for item in CONFIGURABLE_DEFAULTS]
    assert len(keys) == len(set(keys))
    assert keys == [item.key for t in TEMPLATES.values() for item in t.settings()]
    assert all(key.split(".")[0] in TEMPLATES for key in keys)  # "<template>.<block>.<value>"
