"""Session lifecycle, the pre-check gate and overrides, administration arithmetic, side effects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ketacare.clinical.common import Answer, ClinicalRuleError
from ketacare.clinical.monitoring import Phase, Route, VitalsReading, default_protocol
from ketacare.clinical.session_flow import (
    ABORTABLE_STATES,
    CANCELLABLE_STATES,
    SIDE_EFFECT_PROVENANCE,
    TERMINAL_STATES,
    PrecheckFacts,
    SessionEvent,
    SessionState,
    SideEffect,
    SideEffectObservation,
    SideEffectSeverity,
    override,
    phase_for_state,
    precheck_gate,
    transition,
)

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# Test-only values for the settings the reference leaves open (not recommendations).
ESK = default_protocol(Route.ESKETAMINE_NASAL).with_settings(
    predose_caution_heart_rate_bpm=100,
    spo2_alert_below_percent=92,
    respiratory_rate_alert_below_per_min=10,
)
IV_UNSET = default_protocol(Route.RACEMIC_IV).with_settings(
    predose_caution_heart_rate_bpm=100, spo2_alert_below_percent=92
)

# --- lifecycle -------------------------------------------------------------------------------

HAPPY_PATH = [
    (SessionState.SCHEDULED, SessionEvent.CHECK_IN, SessionState.CHECKED_IN),
    (SessionState.CHECKED_IN, SessionEvent.PASS_PRECHECKS, SessionState.PRECHECKS_PASSED),
    (SessionState.PRECHECKS_PASSED, SessionEvent.START_DOSING, SessionState.DOSING),
    (SessionState.DOSING, SessionEvent.END_DOSING, SessionState.RECOVERY),
    (SessionState.RECOVERY, SessionEvent.DISCHARGE, SessionState.DISCHARGED),
    (SessionState.DISCHARGED, SessionEvent.SIGN, SessionState.SIGNED),
    (SessionState.SIGNED, SessionEvent.COSIGN, SessionState.COSIGNED),
]


@pytest.mark.parametrize(("state", "event", "new"), HAPPY_PATH)
def test_legal_forward_transitions(state, event, new):
    assert transition(state, event) is new


def test_strings_are_accepted():
    assert transition("scheduled", "check_in") is SessionState.CHECKED_IN


LEGAL = {(s, e) for s, e, _ in HAPPY_PATH}
LEGAL |= {(s, SessionEvent.CANCEL) for s in CANCELLABLE_STATES}
LEGAL |= {(s, SessionEvent.ABORT) for s in ABORTABLE_STATES}
ILLEGAL = [(s, e) for s in SessionState for e in SessionEvent if (s, e) not in LEGAL]


def test_the_legal_table_is_what_we_think():
    assert len(LEGAL) == 7 + 3 + 2
    assert len(ILLEGAL) == len(SessionState) * len(SessionEvent) - 12


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_every_other_transition_is_refused(state, event):
    with pytest.raises(ClinicalRuleError):
        transition(state, event, reason="a reason")


def test_refusal_names_the_next_step():
    with pytest.raises(ClinicalRuleError) as err:
        transition(SessionState.CHECKED_IN, SessionEvent.START_DOSING)
    assert str(err.value) == (
        "Cannot start dosing a session that is checked in; the next step is: clear the pre-checks"
    )


@pytest.mark.parametrize("state", sorted(CANCELLABLE_STATES))
def test_cancel_before_dosing_needs_a_reason(state):
    for blank in (None, "", "   "):
        with pytest.raises(ClinicalRuleError, match="reason is required to cancel"):
            transition(state, SessionEvent.CANCEL, reason=blank)
    assert transition(state, "cancel", reason="patient unwell") is SessionState.CANCELLED


@pytest.mark.parametrize("state", sorted(ABORTABLE_STATES))
def test_abort_after_dosing_started_needs_a_reason(state):
    with pytest.raises(ClinicalRuleError, match="reason is required to abort"):
        transition(state, SessionEvent.ABORT)
    assert transition(state, "abort", reason="BP 200/120") is SessionState.ABORTED


def test_cancel_once_dosing_started_points_to_abort():
    with pytest.raises(ClinicalRuleError, match="abort it"):
        transition(SessionState.DOSING, SessionEvent.CANCEL, reason="x")


@pytest.mark.parametrize("event", [SessionEvent.CANCEL, SessionEvent.ABORT])
def test_after_discharge_neither_cancel_nor_abort_is_suggested(event):
    with pytest.raises(ClinicalRuleError) as err:
        transition(SessionState.DISCHARGED, event, reason="x")
    assert "cancel it" not in str(err.value) and "abort it" not in str(err.value)


def test_abort_before_dosing_points_to_cancel():
    with pytest.raises(ClinicalRuleError, match="cancel it"):
        transition(SessionState.CHECKED_IN, SessionEvent.ABORT, reason="x")


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_states_never_change(state):
    for event in SessionEvent:
        with pytest.raises(ClinicalRuleError, match="can no longer change"):
            transition(state, event, reason="x")


def test_unknown_state_is_refused():
    with pytest.raises(ClinicalRuleError, match="Unknown"):
        transition("paused", "check_in")


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        ("scheduled", None),
        ("checked_in", Phase.PRE_DOSE),
        ("prechecks_passed", Phase.PRE_DOSE),
        ("dosing", Phase.DOSING),
        ("recovery", Phase.POST_DOSE),
        ("discharged", None),
    ],
)
def test_phase_for_state(state, phase):
    assert phase_for_state(state) is phase


# --- pre-check gate --------------------------------------------------------------------------

GOOD_VITALS = VitalsReading(
    taken_at=at(-5), systolic_mmhg=128, diastolic_mmhg=82, heart_rate_bpm=76, spo2_percent=98
)


def facts(**changes: object) -> PrecheckFacts:
    base = PrecheckFacts(
        checked_at=T0,
        identity_confirmed=Answer.YES,
        last_food_at=at(-180),
        last_liquid_at=at(-45),
        vitals=GOOD_VITALS,
        could_be_pregnant=Answer.NO,
        new_medications_since_last_visit=Answer.NO,
        substance_use_since_last_visit=Answer.NO,
        phq9_completed=Answer.YES,
        cssrs_completed=Answer.YES,
        escort_confirmed=Answer.YES,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def failure_ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in result.failures]


def test_all_checks_documented_and_fine_passes():
    result = precheck_gate(facts(), ESK)
    assert result.passed and result.dosing_allowed and result.failures == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"identity_confirmed": Answer.UNKNOWN}, ["identity"]),
        ({"identity_confirmed": Answer.NO}, ["identity"]),
        ({"last_food_at": None}, ["fasting_food"]),
        ({"last_food_at": at(-119)}, ["fasting_food"]),  # source: S53, no food for 2 h
        ({"last_liquid_at": at(-29)}, ["fasting_liquid"]),  # source: S53, no liquids 30 min
        ({"vitals": None}, ["predose_vitals"]),
        ({"vitals": replace(GOOD_VITALS, spo2_percent=None)}, ["predose_spo2_percent"]),
        (
            {"vitals": replace(GOOD_VITALS, systolic_mmhg=150, diastolic_mmhg=95)},
            ["vitals:bp_above_predose_caution"],
        ),
        ({"vitals": replace(GOOD_VITALS, spo2_percent=90)}, ["vitals:spo2_below_alert_threshold"]),
        ({"could_be_pregnant": Answer.YES}, ["pregnancy"]),  # status unknown
        ({"could_be_pregnant": Answer.UNKNOWN}, ["pregnancy"]),
        ({"could_be_pregnant": Answer.YES, "pregnant": Answer.YES}, ["pregnancy"]),
        ({"new_medications_since_last_visit": Answer.YES}, ["new_medications"]),
        ({"new_medications_since_last_visit": Answer.UNKNOWN}, ["new_medications"]),
        ({"substance_use_since_last_visit": Answer.YES}, ["substance_use"]),
        ({"phq9_completed": Answer.NO}, ["phq9"]),
        ({"cssrs_completed": Answer.UNKNOWN}, ["cssrs"]),
        ({"escort_confirmed": Answer.NO}, ["escort"]),
    ],
)
def test_each_failed_check_blocks_dosing(changes: dict, expected: list[str]):
    result = precheck_gate(facts(**changes), ESK)
    assert failure_ids(result) == expected
    assert not result.passed and not result.dosing_allowed
    assert all(f.reason for f in result.failures)


def test_fasting_boundaries_are_inclusive():
    assert precheck_gate(facts(last_food_at=at(-120), last_liquid_at=at(-30)), ESK).passed


def test_pregnancy_ruled_out_passes():
    assert precheck_gate(facts(could_be_pregnant="yes", pregnant="no"), ESK).passed


def test_failure_reasons_read_clearly():
    result = precheck_gate(
        facts(last_food_at=at(-90), pregnant=Answer.UNKNOWN, could_be_pregnant=Answer.YES), ESK
    )
    reasons = [f.reason for f in result.failures]
    assert reasons == [
        "Last food 90 min ago; 120 min required",
        "Not documented: pregnancy status of a patient who could be pregnant",
    ]


def test_racemic_fasting_unset_fails_and_cannot_be_overridden():
    result = precheck_gate(facts(), IV_UNSET)
    assert failure_ids(result) == ["fasting_food", "fasting_liquid"]
    assert not any(f.overridable for f in result.failures)
    with pytest.raises(ClinicalRuleError, match="cannot be overridden"):
        override(result, "prescriber", "clinically fine")


def test_unconfigured_vitals_threshold_fails_the_gate():
    protocol = default_protocol(Route.ESKETAMINE_NASAL)
    result = precheck_gate(facts(), protocol)
    assert failure_ids(result) == [
        "vitals:spo2_threshold_not_configured",
        "vitals:heart_rate_predose_threshold_not_configured",
    ]
    assert not any(f.overridable for f in result.failures)


def test_food_after_the_precheck_is_refused():
    with pytest.raises(ClinicalRuleError, match="later than the pre-check"):
        facts(last_food_at=at(5))


# --- overrides -------------------------------------------------------------------------------

BP_FAIL = precheck_gate(
    facts(vitals=replace(GOOD_VITALS, systolic_mmhg=150, diastolic_mmhg=92)), ESK
)


@pytest.mark.parametrize("role", ["prescriber", "medical_director"])
def test_prescriber_can_override_with_a_reason(role: str):
    result = override(BP_FAIL, role, "  BP chronically 150/90, benefit outweighs risk ")
    assert result.dosing_allowed
    assert result.passed is False  # what the checks found stays on record
    assert result.override is not None
    assert result.override.reason == "BP chronically 150/90, benefit outweighs risk"
    assert result.failures == BP_FAIL.failures


@pytest.mark.parametrize("role", ["nurse", "front_desk", "billing", ""])
def test_nurse_cannot_override(role: str):
    with pytest.raises(ClinicalRuleError, match="Only a prescriber"):
        override(BP_FAIL, role, "I checked it")


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(reason: str):
    with pytest.raises(ClinicalRuleError, match="documented reason"):
        override(BP_FAIL, "prescriber", reason)


def test_identity_can_never_be_overridden():
    result = precheck_gate(facts(identity_confirmed=Answer.UNKNOWN), ESK)
    with pytest.raises(ClinicalRuleError, match="identity not confirmed"):
        override(result, "prescriber", "I know the patient")


def test_a_passed_gate_has_nothing_to_override():
    with pytest.raises(ClinicalRuleError, match="nothing to override"):
        override(precheck_gate(facts(), ESK), "prescriber", "x")


# --- side effects ----------------------------------------------------------------------------


def test_every_side_effect_has_provenance():
    assert set(SIDE_EFFECT_PROVENANCE) == set(SideEffect)


def test_issue_named_side_effects_are_in_the_catalogue():
    named = ["nausea", "vomiting", "dizziness", "diplopia", "drowsiness", "confusion"]
    named += ["anxiety", "headache", "raised_bp", "dissociation", "blurred_vision"]
    for name in named:
        assert SideEffect(name)


def test_severity_and_serious_flag_are_separate():
    obs = SideEffectObservation("headache", "severe", at(30))
    assert obs.severity is SideEffectSeverity.SEVERE and not obs.reportable
    serious = SideEffectObservation(
        SideEffect.VOMITING, "moderate", at(30), serious_adverse_event=True
    )
    assert serious.reportable
    assert serious.provenance.sources == ("S97",)


def test_other_side_effect_needs_a_description():
    with pytest.raises(ClinicalRuleError, match="Describe"):
        SideEffectObservation(SideEffect.OTHER, SideEffectSeverity.MILD, at(5))
    assert SideEffectObservation("other", "mild", at(5), note="tinnitus").note == "tinnitus"


def test_unknown_severity_is_refused():
    with pytest.raises(ValueError):
        SideEffectObservation("nausea", "extreme", at(5))
