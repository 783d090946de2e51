"""Course outcomes: baseline, percent change, response, remission, rapid response, relapse."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import score
from ketacare.clinical.outcomes import (
    CourseState,
    DatedScore,
    OutcomeSettings,
    course_status,
    find_baseline,
    follow_ups,
    judge_remission,
    judge_response,
    percent_change,
    rapid_response,
)

FIRST = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # first treatment of the course


def at(days: float = 0, hours: float = 0) -> datetime:
    return FIRST + timedelta(days=days, hours=hours)


def phq9(total: int, days: float = 0, hours: float = 0) -> DatedScore:
    return DatedScore("phq9", total, at(days, hours))


def madrs(total: int, days: float = 0) -> DatedScore:
    return DatedScore("madrs", total, at(days))


# --- baseline --------------------------------------------------------------------------------


def test_baseline_is_the_last_score_before_the_first_treatment() -> None:
    scores = [phq9(15, -20), phq9(19, -1), phq9(8, 5), phq9(21, -7)]
    assert find_baseline(scores, first_treatment_at=FIRST) == phq9(19, -1)


def test_a_score_at_the_moment_of_the_first_treatment_is_baseline() -> None:
    scores = [phq9(15, -2), phq9(18, 0)]
    assert find_baseline(scores, first_treatment_at=FIRST) == phq9(18, 0)
    assert follow_ups(scores, first_treatment_at=FIRST) == ()


def test_no_score_before_treatment_means_no_baseline() -> None:
    assert find_baseline([phq9(8, 1)], first_treatment_at=FIRST) is None
    assert find_baseline([], first_treatment_at=FIRST) is None


def test_baseline_max_age_drops_older_scores() -> None:
    scores = [phq9(19, -40)]
    assert find_baseline(scores, first_treatment_at=FIRST, max_age=timedelta(days=30)) is None
    assert find_baseline(scores, first_treatment_at=FIRST, max_age=timedelta(days=40)) == scores[0]


def test_follow_ups_are_sorted_and_after_the_first_treatment() -> None:
    scores = [phq9(8, 9), phq9(19, -1), phq9(12, 2)]
    assert follow_ups(scores, first_treatment_at=FIRST) == (phq9(12, 2), phq9(8, 9))


# --- percent change and response -------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "total", "change"),
    [(20, 10, -50.0), (10, 12, 20.0), (19, 19, 0.0), (4, 0, -100.0), (0, 5, None), (0, 0, None)],
)
def test_percent_change(baseline: int, total: int, change: float | None) -> None:
    assert percent_change(baseline, total) == change


@pytest.mark.parametrize(
    ("baseline", "total", "met"),
    [
        (20, 10, True),  # exactly 50 % counts
        (20, 11, False),  # 45 %
        (19, 9, True),  # 52.6 %
        (19, 10, False),  # 47.4 %
        (9, 4, True),  # 55.6 %
        (9, 5, False),  # 44.4 %
        (1, 0, True),
        (10, 12, False),  # worse
    ],
)
def test_response_is_a_fall_of_at_least_half(baseline: int, total: int, met: bool) -> None:
    judgement = judge_response(phq9(baseline, -1), phq9(total, 10))
    assert judgement.met is met
    assert judgement.provenance.sources == ("S3", "S16", "S29")


def test_response_reason_reads_like_the_screen() -> None:
    judgement = judge_response(phq9(20, -1), phq9(10, 10))
    assert judgement.reason == (
        "PHQ-9 fell 50 % from baseline 20 (2026-02-28) to 10 (2026-03-11); "
        "response is a fall of at least 50 % [S3][S16][S29]"
    )


def test_response_from_baseline_zero_is_undecidable() -> None:
    judgement = judge_response(phq9(0, -1), phq9(0, 10))
    assert judgement.met is None
    assert "percent change from 0 is undefined" in judgement.reason


def test_response_is_not_defined_for_gad7() -> None:
    judgement = judge_response(DatedScore("gad7", 15, at(-1)), DatedScore("gad7", 3, at(10)))
    assert judgement.met is None
    assert "defines no response for GAD-7" in judgement.reason


def test_clinic_response_threshold_and_rounding_never_crosses_it() -> None:
    settings = OutcomeSettings(response_min_fall_percent=30)
    judgement = judge_response(phq9(27, -1), phq9(19, 10), settings=settings)  # 29.63 %
    assert judgement.met is False
    assert "fell 29.6 %" in judgement.reason  # not "30 %", which would read as a response
    assert judgement.provenance.sources == ("clinic setting",)
    with pytest.raises(ClinicalRuleError, match="above the safe maximum"):
        judge_response(phq9(27, -1), phq9(19, 10), settings=OutcomeSettings(101))


def test_comparing_two_instruments_is_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="cannot compare phq9 with madrs"):
        judge_response(phq9(20, -1), madrs(10, 3))


# --- remission -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "total", "threshold", "met"),
    [
        ("phq9", 4, None, True),
        ("phq9", 5, None, False),
        ("madrs", 10, None, True),
        ("madrs", 11, None, False),
        ("madrs", 12, 12, True),
        ("madrs", 13, 12, False),
        ("qids_sr16", 5, None, True),
        ("qids_sr16", 6, None, False),
        ("gad7", 0, None, None),
        ("pain_nrs", 0, None, None),
    ],
)
def test_remission_boundaries(code: str, total: int, threshold: int | None, met: bool) -> None:
    judgement = judge_remission(
        DatedScore(code, total, at(10)), settings=OutcomeSettings(remission_threshold=threshold)
    )
    assert judgement.met is met


def test_remission_sources_follow_the_threshold_in_force() -> None:
    assert judge_remission(madrs(9, 3)).provenance.sources == ("S17", "S37")
    twelve = judge_remission(madrs(9, 3), settings=OutcomeSettings(remission_threshold=12))
    assert twelve.provenance.sources == ("S18",)
    eleven = judge_remission(madrs(9, 3), settings=OutcomeSettings(remission_threshold=11))
    assert eleven.provenance.sources == ("clinic setting",)


def test_madrs_remission_threshold_outside_10_to_12_is_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="below the safe minimum"):
        judge_remission(madrs(9, 3), settings=OutcomeSettings(remission_threshold=9))


def test_remission_reason() -> None:
    assert judge_remission(phq9(4, 10)).reason == (
        "PHQ-9 4 (2026-03-11) is below 5; remission is PHQ-9 < 5 [S29][S16][S18]"
    )
    assert judge_remission(madrs(11, 10)).reason == (
        "MADRS 11 (2026-03-11) is above 10; remission is MADRS ≤ 10 [S17][S37]"
    )


# --- rapid response --------------------------------------------------------------------------


def test_rapid_response_uses_the_assessment_nearest_each_time_point() -> None:
    scores = [
        phq9(20, -1),
        phq9(12, hours=4),  # 20 h from the 24 h mark: outside a 12 h window
        phq9(9, hours=30),  # 6 h after 24 h
        phq9(11, hours=20),  # 4 h before 24 h: nearest
        phq9(13, days=7, hours=-2),
    ]
    day1, week1 = rapid_response(
        scores, code="phq9", first_treatment_at=FIRST, window=timedelta(hours=12)
    )
    assert day1.time_point == "24 h" and day1.target_at == at(1)
    assert day1.assessment == phq9(11, hours=20)
    assert day1.judgement.met is False  # 45 %
    assert week1.time_point == "1 week" and week1.assessment == phq9(13, days=7, hours=-2)
    assert week1.judgement.met is False
    assert day1.provenance.verified is False


def test_rapid_response_tie_goes_to_the_earlier_assessment() -> None:
    scores = [phq9(20, -1), phq9(12, hours=26), phq9(10, hours=22)]
    day1, _ = rapid_response(
        scores, code="phq9", first_treatment_at=FIRST, window=timedelta(hours=6)
    )
    assert day1.assessment == phq9(10, hours=22)
    assert day1.judgement.met is True


def test_rapid_response_without_an_assessment_in_the_window_is_undecided() -> None:
    scores = [phq9(20, -1), phq9(8, days=3)]
    day1, week1 = rapid_response(
        scores, code="phq9", first_treatment_at=FIRST, window=timedelta(hours=12)
    )
    assert day1.assessment is None and day1.judgement.met is None
    assert day1.judgement.reason == (
        "No PHQ-9 score within 12 h of 24 h after the first treatment (2026-03-02 10:00)"
    )
    assert week1.judgement.met is None


def test_rapid_response_never_uses_a_pre_treatment_score() -> None:
    scores = [phq9(20, -1, hours=23)]  # 1 h before the first treatment
    day1, _ = rapid_response(
        scores, code="phq9", first_treatment_at=FIRST, window=timedelta(days=2)
    )
    assert day1.assessment is None


def test_rapid_response_without_baseline() -> None:
    day1, _ = rapid_response(
        [phq9(5, 1)], code="phq9", first_treatment_at=FIRST, window=timedelta(hours=12)
    )
    assert day1.judgement.met is None
    assert "No PHQ-9 baseline" in day1.judgement.reason


@pytest.mark.parametrize("window", [timedelta(0), timedelta(hours=-1)])
def test_rapid_response_needs_a_positive_window(window: timedelta) -> None:
    with pytest.raises(ClinicalRuleError, match="window must be a positive duration"):
        rapid_response([], code="phq9", first_treatment_at=FIRST, window=window)


# --- course status ---------------------------------------------------------------------------


def status(scores: list[DatedScore], code: str = "phq9", **settings: object):  # type: ignore[no-untyped-def]
    return course_status(
        scores,
        code=code,
        first_treatment_at=FIRST,
        settings=OutcomeSettings(**settings),  # type: ignore[arg-type]
    )


def test_responder_with_the_reason_for_the_screen() -> None:
    result = status([phq9(19, -1), phq9(12, 7), phq9(8, 19)])
    assert result.status is CourseState.RESPONDER
    assert result.reason == (
        "Responder: PHQ-9 fell 58 % from baseline 19 (2026-02-28) to 8 (2026-03-20); "
        "response is a fall of at least 50 % [S3][S16][S29]"
    )
    assert result.response_reached_at == at(19)
    assert result.percent_change == pytest.approx(-57.894736842)


def test_remitter_takes_precedence_over_responder() -> None:
    result = status([phq9(19, -1), phq9(4, 19)])
    assert result.status is CourseState.REMITTER
    assert result.reason.startswith("Remitter: PHQ-9 4 (2026-03-20) is below 5")
    assert result.provenance.sources == ("S29", "S16", "S18")


def test_remission_without_a_fifty_percent_fall_is_still_remission() -> None:
    result = status([phq9(7, -1), phq9(4, 10)])  # 43 % fall, but < 5
    assert result.status is CourseState.REMITTER


def test_not_yet_responding() -> None:
    result = status([phq9(19, -1), phq9(15, 9)])
    assert result.status is CourseState.NOT_YET_RESPONDING
    assert result.reason == (
        "Not yet responding: PHQ-9 fell 21 % from baseline 19 (2026-02-28) to 15 "
        "(2026-03-10); response is a fall of at least 50 % [S3][S16][S29]"
    )


def test_worse_than_baseline_says_rose() -> None:
    result = status([phq9(10, -1), phq9(12, 9)])
    assert "PHQ-9 rose 20 % from baseline 10" in result.reason


def test_no_baseline() -> None:
    result = status([phq9(8, 3)])
    assert result.status is CourseState.NO_BASELINE
    assert result.reason == (
        "No baseline: no PHQ-9 score at or before the first treatment (2026-03-01 10:00)"
    )


def test_no_baseline_when_the_only_one_is_too_old() -> None:
    result = status([phq9(19, -60), phq9(8, 3)], baseline_max_age=timedelta(days=30))
    assert result.status is CourseState.NO_BASELINE
    assert "within 30 days" in result.reason


def test_no_follow_up() -> None:
    result = status([phq9(19, -1)])
    assert result.status is CourseState.NO_FOLLOW_UP
    assert result.baseline == phq9(19, -1)


def test_baseline_zero_is_not_evaluated() -> None:
    result = status([phq9(0, -1), phq9(3, 7)])
    assert result.status is CourseState.NOT_EVALUATED
    assert result.percent_change is None
    assert "percent change from 0 is undefined" in result.reason
    assert result.remission is not None and result.remission.met is True


def test_gad7_course_is_not_evaluated_but_keeps_the_numbers() -> None:
    scores = [DatedScore("gad7", 16, at(-1)), DatedScore("gad7", 4, at(7))]
    result = status(scores, code="gad7")
    assert result.status is CourseState.NOT_EVALUATED
    assert result.percent_change == -75.0
    assert "no response or remission for GAD-7" in result.reason


def test_one_assessment_without_response_after_response_is_response_lost() -> None:
    result = status([phq9(19, -1), phq9(8, 9), phq9(12, 19)])
    assert result.status is CourseState.RESPONSE_LOST
    assert result.response_reached_at == at(9)
    assert "Response was last met on 2026-03-10" in result.reason
    assert "(project rule, unverified)" in result.reason


def test_two_consecutive_assessments_without_response_is_relapse() -> None:
    result = status([phq9(19, -1), phq9(8, 9), phq9(12, 19), phq9(14, 26)])
    assert result.status is CourseState.RELAPSE
    assert result.relapse_at == at(26)
    assert result.provenance.verified is False
    assert result.reason == (
        "Relapse: after response on 2026-03-10, PHQ-9 was 12 (2026-03-20) and 14 (2026-03-27), "
        "both short of a 50 % fall from baseline 19 (2026-02-28); relapse is loss of response "
        "on two consecutive assessments (project rule, unverified)"
    )


def test_a_response_between_two_losses_resets_the_count() -> None:
    result = status([phq9(19, -1), phq9(8, 9), phq9(12, 12), phq9(9, 15), phq9(12, 19)])
    assert result.status is CourseState.RESPONSE_LOST


def test_regaining_response_after_relapse_is_responder_again() -> None:
    result = status([phq9(19, -1), phq9(8, 9), phq9(12, 12), phq9(14, 15), phq9(9, 22)])
    assert result.status is CourseState.RESPONDER
    assert result.response_reached_at == at(9)


def test_an_assessment_in_remission_keeps_the_benefit() -> None:
    # baseline 8: 4 is remission (< 5) and 50 %; 5 is 37.5 %, 6 is 25 %
    result = status([phq9(8, -1), phq9(4, 9), phq9(5, 12), phq9(6, 15)])
    assert result.status is CourseState.RELAPSE


@pytest.mark.parametrize(
    ("totals_and_days", "state"),
    [
        ([(24, 12), (26, 19)], CourseState.RELAPSE),  # 7 days apart
        ([(24, 12), (26, 17)], CourseState.RELAPSE),  # 5 days: lower edge
        ([(24, 12), (26, 27)], CourseState.RELAPSE),  # 15 days: upper edge
        ([(24, 12), (26, 16)], CourseState.RESPONSE_LOST),  # 4 days
        ([(24, 12), (26, 28)], CourseState.RESPONSE_LOST),  # 16 days
        ([(21, 12), (26, 19)], CourseState.RESPONSE_LOST),  # 21 is below 22
        ([(22, 12), (22, 19)], CourseState.RELAPSE),  # 22 counts, although it is a 50 % fall
        ([(22, 12)], CourseState.RESPONDER),  # one value >= 22 that is still a 50 % fall
        ([(24, 12)], CourseState.RESPONSE_LOST),
        ([(24, 12), (21, 19), (25, 26)], CourseState.RESPONSE_LOST),  # not consecutive
    ],
)
def test_sustain1_relapse_rule(totals_and_days: list[tuple[int, int]], state: CourseState) -> None:
    scores = [madrs(44, -1), madrs(20, 5)] + [madrs(t, d) for t, d in totals_and_days]
    result = status(scores, code="madrs", relapse_rule="sustain1_madrs")
    assert result.status is state
    if state is CourseState.RELAPSE:
        assert result.provenance.sources == ("S86", "S87")
        assert result.provenance.verified is False


def test_sustain1_rule_is_only_for_madrs() -> None:
    with pytest.raises(ClinicalRuleError, match="defined on MADRS, not PHQ-9"):
        status([phq9(19, -1), phq9(8, 9), phq9(12, 19)], relapse_rule="sustain1_madrs")


def test_unknown_relapse_rule_is_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="Relapse rule"):
        status([phq9(19, -1), phq9(8, 9), phq9(12, 19)], relapse_rule="three_strikes")


# --- input checks ----------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="timezone-aware"):
        DatedScore("phq9", 5, datetime(2026, 3, 1, 9, 0))
    with pytest.raises(ClinicalRuleError, match="timezone-aware"):
        course_status([], code="phq9", first_treatment_at=datetime(2026, 3, 1))


@pytest.mark.parametrize(
    ("code", "total", "message"),
    [
        ("phq9", 28, "PHQ-9 total 28 is outside 0–27"),
        ("phq9", -1, "PHQ-9 total -1 is outside 0–27"),
        ("madrs", True, "MADRS total True is not a whole number"),
        ("cssrs_screen", 0, "C-SSRS Screener has no total; outcomes do not apply"),
        ("bdi", 3, "unknown instrument 'bdi'"),
    ],
)
def test_dated_score_checks(code: str, total: object, message: str) -> None:
    with pytest.raises(ClinicalRuleError, match=re.escape(message)):
        DatedScore(code, total, at())  # type: ignore[arg-type]


def test_mixed_instruments_are_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="scores mix instruments"):
        status([phq9(19, -1), madrs(10, 3)])


def test_cssrs_has_no_course_status() -> None:
    with pytest.raises(ClinicalRuleError, match="no total"):
        course_status([], code="cssrs_screen", first_treatment_at=FIRST)


def test_dated_score_from_a_score() -> None:
    dated = DatedScore.from_score(score("phq9", [1] * 9), at=at(2))
    assert dated == DatedScore("phq9", 9, at(2))
    with pytest.raises(ClinicalRuleError, match="no total"):
        DatedScore.from_score(score("cssrs_screen", [0] * 7), at=at(2))


def test_every_outcome_setting_is_a_configurable_default_declared_once() -> None:
    from ketacare.clinical import instruments, outcomes

    keys = [d.key for d in outcomes.CONFIGURABLE_DEFAULTS]
    assert keys == [
        "outcomes.response_min_fall_percent",
        "outcomes.remission.phq9",
        "outcomes.remission.madrs",
        "outcomes.remission.qids_sr16",
        "outcomes.relapse_rule",
    ]
    # the thresholds the instruments carry are these very objects, not copies
    for code in ("phq9", "madrs", "qids_sr16"):
        instrument = instruments.INSTRUMENTS[code]
        assert instrument.remission is not None and instrument.response is not None
        assert instrument.remission.threshold in outcomes.CONFIGURABLE_DEFAULTS
        assert instrument.response.min_fall_percent is instruments.RESPONSE_MIN_FALL_PERCENT
    both = set(outcomes.CONFIGURABLE_DEFAULTS) & set(instruments.CONFIGURABLE_DEFAULTS)
    assert not both  # registered once, under one module
