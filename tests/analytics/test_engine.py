"""The SQL engine on DuckDB gives, patient by patient, what ``clinical.outcomes`` gives."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketacare.analytics.derived import derive
from ketacare.analytics.engine import open_export
from ketacare.analytics.layout import write_table
from ketacare.clinical.cohorts import (
    OutcomeCounts,
    OutcomeDefinition,
    PatientScores,
    kaplan_meier,
    outcome_definition,
    patient_outcome,
    tally,
)
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import (
    SUSTAIN1_MADRS,
    CourseState,
    DatedScore,
    OutcomeSettings,
    follow_ups,
    judge_response,
)
from tests.analytics.export_builder import CraftedPatient, write_export

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def phq9(total: int, days: float, hours: float = 0) -> DatedScore:
    return DatedScore("phq9", total, at(days, hours))


def expected_rows(patients: list[CraftedPatient], definition: OutcomeDefinition) -> dict:
    """Per treated patient, what outcomes.py says (the reference implementation)."""
    result = {}
    for p in patients:
        if p.first_treatment_at is None:
            continue
        first = min([p.first_treatment_at, *p.extra_courses])
        scores = [s for s in p.scores if s.code == definition.code]
        status = patient_outcome(PatientScores(p.patient_id, first, scores), definition)
        evaluated = (
            status.baseline is not None
            and status.latest is not None
            and (status.status is not CourseState.NOT_EVALUATED)
        )
        response = (
            evaluated
            and judge_response(status.baseline, status.latest, settings=definition.settings).met
        )
        reached = (
            None
            if status.response_reached_at is None
            else int((status.response_reached_at - first).total_seconds() // 60)
        )
        result[p.patient_id] = {
            "state": status.status.value,
            "responder": int(bool(response)),
            "remitter": int(bool(evaluated and status.remission and status.remission.met)),
            "reached_after_min": reached,
            "first_relapse_after_min": first_relapse(first, scores, definition),
        }
    return result


def first_relapse(first: datetime, scores: list[DatedScore], definition: OutcomeDefinition):
    """Minutes to the first moment the course status reads "relapse" (prefix by prefix)."""
    window = (
        [s for s in scores if s.at <= first + timedelta(days=definition.follow_up_days)]
        if definition.follow_up_days is not None
        else scores
    )
    later = follow_ups(window, first_treatment_at=first)
    before = [s for s in window if s.at <= first]
    for end in range(1, len(later) + 1):
        status = patient_outcome(PatientScores(0, first, [*before, *later[:end]]), definition)
        if status.status is CourseState.RELAPSE:
            return int((status.relapse_at - first).total_seconds() // 60)
    return None


def engine_rows(directory: Path, definition: OutcomeDefinition) -> dict:
    rows = open_export(directory).patient_outcomes([definition])
    keys = ("state", "responder", "remitter", "reached_after_min", "first_relapse_after_min")
    return {row["patient_id"]: {k: row[k] for k in keys} for row in rows}


# --- a crafted cohort -------------------------------------------------------------------------

CRAFTED = [
    CraftedPatient(1, T0, (phq9(8, 3),)),  # no baseline
    CraftedPatient(2, T0, (phq9(20, -2),)),  # no follow-up
    CraftedPatient(3, T0, (phq9(0, -1), phq9(3, 7))),  # baseline 0
    CraftedPatient(4, T0, (phq9(20, -1), phq9(10, 7))),  # exactly 50 %
    CraftedPatient(5, T0, (phq9(21, -1), phq9(11, 7)), route="esketamine_nasal"),  # 47.6 %
    CraftedPatient(6, T0, (phq9(20, -1), phq9(4, 14)), route="esketamine_nasal"),
    CraftedPatient(7, T0, (phq9(6, -1), phq9(4, 14))),  # remission without response
    CraftedPatient(8, T0, (phq9(20, -1), phq9(8, 7), phq9(15, 14), phq9(16, 21))),  # relapse
    CraftedPatient(9, T0, (phq9(24, -1), phq9(10, -1), phq9(5, 7))),  # tie at baseline
    CraftedPatient(10, T0, (phq9(20, -1), phq9(8, 7), phq9(14, 7))),  # tie at the latest
    CraftedPatient(11, T0, (phq9(18, 0),)),  # at the first treatment: baseline
    CraftedPatient(12, None, (phq9(18, -1), phq9(2, 5))),  # never treated: not in the cohort
    CraftedPatient(  # relapse, regained response, then lost it once: response lost
        13,
        T0,
        (phq9(22, -3), phq9(9, 4), phq9(16, 8), phq9(17, 12), phq9(8, 20), phq9(14, 27)),
        clinic_id=2,
    ),
    CraftedPatient(  # second course later: the first course's start is the index
        14, T0, (phq9(20, -1), phq9(9, 10), phq9(4, 250)), extra_courses=(at(200),)
    ),
    CraftedPatient(15, T0, (phq9(20, -1), DatedScore("gad7", 3, at(2)), phq9(12, 7))),
]


@pytest.fixture(scope="module")
def crafted_export(tmp_path_factory) -> Path:
    return write_export(tmp_path_factory.mktemp("crafted"), CRAFTED)


@pytest.mark.parametrize("follow_up_days", [None, 9])
def test_engine_agrees_with_outcomes_patient_by_patient(crafted_export, follow_up_days):
    definition = outcome_definition("phq9", follow_up_days=follow_up_days)
    assert engine_rows(crafted_export, definition) == expected_rows(CRAFTED, definition)


def test_engine_counts_equal_the_tally_of_course_statuses(crafted_export):
    definition = outcome_definition("phq9")
    treated = [
        PatientScores(p.patient_id, p.first_treatment_at, [s for s in p.scores if s.code == "phq9"])
        for p in CRAFTED
        if p.first_treatment_at is not None
    ]
    (summary,) = open_export(crafted_export).outcomes(instrument="phq9")
    assert summary.counts == tally(treated, definition)
    assert summary.counts.patients == 14
    assert summary.counts.no_baseline == 1 and summary.counts.baseline_zero == 1
    assert summary.response.denominator == summary.counts.evaluated


def test_groups_and_filters(crafted_export):
    analytics = open_export(crafted_export)
    by_route = {
        s.group["route"]: s.counts.patients
        for s in analytics.outcomes(instrument="phq9", by=["route"])
    }
    assert by_route == {"esketamine_nasal": 2, "racemic_iv": 12}
    (clinic2,) = analytics.outcomes(instrument="phq9", filters={"clinic": 2})
    assert clinic2.counts.patients == 1 and clinic2.response.suppressed


@pytest.mark.parametrize(
    ("by", "filters"),
    [(["name"], {}), ([], {"route": "iv'; DROP TABLE x"}), ([], {"clinic": "1"})],
)
def test_unknown_dimensions_and_unsafe_values_are_refused(crafted_export, by, filters):
    with pytest.raises(ClinicalRuleError):
        open_export(crafted_export).outcomes(instrument="phq9", by=by, filters=filters)


def test_time_to_response_curve_equals_kaplan_meier_of_course_statuses(crafted_export):
    definition = outcome_definition("phq9")
    expected = expected_rows(CRAFTED, definition)
    durations, events = [], []
    for p in CRAFTED:
        row = expected.get(p.patient_id)
        if row is None or row["state"] in ("no baseline", "no follow-up", "not evaluated"):
            continue
        scores = [s for s in p.scores if s.code == "phq9"]
        latest = follow_ups(scores, first_treatment_at=T0)[-1].at
        reached = row["reached_after_min"]
        durations.append(
            (reached if reached is not None else (latest - T0).total_seconds() // 60) / 1440
        )
        events.append(reached is not None)
    (curve,) = open_export(crafted_export).time_to_response(instrument="phq9")
    assert curve.curve == kaplan_meier(durations, events)


def test_durability_counts_responders_and_their_first_relapse(crafted_export):
    (curve,) = open_export(crafted_export).durability(instrument="phq9")
    reached = [
        r
        for r in expected_rows(CRAFTED, outcome_definition("phq9")).values()
        if r["reached_after_min"] is not None
    ]
    assert curve.curve.subjects == len(reached)
    assert (
        sum(curve.curve.events)
        == sum(r["first_relapse_after_min"] is not None for r in reached)
        == 2
    )


def write_scores(directory: Path, **columns: list) -> None:
    """Replace the observations of an export by ``columns`` as given (derived ones included),
    for exports a writer other than ``derive`` might produce."""
    write_table(directory, "observations", {"patient_id": [1] * len(columns["score"])} | columns)


# two PHQ-9 scores of patient 1, whose first treatment is at minute 86,940
BEFORE_AND_AFTER = {
    "instrument": ["phq9", "phq9"],
    "at_min": [86_400, 96_000],
    "score": [20, 8],
    "si_item": [None, None],
    "after_first_treatment_min": [-540, 9060],
    "next_after_first_treatment_min": [9060, None],
    "baseline_score": [20, 20],
    "baseline_age_min": [540, 540],
    "lowest_follow_up_score": [None, 8],
    "previous_follow_up_score": [None, None],
}


def test_the_writer_refuses_scores_whose_ids_are_not_in_time_order():
    courses = {"patient_id": [1], "course_id": [10], "first_treatment_min": [86_940]}
    later_first = {"observation_id": [1, 2], "at_min": [96_000, 86_400], "score": [8, 20]}
    split = {"observation_id": [1, 2, 3], "at_min": [86_400, 90_000, 96_000], "score": [20, 5, 8]}
    for rows, instruments in ((later_first, ["phq9", "phq9"]), (split, ["phq9", "gad7", "phq9"])):
        rows |= {"patient_id": [1] * len(instruments), "instrument": instruments}
        with pytest.raises(ClinicalRuleError, match="in time order"):
            derive(courses, rows)


def test_figures_reading_every_score_refuse_misordered_observation_ids(tmp_path):
    write_export(tmp_path, [CraftedPatient(1, T0, (phq9(20, -1), phq9(8, 7)))])
    write_scores(tmp_path, observation_id=[2, 1], **BEFORE_AND_AFTER)  # the later score first
    analytics = open_export(tmp_path)
    for figure in (analytics.time_to_response, analytics.durability):
        with pytest.raises(ClinicalRuleError, match="not consecutive and in time order"):
            figure(instrument="phq9")
    write_scores(tmp_path, observation_id=[1, 2], **BEFORE_AND_AFTER)
    assert open_export(tmp_path).outcomes(instrument="phq9")[0].counts.responders == 1


@pytest.mark.parametrize(
    "broken",
    [
        {"next_after_first_treatment_min": [None, None]},  # two latest scores
        {"lowest_follow_up_score": [None, None]},
        {"lowest_follow_up_score": [None, 9]},  # above the score itself
    ],
)
def test_derived_facts_that_contradict_the_latest_score_are_refused(tmp_path, broken):
    """The counts read one row per patient and instrument; what that row contradicts is seen."""
    write_export(tmp_path, [CraftedPatient(1, T0, (phq9(20, -1), phq9(8, 7)))])
    write_scores(tmp_path, observation_id=[1, 2], **(BEFORE_AND_AFTER | broken))
    with pytest.raises(ClinicalRuleError, match="not consecutive and in time order"):
        open_export(tmp_path).outcomes(instrument="phq9")


def test_an_incomplete_export_is_refused(tmp_path):
    with pytest.raises(ClinicalRuleError, match="not a complete export"):
        open_export(tmp_path)


# --- random cohorts against outcomes.py ------------------------------------------------------

HOURS = st.sampled_from([-72, -24, -1, 0, 0, 1, 6, 24, 24, 96, 168, 170, 288, 400, 401, 700])


@st.composite
def random_cohort(draw, code: str = "phq9", high: int = 27) -> list[CraftedPatient]:
    patients = []
    for number in range(1, draw(st.integers(min_value=1, max_value=6)) + 1):
        scores = draw(
            st.lists(st.tuples(HOURS, st.integers(min_value=0, max_value=high)), max_size=9)
        )
        patients.append(
            CraftedPatient(
                number,
                T0,
                tuple(DatedScore(code, total, at(0, hours)) for hours, total in scores),
                route=draw(st.sampled_from(["racemic_iv", "esketamine_nasal"])),
            )
        )
    return patients


def check_agreement(patients: list[CraftedPatient], definition: OutcomeDefinition) -> None:
    with tempfile.TemporaryDirectory() as directory:
        write_export(Path(directory), patients)
        assert engine_rows(Path(directory), definition) == expected_rows(patients, definition)
        # the counts read only each patient's latest score in the window (default relapse rule)
        counts = open_export(Path(directory)).outcome_counts([definition])
        treated = [
            PatientScores(
                p.patient_id,
                min([p.first_treatment_at, *p.extra_courses]),
                [s for s in p.scores if s.code == definition.code],
            )
            for p in patients
            if p.first_treatment_at is not None
        ]
        assert counts.get((definition.code, ()), OutcomeCounts()) == tally(treated, definition)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cohort(), st.sampled_from([None, 10]), st.sampled_from([None, 50, 30]))
def test_random_cohorts_agree_with_outcomes(patients, follow_up_days, fall_percent):
    definition = outcome_definition(
        "phq9",
        settings=OutcomeSettings(response_min_fall_percent=fall_percent),
        follow_up_days=follow_up_days,
    )
    check_agreement(patients, definition)


MADRS_DAYS = st.sampled_from([-3, -1, 0, 2, 4, 9, 14, 20, 24, 39, 40, 55])


@st.composite
def madrs_cohort(draw) -> list[CraftedPatient]:
    patients = []
    for number in range(1, draw(st.integers(min_value=1, max_value=5)) + 1):
        scores = draw(
            st.lists(
                st.tuples(MADRS_DAYS, st.sampled_from([0, 8, 10, 12, 18, 21, 22, 25, 30, 44])),
                max_size=8,
            )
        )
        patients.append(
            CraftedPatient(number, T0, tuple(DatedScore("madrs", s, at(d)) for d, s in scores))
        )
    return patients


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(madrs_cohort(), st.sampled_from([None, 12]))
def test_sustain1_relapse_rule_agrees_with_outcomes(patients, remission_threshold):
    definition = outcome_definition(
        "madrs",
        settings=OutcomeSettings(
            relapse_rule=SUSTAIN1_MADRS, remission_threshold=remission_threshold
        ),
    )
    check_agreement(patients, definition)


def test_baseline_age_limit_agrees_with_outcomes(tmp_path):
    patients = [
        CraftedPatient(1, T0, (phq9(20, -40), phq9(8, 7))),
        CraftedPatient(2, T0, (phq9(20, -40), phq9(18, -10), phq9(8, 7))),
    ]
    definition = outcome_definition(
        "phq9", settings=OutcomeSettings(baseline_max_age=timedelta(days=30))
    )
    write_export(tmp_path, patients)
    rows = engine_rows(tmp_path, definition)
    assert rows == expected_rows(patients, definition)
    assert rows[1]["state"] == "no baseline" and rows[2]["state"] == "responder"


def test_sustain1_relapse_may_start_at_the_assessment_that_reached_response(tmp_path):
    # MADRS 44 -> 22 is a 50 % fall (response) but 22 never keeps the benefit under SUSTAIN-1,
    # so 22 then 25 a week later is a relapse whose first value is the responding assessment.
    madrs = [DatedScore("madrs", total, at(days)) for days, total in ((-1, 44), (2, 22), (9, 25))]
    patients = [CraftedPatient(1, T0, tuple(madrs))]
    definition = outcome_definition("madrs", settings=OutcomeSettings(relapse_rule=SUSTAIN1_MADRS))
    write_export(tmp_path, patients)
    rows = engine_rows(tmp_path, definition)
    assert rows == expected_rows(patients, definition)
    assert rows[1]["state"] == "relapse" and rows[1]["first_relapse_after_min"] == 9 * 1440
