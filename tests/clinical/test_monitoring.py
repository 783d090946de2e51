"""Vital-sign alerts and their boundaries, unconfigured settings, the vitals schedule, discharge."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import Answer, ClinicalRuleError, ConfigurableDefault
from ketacare.clinical.eligibility import BP_DIASTOLIC_LIMIT, BP_SYSTOLIC_LIMIT
from ketacare.clinical.instruments import ScoringSettings
from ketacare.clinical.monitoring import (
    RULES_BY_CODE,
    SETTINGS,
    SHARED_WITH_SCREENING,
    VITAL_RULES,
    AlertLevel,
    CrisisSymptom,
    DischargeFacts,
    MonitoringProtocol,
    Phase,
    Route,
    VitalsReading,
    alert_resolved,
    configurable_defaults,
    default_protocol,
    discharge_check,
    evaluate_vitals,
    is_overdue,
    next_reading_due,
)

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# Values a test clinic sets for the settings the reference leaves open. Test values only: they are
# not clinical recommendations.
CLINIC_VALUES = {
    "predose_caution_heart_rate_bpm": 100,
    "spo2_alert_below_percent": 92,
    "respiratory_rate_alert_below_per_min": 10,
    "discharge_bp_margin_mmhg": 20,
    "discharge_heart_rate_margin_bpm": 15,
    "post_dose_reading_interval_minutes": 30,
    "dosing_reading_interval_minutes": 5,
    "minimum_observation_minutes": 60,
    "fasting_food_minutes": 240,
    "fasting_liquid_minutes": 60,
}


def configured(route: Route) -> MonitoringProtocol:
    protocol = default_protocol(route)
    return protocol.with_settings(**{s.key: CLINIC_VALUES[s.key] for s in protocol.unconfigured()})


def reading(minutes: float = 0, **values: object) -> VitalsReading:
    return VitalsReading(taken_at=at(minutes), **values)  # type: ignore[arg-type]


def codes(alerts: list) -> list[str]:  # type: ignore[type-arg]
    return [a.code for a in alerts]


IV = configured(Route.RACEMIC_IV)
ESK = configured(Route.ESKETAMINE_NASAL)


# --- thresholds -> alerts --------------------------------------------------------------------

# "Above" is strict (project reading of "180/100" and "> 110", documented in monitoring.py).
INTRA_SESSION = [
    ((180, 100, 110), []),
    ((181, 100, 110), ["bp_above_intra_session_threshold"]),
    ((180, 101, 110), ["bp_above_intra_session_threshold"]),
    ((186, 104, 80), ["bp_above_intra_session_threshold"]),
    ((120, 80, 111), ["heart_rate_above_intra_session_threshold"]),
    (
        (190, 110, 120),
        ["bp_above_intra_session_threshold", "heart_rate_above_intra_session_threshold"],
    ),
    ((160, 95, 100), []),  # above the pre-dose caution, but that applies before dosing only
]


@pytest.mark.parametrize("phase", [Phase.DOSING, Phase.POST_DOSE])
@pytest.mark.parametrize(("vitals", "expected"), INTRA_SESSION)
def test_intra_session_thresholds(phase: Phase, vitals: tuple[int, int, int], expected: list[str]):
    sys_mmhg, dia_mmhg, hr = vitals
    r = reading(systolic_mmhg=sys_mmhg, diastolic_mmhg=dia_mmhg, heart_rate_bpm=hr)
    alerts = evaluate_vitals(r, phase=phase, baseline=None, protocol=IV)
    assert codes(alerts) == expected
    assert all(a.level is AlertLevel.CRITICAL for a in alerts)


PRE_DOSE = [
    ((140, 90), []),
    ((141, 90), ["bp_above_predose_caution"]),
    ((140, 91), ["bp_above_predose_caution"]),
    ((200, 120), ["bp_above_predose_caution"]),
]


@pytest.mark.parametrize("route", [Route.RACEMIC_IV, Route.ESKETAMINE_NASAL])
@pytest.mark.parametrize(("bp", "expected"), PRE_DOSE)
def test_predose_bp_caution_is_strictly_above_140_90(
    route: Route, bp: tuple[int, int], expected: list[str]
):
    r = reading(systolic_mmhg=bp[0], diastolic_mmhg=bp[1])
    alerts = evaluate_vitals(r, phase=Phase.PRE_DOSE, baseline=None, protocol=configured(route))
    assert codes(alerts) == expected
    assert all(a.level is AlertLevel.WARNING for a in alerts)


def test_alert_message_names_the_value_and_the_limit():
    base = reading(-30, systolic_mmhg=128, diastolic_mmhg=80, heart_rate_bpm=70)
    r = reading(20, systolic_mmhg=186, diastolic_mmhg=104)
    (alert,) = evaluate_vitals(r, phase="dosing", baseline=base, protocol=IV)
    assert alert.message == "BP 186/104 mmHg is above 180/100 mmHg (baseline 128/80 mmHg)"
    action = alert.recommended_action.lower()
    assert "slow or pause the infusion" in action
    assert "recheck" in action
    assert "call the prescriber" in action
    assert alert.reading_taken_at == at(20)


def test_esketamine_action_holds_further_doses_rather_than_an_infusion():
    r = reading(systolic_mmhg=186, diastolic_mmhg=104)
    (alert,) = evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=ESK)
    assert alert.recommended_action.startswith("Give no further dose")


def test_unverified_thresholds_carry_unverified_provenance():
    r = reading(systolic_mmhg=186, diastolic_mmhg=104)
    (alert,) = evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=IV)
    assert alert.provenance.verified is False
    assert alert.provenance.cite() == "§2 (unverified)"
    assert default_protocol(Route.ESKETAMINE_NASAL).minimum_observation_minutes.provenance.verified


@pytest.mark.parametrize(
    ("spo2", "rr", "expected"),
    [
        (92, 10, []),
        (91, 10, ["spo2_below_alert_threshold"]),
        (95, 9, ["respiratory_rate_below_alert_threshold"]),
        (88, 6, ["spo2_below_alert_threshold", "respiratory_rate_below_alert_threshold"]),
    ],
)
def test_spo2_and_rr_alert_strictly_below_the_clinic_threshold(spo2: int, rr: int, expected):
    r = reading(spo2_percent=spo2, respiratory_rate_per_min=rr)
    alerts = evaluate_vitals(r, phase=Phase.POST_DOSE, baseline=None, protocol=ESK)
    assert codes(alerts) == expected
    assert all(a.level is AlertLevel.CRITICAL for a in alerts)


def test_predose_heart_rate_uses_the_clinic_caution():
    r = reading(heart_rate_bpm=101)
    alerts = evaluate_vitals(r, phase=Phase.PRE_DOSE, baseline=None, protocol=IV)
    assert codes(alerts) == ["heart_rate_above_predose_caution"]


# --- unconfigured settings are never skipped silently ---------------------------------------


def test_unconfigured_spo2_threshold_gives_a_visible_notice():
    r = reading(spo2_percent=96)
    protocol = default_protocol(Route.ESKETAMINE_NASAL)
    (alert,) = evaluate_vitals(r, phase=Phase.POST_DOSE, baseline=None, protocol=protocol)
    assert alert.level is AlertLevel.UNCONFIGURED
    assert alert.code == "spo2_threshold_not_configured"
    assert "SpO2 96%" in alert.message
    assert "SpO2 alert threshold not configured for this clinic" in alert.message
    assert alert.provenance.verified is False


@pytest.mark.parametrize(
    ("values", "phase", "code"),
    [
        (
            {"respiratory_rate_per_min": 14},
            Phase.DOSING,
            "respiratory_rate_threshold_not_configured",
        ),
        ({"heart_rate_bpm": 80}, Phase.PRE_DOSE, "heart_rate_predose_threshold_not_configured"),
    ],
)
def test_every_unset_threshold_gives_a_notice(values: dict, phase: Phase, code: str):
    protocol = default_protocol(Route.RACEMIC_IV)
    alerts = evaluate_vitals(reading(**values), phase=phase, baseline=None, protocol=protocol)
    assert codes(alerts) == [code]


def test_a_value_not_measured_needs_no_threshold():
    protocol = default_protocol(Route.RACEMIC_IV)
    r = reading(systolic_mmhg=120, diastolic_mmhg=80)
    assert evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=protocol) == []


def test_critical_alerts_come_before_notices():
    protocol = default_protocol(Route.RACEMIC_IV)
    r = reading(systolic_mmhg=190, diastolic_mmhg=90, spo2_percent=97)
    alerts = evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=protocol)
    assert [a.level for a in alerts] == [AlertLevel.CRITICAL, AlertLevel.UNCONFIGURED]


@pytest.mark.parametrize(
    ("route", "required"),
    [
        (
            Route.ESKETAMINE_NASAL,
            {
                "predose_caution_heart_rate_bpm",
                "spo2_alert_below_percent",
                "respiratory_rate_alert_below_per_min",
                "post_dose_reading_interval_minutes",
                "dosing_reading_interval_minutes",
                "discharge_bp_margin_mmhg",
                "discharge_heart_rate_margin_bpm",
            },
        ),
        (
            Route.RACEMIC_IV,
            {
                "predose_caution_heart_rate_bpm",
                "spo2_alert_below_percent",
                "respiratory_rate_alert_below_per_min",
                "minimum_observation_minutes",
                "discharge_bp_margin_mmhg",
                "discharge_heart_rate_margin_bpm",
                "fasting_food_minutes",
                "fasting_liquid_minutes",
            },
        ),
    ],
)
def test_settings_the_reference_is_silent_on_are_required(route: Route, required: set[str]):
    assert {s.key for s in default_protocol(route).unconfigured()} == required


# --- MOAA/S and crisis symptoms --------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected", "alert_level"),
    [
        (5, [], None),
        (4, [], None),
        (3, ["sedation"], AlertLevel.WARNING),
        (1, ["sedation"], AlertLevel.WARNING),
        (0, ["loss_of_consciousness"], AlertLevel.CRITICAL),
    ],
)
def test_moaas_flags_come_from_the_instrument_scorer(level: int, expected, alert_level):
    alerts = evaluate_vitals(
        reading(moaas_level=level), phase=Phase.POST_DOSE, baseline=None, protocol=ESK
    )
    assert codes(alerts) == expected
    assert all(a.level is alert_level for a in alerts)


def test_clinic_moaas_override_reaches_the_scorer():
    protocol = replace(ESK, moaas_scoring=ScoringSettings(moaas_sedation_max=2))
    r = reading(moaas_level=3)
    assert evaluate_vitals(r, phase=Phase.POST_DOSE, baseline=None, protocol=protocol) == []


def test_crisis_symptoms_call_for_emergency_care():
    r = reading(
        systolic_mmhg=176,
        diastolic_mmhg=98,
        crisis_symptoms=frozenset({CrisisSymptom.CHEST_PAIN}),
    )
    (alert,) = evaluate_vitals(r, phase=Phase.POST_DOSE, baseline=None, protocol=ESK)
    assert alert.code == "hypertensive_crisis_symptoms"
    assert alert.level is AlertLevel.CRITICAL
    assert alert.recommended_action.startswith("Emergency")
    assert "chest pain" in alert.message and "176/98" in alert.message
    assert alert.provenance.verified is False


def test_crisis_symptoms_asked_and_absent_raise_nothing():
    r = reading(crisis_symptoms=frozenset())
    assert evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=ESK) == []


# --- plausibility ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"spo2_percent": 140}, "SpO2 140"),
        ({"spo2_percent": -1}, "SpO2 -1"),
        ({"systolic_mmhg": 80, "diastolic_mmhg": 120}, "systolic must be above"),
        ({"systolic_mmhg": 100, "diastolic_mmhg": 100}, "systolic must be above"),
        ({"systolic_mmhg": 120}, "both systolic and diastolic"),
        ({"systolic_mmhg": 400, "diastolic_mmhg": 80}, "Systolic BP 400"),
        ({"heart_rate_bpm": 400}, "Heart rate 400"),
        ({"respiratory_rate_per_min": 120}, "Respiratory rate 120"),
        ({"moaas_level": 6}, "MOAA/S level 6"),
        ({"heart_rate_bpm": 72.5}, "whole number"),
        ({"spo2_percent": True}, "whole number"),
        ({"crisis_symptoms": {"hiccups"}}, "Unknown crisis symptom"),
    ],
)
def test_implausible_readings_are_refused(values: dict, fragment: str):
    with pytest.raises(ClinicalRuleError, match=fragment):
        reading(**values)


def test_naive_times_are_refused():
    with pytest.raises(ClinicalRuleError, match="timezone-aware"):
        VitalsReading(taken_at=datetime(2025, 3, 3, 10, 0), spo2_percent=97)


def test_baseline_after_the_reading_is_refused():
    with pytest.raises(ClinicalRuleError, match="baseline"):
        evaluate_vitals(reading(0), phase=Phase.DOSING, baseline=reading(5), protocol=IV)


@given(
    sys_mmhg=st.integers(60, 300),
    dia_mmhg=st.integers(10, 250),
    hr=st.integers(0, 300),
)
def test_bp_alert_fires_exactly_when_a_component_is_above(sys_mmhg: int, dia_mmhg: int, hr: int):
    if sys_mmhg <= dia_mmhg:
        return
    r = reading(systolic_mmhg=sys_mmhg, diastolic_mmhg=dia_mmhg, heart_rate_bpm=hr)
    found = codes(evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=IV))
    assert ("bp_above_intra_session_threshold" in found) == (sys_mmhg > 180 or dia_mmhg > 100)
    assert ("heart_rate_above_intra_session_threshold" in found) == (hr > 110)


# --- resolution ------------------------------------------------------------------------------


def _bp_alert():
    r = reading(0, systolic_mmhg=186, diastolic_mmhg=104)
    (alert,) = evaluate_vitals(r, phase=Phase.DOSING, baseline=None, protocol=IV)
    return alert


@pytest.mark.parametrize(
    ("later", "resolved"),
    [
        ({"systolic_mmhg": 178, "diastolic_mmhg": 98}, True),
        ({"systolic_mmhg": 180, "diastolic_mmhg": 100}, True),
        ({"systolic_mmhg": 181, "diastolic_mmhg": 90}, False),
        ({"heart_rate_bpm": 80}, False),  # BP not measured: not resolved
    ],
)
def test_bp_alert_resolves_when_a_later_reading_is_within(later: dict, resolved: bool):
    assert alert_resolved(_bp_alert(), reading(5, **later), IV) is resolved


def test_only_a_later_reading_can_resolve_an_alert():
    with pytest.raises(ClinicalRuleError, match="after"):
        alert_resolved(_bp_alert(), reading(0, systolic_mmhg=120, diastolic_mmhg=80), IV)


def test_unconfigured_notice_resolves_only_once_the_threshold_is_set():
    unset = default_protocol(Route.RACEMIC_IV)
    (notice,) = evaluate_vitals(
        reading(0, spo2_percent=97), phase=Phase.DOSING, baseline=None, protocol=unset
    )
    later = reading(5, spo2_percent=97)
    assert alert_resolved(notice, later, unset) is False
    assert alert_resolved(notice, later, IV) is True


def test_sedation_resolves_when_moaas_is_above_the_threshold():
    (alert,) = evaluate_vitals(
        reading(0, moaas_level=2), phase=Phase.POST_DOSE, baseline=None, protocol=ESK
    )
    assert alert_resolved(alert, reading(10, moaas_level=3), ESK) is False
    assert alert_resolved(alert, reading(20, moaas_level=5), ESK) is True


def test_crisis_resolves_only_when_asked_and_absent():
    r = reading(0, crisis_symptoms=frozenset({CrisisSymptom.SEIZURE}))
    (alert,) = evaluate_vitals(r, phase=Phase.POST_DOSE, baseline=None, protocol=ESK)
    assert alert_resolved(alert, reading(10), ESK) is False  # not asked
    assert alert_resolved(alert, reading(10, crisis_symptoms=frozenset()), ESK) is True


_vitals = st.fixed_dictionaries(
    {
        "bp": st.tuples(st.integers(90, 220), st.integers(40, 130)).filter(lambda b: b[0] > b[1]),
        "heart_rate_bpm": st.integers(40, 150),
        "spo2_percent": st.integers(80, 100),
        "respiratory_rate_per_min": st.integers(4, 20),
        "moaas_level": st.integers(0, 5),
        "crisis_symptoms": st.frozensets(st.sampled_from(list(CrisisSymptom)), max_size=2),
    }
)


def _fully_measured(minutes: float, values: dict) -> VitalsReading:
    systolic, diastolic = values["bp"]
    rest = {k: v for k, v in values.items() if k != "bp"}
    return reading(minutes, systolic_mmhg=systolic, diastolic_mmhg=diastolic, **rest)


@given(
    first=_vitals,
    later=_vitals,
    phase=st.sampled_from(list(Phase)),
    protocol=st.sampled_from([IV, ESK, default_protocol(Route.RACEMIC_IM)]),
)
def test_evaluation_and_resolution_read_the_same_rule(first, later, phase, protocol):
    """An alert resolves exactly when the later reading, fully measured, would not raise it (and
    no rule that speaks instead of it fires); the same values never resolve their own alert."""
    alerts = evaluate_vitals(
        _fully_measured(0, first), phase=phase, baseline=None, protocol=protocol
    )
    again = _fully_measured(5, first)
    then = _fully_measured(10, later)
    raised_then = set(codes(evaluate_vitals(then, phase=phase, baseline=None, protocol=protocol)))
    for alert in alerts:
        assert alert_resolved(alert, again, protocol) is False, alert.code
        rule = RULES_BY_CODE[alert.code]
        if alert.level is AlertLevel.UNCONFIGURED:
            assert alert_resolved(alert, then, protocol) is False
            continue
        expected = alert.code not in raised_then and rule.unless not in raised_then
        assert alert_resolved(alert, then, protocol) is expected, alert.code


def test_every_alert_code_comes_from_one_row_of_the_table():
    assert [rule.code for rule in VITAL_RULES] == list(dict.fromkeys(r.code for r in VITAL_RULES))
    for rule in VITAL_RULES:
        assert RULES_BY_CODE[rule.code] is rule
        if rule.settings:
            assert RULES_BY_CODE[rule.unconfigured_code] is rule
            for key in rule.settings:  # each names a real setting of every route's protocol
                assert isinstance(getattr(IV, key), ConfigurableDefault)
    with pytest.raises(ClinicalRuleError, match="Unknown alert code"):
        (alert,) = evaluate_vitals(
            reading(0, spo2_percent=80), phase=Phase.DOSING, baseline=None, protocol=IV
        )
        alert_resolved(replace(alert, code="spo2_low"), reading(5, spo2_percent=99), IV)


# --- protocol settings -----------------------------------------------------------------------


def test_esketamine_observation_cannot_be_lowered_below_two_hours():
    protocol = default_protocol(Route.ESKETAMINE_NASAL)
    with pytest.raises(ClinicalRuleError, match="below the safe minimum 120"):
        protocol.with_settings(minimum_observation_minutes=119)
    assert (
        protocol.with_settings(minimum_observation_minutes=150).minimum_observation_minutes.value
        == 150
    )


def test_clinic_values_become_clinic_settings_with_the_reference_default_noted():
    setting = IV.stop_systolic_mmhg
    changed = IV.with_settings(stop_systolic_mmhg=170).stop_systolic_mmhg
    assert changed.value == 170
    assert changed.provenance.cite() == "clinic setting"
    assert "180 mmHg" in changed.provenance.note and setting.value == 180


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"no_such_setting": 1}, "not a setting"),
        ({"route": 1}, "not a setting"),
        ({"spo2_alert_below_percent": 101}, "above the safe maximum"),
        ({"spo2_alert_below_percent": True}, "whole"),
        ({"spo2_alert_below_percent": 91.5}, "whole"),
    ],
)
def test_bad_settings_are_refused(values: dict, fragment: str):
    with pytest.raises(ClinicalRuleError, match=fragment):
        IV.with_settings(**values)


@pytest.mark.parametrize("route", list(Route))
def test_each_setting_is_declared_once_and_every_route_reads_it(route: Route):
    protocol = default_protocol(route)
    keys = [setting.key for setting in SETTINGS]
    assert len(keys) == len(set(keys))
    assert [s.key for s in protocol.settings()] == [
        k for k in keys if route.is_esketamine or k != "post_dose_first_reading_at_minutes"
    ]
    own = configurable_defaults(route)
    assert {s.key for s in own} == {s.key for s in protocol.settings()} - set(SHARED_WITH_SCREENING)


@pytest.mark.parametrize("route", list(Route))
def test_the_predose_bp_caution_is_the_screening_limit_under_another_name(route: Route):
    protocol = default_protocol(route)
    for key, shared in SHARED_WITH_SCREENING.items():
        setting = getattr(protocol, key)
        assert (setting.value, setting.minimum, setting.maximum) == (
            shared.value,
            shared.minimum,
            shared.maximum,
        )
    assert SHARED_WITH_SCREENING["predose_caution_systolic_mmhg"] is BP_SYSTOLIC_LIMIT
    assert SHARED_WITH_SCREENING["predose_caution_diastolic_mmhg"] is BP_DIASTOLIC_LIMIT


def test_a_predose_caution_above_the_stop_threshold_is_refused():
    with pytest.raises(ClinicalRuleError, match="above the safe maximum 180"):
        IV.with_settings(predose_caution_systolic_mmhg=181)
    with pytest.raises(ClinicalRuleError, match="above the safe maximum 100"):
        IV.with_settings(predose_caution_diastolic_mmhg=101)
    assert IV.with_settings(predose_caution_systolic_mmhg=150).predose_caution_systolic_mmhg.value


# --- schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "last", "due"),
    [
        (Phase.DOSING, None, 10),  # source: S94, every 10 min during
        (Phase.DOSING, 7, 17),
        (Phase.DOSING, -3, 10),  # a reading before the phase started does not count
        (Phase.POST_DOSE, None, 15),  # source: S94, every 15 min after
        (Phase.POST_DOSE, 12, 27),
    ],
)
def test_iv_schedule(phase: Phase, last: float | None, due: float):
    protocol = default_protocol(Route.RACEMIC_IV)
    last_at = None if last is None else at(last)
    got = next_reading_due(
        phase=phase, last_reading_at=last_at, phase_started_at=T0, protocol=protocol
    )
    assert got == at(due)


@pytest.mark.parametrize(
    ("last", "due"),
    [(None, 40), (20, 40), (39.9, 40), (40, 70), (45, 75)],
)
def test_esketamine_bp_at_40_minutes_then_the_clinic_interval(last: float | None, due: float):
    last_at = None if last is None else at(last)
    got = next_reading_due(
        phase=Phase.POST_DOSE, last_reading_at=last_at, phase_started_at=T0, protocol=ESK
    )
    assert got == at(due)


def test_predose_reading_is_due_at_once_then_nothing_more():
    kwargs = {"phase": Phase.PRE_DOSE, "phase_started_at": T0, "protocol": IV}
    assert next_reading_due(last_reading_at=None, **kwargs) == T0
    assert next_reading_due(last_reading_at=at(2), **kwargs) is None


def test_schedule_with_an_unset_interval_names_the_setting():
    protocol = default_protocol(Route.ESKETAMINE_NASAL)
    with pytest.raises(ClinicalRuleError, match="Vitals interval after dosing"):
        next_reading_due(
            phase=Phase.POST_DOSE, last_reading_at=at(41), phase_started_at=T0, protocol=protocol
        )


@pytest.mark.parametrize(("now", "overdue"), [(9, False), (10, False), (10.01, True)])
def test_overdue_is_strictly_after_the_due_time(now: float, overdue: bool):
    assert (
        is_overdue(
            phase=Phase.DOSING, last_reading_at=None, phase_started_at=T0, protocol=IV, now=at(now)
        )
        is overdue
    )


@pytest.mark.parametrize("minutes_after_check_in", [0, 1, 30, 240])
def test_first_vitals_are_due_but_not_overdue_at_check_in(minutes_after_check_in: int):
    """The pre-dose reading is due before dosing, never late by the clock (issue: at check-in
    the first reading showed "OVERDUE")."""
    assert not is_overdue(
        phase=Phase.PRE_DOSE,
        last_reading_at=None,
        phase_started_at=T0,
        protocol=IV,
        now=at(minutes_after_check_in),
    )


def test_predose_after_the_baseline_is_never_overdue():
    assert not is_overdue(
        phase=Phase.PRE_DOSE, last_reading_at=at(1), phase_started_at=T0, protocol=IV, now=at(90)
    )


def test_last_reading_after_now_is_refused():
    with pytest.raises(ClinicalRuleError, match="later than 'now'"):
        is_overdue(
            phase=Phase.DOSING, last_reading_at=at(5), phase_started_at=T0, protocol=IV, now=at(1)
        )


# --- discharge -------------------------------------------------------------------------------

BASE = reading(-10, systolic_mmhg=124, diastolic_mmhg=78, heart_rate_bpm=72, spo2_percent=98)
LATEST = reading(
    115, systolic_mmhg=140, diastolic_mmhg=88, heart_rate_bpm=80, spo2_percent=97, moaas_level=5
)
ANSWERS = (
    "mental_status_at_baseline",
    "walking_steadily",
    "nausea_controlled",
    "escort_present",
    "sedation_resolved",
    "dissociation_resolved",
    "respiratory_depression_resolved",
)


def ready(**changes: object) -> DischargeFacts:
    facts = DischargeFacts(
        assessed_at=at(120),
        first_dose_at=T0,
        dosing_ended_at=at(10),
        baseline=BASE,
        latest=LATEST,
        **dict.fromkeys(ANSWERS, Answer.YES),  # type: ignore[arg-type]
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def criterion(assessment, cid: str):  # type: ignore[no-untyped-def]
    return next(c for c in assessment.criteria if c.id == cid)


def test_all_criteria_met_allows_the_clinician_to_assess_readiness():
    assessment = discharge_check(ready(), ESK)
    assert assessment.all_met, [c.reason for c in assessment.unmet]
    assert [c.id for c in assessment.criteria] == [
        "vitals_near_baseline",
        "minimum_observation_elapsed",
        *ANSWERS,
    ]


@pytest.mark.parametrize("cid", ANSWERS)
@pytest.mark.parametrize(
    ("answer", "met", "prefix"),
    [(Answer.NO, False, "Not yet"), (Answer.UNKNOWN, None, "Not documented")],
)
def test_each_unmet_or_undocumented_answer_blocks(cid: str, answer: Answer, met, prefix: str):
    assessment = discharge_check(ready(**{cid: answer}), ESK)
    assert not assessment.all_met
    found = criterion(assessment, cid)
    assert found.met is met
    assert found.reason.startswith(prefix)
    assert [c.id for c in assessment.unmet] == [cid]


def test_answers_accept_bool_and_none():
    facts = DischargeFacts(
        assessed_at=at(120),
        first_dose_at=T0,
        dosing_ended_at=at(10),
        baseline=BASE,
        latest=LATEST,
        walking_steadily=True,
        escort_present=None,  # type: ignore[arg-type]
    )
    assert facts.walking_steadily is Answer.YES and facts.escort_present is Answer.UNKNOWN


@pytest.mark.parametrize(("assessed", "met"), [(119, False), (119.99, False), (120, True)])
def test_esketamine_needs_120_minutes_from_the_first_device(assessed: float, met: bool):
    c = criterion(
        discharge_check(ready(assessed_at=at(assessed)), ESK), "minimum_observation_elapsed"
    )
    assert c.met is met
    assert c.provenance.sources == ("S10", "S11", "S12")
    if not met:
        assert c.reason == "Not yet: 119 min observed since the first device (minimum 120 min)"


EARLY = replace(LATEST, taken_at=at(60))


def test_racemic_observation_is_counted_from_the_end_of_dosing():
    c = criterion(
        discharge_check(ready(assessed_at=at(69), latest=EARLY), IV), "minimum_observation_elapsed"
    )
    assert c.met is False  # 59 min after dosing ended at 10 min; clinic minimum 60
    c = criterion(
        discharge_check(ready(assessed_at=at(70), latest=EARLY), IV), "minimum_observation_elapsed"
    )
    assert c.met is True


def test_racemic_observation_unset_is_not_met():
    c = criterion(
        discharge_check(ready(), default_protocol(Route.RACEMIC_IV)), "minimum_observation_elapsed"
    )
    assert c.met is None
    assert "not configured" in c.reason


def test_near_baseline_margin_unset_is_not_met():
    c = criterion(
        discharge_check(ready(), default_protocol(Route.ESKETAMINE_NASAL)), "vitals_near_baseline"
    )
    assert c.met is None
    assert c.reason == "Near-baseline margin not configured for this clinic"


@pytest.mark.parametrize(
    ("latest", "met", "fragment"),
    [
        ({"systolic_mmhg": 144}, True, "within"),  # +20 mmHg: at the margin
        ({"systolic_mmhg": 145}, False, "Systolic BP 145 vs baseline 124"),
        ({"diastolic_mmhg": 57}, False, "Diastolic BP 57 vs baseline 78"),  # far below also
        ({"heart_rate_bpm": 88}, False, "Heart rate 88 vs baseline 72"),
        ({"spo2_percent": 90}, False, "SpO2 90% is below 92%"),
        ({"heart_rate_bpm": None}, None, "Not documented"),
    ],
)
def test_vitals_must_be_near_baseline(latest: dict, met, fragment: str):
    facts = ready(latest=replace(LATEST, **latest))
    c = criterion(discharge_check(facts, ESK), "vitals_near_baseline")
    assert c.met is met
    assert fragment in c.reason


def test_vitals_need_a_reading_taken_after_dosing_ended():
    facts = ready(latest=replace(LATEST, taken_at=at(5)))
    c = criterion(discharge_check(facts, ESK), "vitals_near_baseline")
    assert c.met is None


def test_missing_dose_time_is_not_documented():
    c = criterion(discharge_check(ready(first_dose_at=None), ESK), "minimum_observation_elapsed")
    assert c.met is None and c.reason.startswith("Not documented")


def test_dose_time_after_the_assessment_is_refused():
    with pytest.raises(ClinicalRuleError, match="later than the discharge"):
        ready(first_dose_at=at(500))


def test_reading_after_the_assessment_is_refused():
    with pytest.raises(ClinicalRuleError, match="later than the discharge"):
        ready(latest=replace(LATEST, taken_at=at(130)))


# --- the documented example stays runnable ---------------------------------------------------


def test_documented_example_runs():
    docs = Path(__file__).resolve().parents[2] / "docs"
    texts = [p.read_text() for p in docs.glob("*clinical-api*.md")]
    blocks = [
        block
        for text in texts
        for block in re.findall(r"```python\n(.*?)```", text, re.S)
        if "from ketacare.clinical.monitoring import" in block and "discharge_check" in block
    ]
    assert blocks, "the session-monitoring example is missing from docs/"
    for block in blocks:
        exec(compile(block, "docs example", "exec"), {})
