"""Scoring of every instrument: totals, band boundaries, flags, C-SSRS triage and refusals."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    QIDS_DOMAINS,
    ScoringSettings,
    score,
)

SCORED = [code for code, inst in INSTRUMENTS.items() if inst.score_range is not None]


def answers_for(code: str, total: int) -> list[int]:
    """Answers that add up to ``total`` (for QIDS-SR16: one item per domain carries the score)."""
    inst = INSTRUMENTS[code]
    answers = [0] * len(inst.items)
    slots = (
        [items[0] - 1 for _, items in QIDS_DOMAINS]
        if code == "qids_sr16"
        else list(range(len(answers)))
    )
    remaining = total
    for slot in slots:
        take = min(remaining, inst.items[slot].maximum)
        answers[slot] = take
        remaining -= take
    assert remaining == 0, f"{total} is not reachable for {code}"
    return answers


# --- bands -----------------------------------------------------------------------------------

BANDS = [
    *[
        ("phq9", t, s)
        for t, s in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately severe"),
            (19, "moderately severe"),
            (20, "severe"),
            (27, "severe"),
        ]
    ],
    *[
        ("gad7", t, s)
        for t, s in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (21, "severe"),
        ]
    ],
    *[
        ("madrs", t, s)
        for t, s in [
            (0, "normal"),
            (6, "normal"),
            (7, "mild"),
            (19, "mild"),
            (20, "moderate"),
            (34, "moderate"),
            (35, "severe"),
            (60, "severe"),
        ]
    ],
    *[
        ("qids_sr16", t, s)
        for t, s in [
            (0, "none"),
            (5, "none"),
            (6, "mild"),
            (10, "mild"),
            (11, "moderate"),
            (15, "moderate"),
            (16, "severe"),
            (20, "severe"),
            (21, "very severe"),
            (27, "very severe"),
        ]
    ],
    *[
        ("pain_nrs", t, s)
        for t, s in [
            (0, None),
            (1, "mild"),
            (3, "mild"),
            (4, "moderate"),
            (6, "moderate"),
            (7, "severe"),
            (10, "severe"),
        ]
    ],
    *[("pcl5", t, None) for t in (0, 31, 33, 80)],
    *[("cadss6", t, None) for t in (0, 4, 5, 24)],
    *[("moaas", t, None) for t in range(6)],
]


@pytest.mark.parametrize(("code", "total", "severity"), BANDS)
def test_band_boundaries(code: str, total: int, severity: str | None) -> None:
    result = score(code, answers_for(code, total))
    assert result.total == total
    assert result.severity == severity
    assert result.code == code
    assert result.scorer_version == f"{code}/1"


def test_every_band_table_covers_the_score_range_without_gaps() -> None:
    for inst in INSTRUMENTS.values():
        if not inst.bands:
            continue
        assert inst.score_range is not None
        low, high = inst.score_range
        first = 1 if inst.code == "pain_nrs" else low  # pain NRS 0 has no band in the reference
        assert inst.bands[0].low == first, inst.code
        assert inst.bands[-1].high == high, inst.code
        for a, b in zip(inst.bands, inst.bands[1:], strict=False):
            assert b.low == a.high + 1, inst.code


# --- totals --------------------------------------------------------------------------------


def test_phq9_total_is_the_sum_of_items() -> None:
    result = score("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0])
    assert result.total == 12
    assert result.item_scores == (0, 1, 2, 3, 0, 1, 2, 3, 0)
    assert result.band is not None and result.band.provenance.sources == ("S63",)


def test_gad7_positive_screen_starts_at_10() -> None:
    assert score("gad7", answers_for("gad7", 9)).positive_screen is False
    assert score("gad7", answers_for("gad7", 10)).positive_screen is True
    assert score("phq9", answers_for("phq9", 10)).positive_screen is None


def test_qids_takes_the_maximum_within_each_domain_and_never_sums_16_items() -> None:
    answers = [1, 3, 2, 0, 2, 0, 1, 3, 0, 1, 2, 0, 3, 1, 2, 3]
    result = score("qids_sr16", answers)
    assert dict(result.domain_scores) == {
        "sleep": 3,
        "sad_mood": 2,
        "appetite_weight": 3,
        "concentration": 1,
        "self_view": 2,
        "suicidal_ideation": 0,
        "interest": 3,
        "energy": 1,
        "psychomotor": 3,
    }
    assert result.total == 18
    assert sum(answers) == 24  # the wrong, 16-item sum
    assert result.severity == "severe"


def test_qids_all_items_at_maximum_is_27_not_48() -> None:
    assert score("qids_sr16", [3] * 16).total == 27


def test_domain_scores_are_empty_for_other_instruments() -> None:
    assert dict(score("phq9", [0] * 9).domain_scores) == {}


# --- flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "flags"),
    [
        ("phq9", [0] * 9, set()),
        ("phq9", [3] * 8 + [0], set()),
        ("phq9", [0] * 8 + [1], {"suicidal_ideation"}),
        ("phq9", [0] * 8 + [3], {"suicidal_ideation"}),
        ("qids_sr16", [0] * 16, set()),
        ("qids_sr16", [3] * 11 + [0] + [3] * 4, set()),
        ("qids_sr16", [0] * 11 + [1] + [0] * 4, {"suicidal_ideation"}),
        ("madrs", [0] * 9 + [6], set()),  # MADRS item 10 is not a suicidal-ideation flag
        ("gad7", [3] * 7, set()),
        ("pcl5", [4] * 20, set()),  # no probable-PTSD cutoff unless the clinic sets one
        ("cadss6", [4] * 6, set()),  # CADSS > 4 belongs to the full scale, not CADSS-6
        ("pain_nrs", [10], set()),
        ("moaas", [5], set()),
        ("moaas", [4], set()),
        ("moaas", [3], {"sedation"}),
        ("moaas", [1], {"sedation"}),
        ("moaas", [0], {"sedation", "loss_of_consciousness"}),
    ],
)
def test_flags(code: str, answers: list[int], flags: set[str]) -> None:
    assert score(code, answers).flags == frozenset(flags)


def test_phq9_item9_flag_cites_s20_and_is_verified() -> None:
    (reason,) = score("phq9", [0] * 8 + [2]).flag_reasons
    assert reason.flag == "suicidal_ideation"
    assert reason.provenance.sources == ("S20",)
    assert reason.provenance.verified is True


def test_qids_item12_flag_is_a_project_rule_marked_unverified() -> None:
    (reason,) = score("qids_sr16", [0] * 11 + [2] + [0] * 4).flag_reasons
    assert reason.provenance.verified is False
    assert "project rule" in reason.provenance.sources


def test_moaas_sedation_is_unverified_and_loss_of_consciousness_cites_s56() -> None:
    reasons = {r.flag: r for r in score("moaas", [0]).flag_reasons}
    assert reasons["sedation"].provenance.verified is False
    assert reasons["loss_of_consciousness"].provenance.sources == ("S56",)


@pytest.mark.parametrize(
    ("level", "description"),
    [
        (5, "responds readily to name in a normal tone"),
        (3, "responds only to a loud or repeated name"),
        (0, "no response to a painful trapezius squeeze"),
    ],
)
def test_moaas_exposes_the_level_in_words(level: int, description: str) -> None:
    assert score("moaas", [level]).description == description


def test_clinic_can_move_the_moaas_sedation_cutoff_within_the_scale() -> None:
    settings = ScoringSettings(moaas_sedation_max=2)
    assert score("moaas", [3], settings=settings).flags == frozenset()
    assert score("moaas", [2], settings=settings).flags == frozenset({"sedation"})
    with pytest.raises(ClinicalRuleError, match="above the safe maximum"):
        score("moaas", [3], settings=ScoringSettings(moaas_sedation_max=6))


@pytest.mark.parametrize(("total", "flagged"), [(32, False), (33, True), (80, True)])
def test_pcl5_probable_ptsd_only_with_a_clinic_cutoff(total: int, flagged: bool) -> None:
    settings = ScoringSettings(pcl5_probable_ptsd_min=33)
    result = score("pcl5", answers_for("pcl5", total), settings=settings)
    assert ("probable_ptsd" in result.flags) is flagged


def test_pcl5_cutoff_outside_the_reference_range_is_refused() -> None:
    with pytest.raises(ClinicalRuleError, match="below the safe minimum"):
        score("pcl5", [0] * 20, settings=ScoringSettings(pcl5_probable_ptsd_min=30))


def test_madrs_item10_flag_only_with_a_clinic_cutoff() -> None:
    settings = ScoringSettings(madrs_item10_flag_min=2)
    assert score("madrs", [0] * 9 + [1], settings=settings).flags == frozenset()
    assert score("madrs", [0] * 9 + [2], settings=settings).flags == frozenset(
        {"madrs_suicidal_thoughts"}
    )


# --- C-SSRS Screener triage ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "severity", "flags", "skipped"),
    [
        ([0, 0, 0, 0, 0, 0, 0], "none", set(), (3, 4, 5, 7)),
        ([1, 0, 0, 0, 0, 0, 0], "low", set(), (3, 4, 5, 7)),
        ([0, 1, 0, 0, 0, 0, 0], "low", set(), (7,)),
        ([1, 1, 0, 0, 0, 0, 0], "low", set(), (7,)),
        ([1, 1, 1, 0, 0, 0, 0], "moderate", {"suicide_risk_moderate"}, (7,)),
        ([1, 1, 0, 1, 0, 0, 0], "high", {"suicide_risk_high"}, (7,)),
        ([1, 1, 0, 0, 1, 0, 0], "high", {"suicide_risk_high"}, (7,)),
        ([1, 1, 1, 1, 1, 0, 0], "high", {"suicide_risk_high"}, (7,)),
        # Q6: behaviour more than 3 months ago is moderate, within 3 months is high
        ([0, 0, 0, 0, 0, 1, 0], "moderate", {"suicide_risk_moderate"}, (3, 4, 5)),
        ([0, 0, 0, 0, 0, 1, 1], "high", {"suicide_risk_high"}, (3, 4, 5)),
        ([1, 1, 1, 0, 0, 1, 1], "high", {"suicide_risk_high"}, ()),
        # recency without behaviour is ignored
        ([0, 0, 0, 0, 0, 0, 1], "none", set(), (3, 4, 5, 7)),
        # Q2 = no: Q3–Q5 are skipped even if answered
        ([0, 0, 1, 1, 1, 0, 0], "none", set(), (3, 4, 5, 7)),
        ([1, 0, 1, 1, 1, 0, 0], "low", set(), (3, 4, 5, 7)),
        ([1, 0, 1, 1, 1, 1, 0], "moderate", {"suicide_risk_moderate"}, (3, 4, 5)),
    ],
)
def test_cssrs_triage(
    answers: list[int], severity: str, flags: set[str], skipped: tuple[int, ...]
) -> None:
    result = score("cssrs_screen", answers)
    assert result.severity == severity
    assert result.flags == frozenset(flags)
    assert result.skipped_items == skipped
    assert result.total is None
    assert result.triage_reason is not None
    assert result.triage_reason.lower().startswith(
        {"none": "no risk", "low": "low", "moderate": "moderate", "high": "high"}[severity]
    )


def test_cssrs_triage_provenance_high_is_verified_moderate_is_not() -> None:
    high = score("cssrs_screen", [1, 1, 0, 1, 0, 0, 0])
    moderate = score("cssrs_screen", [1, 1, 1, 0, 0, 0, 0])
    assert high.triage_provenance is not None and high.triage_provenance.verified is True
    assert moderate.triage_provenance is not None
    assert moderate.triage_provenance.verified is False


def test_cssrs_high_reason_names_the_answers_and_the_action() -> None:
    result = score("cssrs_screen", [1, 1, 0, 0, 1, 1, 1])
    assert result.triage_reason == (
        "High risk: yes to Q5 (suicidal thoughts with a specific plan and intent); "
        "yes to Q6 with suicidal behaviour within the past 3 months. "
        "Immediate evaluation and safety precautions."
    )


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("phq9", [0] * 8 + [4], "PHQ-9 item 9: 4 is outside 0–3"),
        ("phq9", [-1] + [0] * 8, "PHQ-9 item 1: -1 is outside 0–3"),
        ("phq9", [0] * 8, "PHQ-9 expects 9 answers, one per item; got 8"),
        ("phq9", [0] * 10, "PHQ-9 expects 9 answers, one per item; got 10"),
        ("phq9", [], "PHQ-9 expects 9 answers, one per item; got 0"),
        ("gad7", [0] * 6 + [True], "GAD-7 item 7: True is not a whole-number answer"),
        ("gad7", [0.0] * 7, "GAD-7 item 1: 0.0 is not a whole-number answer"),
        ("gad7", ["1"] + [0] * 6, "GAD-7 item 1: '1' is not a whole-number answer"),
        ("gad7", [None] + [0] * 6, "GAD-7 item 1: None is not a whole-number answer"),
        ("madrs", [0] * 9 + [7], "MADRS item 10: 7 is outside 0–6"),
        ("qids_sr16", [0] * 15 + [4], "QIDS-SR16 item 16: 4 is outside 0–3"),
        ("pcl5", [5] + [0] * 19, "PCL-5 item 1: 5 is outside 0–4"),
        ("cadss6", [0, 0, 5, 0, 0, 0], "CADSS-6 item 3 (CADSS item 6): 5 is outside 0–4"),
        ("pain_nrs", [11], "Pain NRS item 1: 11 is outside 0–10"),
        ("moaas", [6], "MOAA/S item 1: 6 is outside 0–5"),
        ("cssrs_screen", [0, 0, 2, 0, 0, 0, 0], "C-SSRS Screener Q3: 2 is outside 0–1"),
        (
            "cssrs_screen",
            [0, 0, 0, 0, 0, 1, 2],
            "C-SSRS Screener Q6 within past 3 months: 2 is outside 0–1",
        ),
        ("cssrs_screen", [False] * 7, "C-SSRS Screener Q1: False is not a whole-number answer"),
        ("cssrs_screen", [0] * 6, "C-SSRS Screener expects 7 answers, one per item; got 6"),
        ("phq9", "000000000", "PHQ-9: answers must be a list of whole numbers in item order"),
        ("phq9", {1: 0}, "PHQ-9: answers must be a list of whole numbers in item order"),
        ("phq9", None, "PHQ-9: answers must be a list of whole numbers in item order"),
    ],
)
def test_invalid_answers_are_refused_naming_the_item(
    code: str, answers: object, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        score(code, answers)  # type: ignore[arg-type]
    assert isinstance(caught.value, ClinicalRuleError)


def test_skipped_cssrs_items_are_still_range_checked() -> None:
    with pytest.raises(ValueError, match=re.escape("C-SSRS Screener Q4: 3 is outside 0–1")):
        score("cssrs_screen", [0, 0, 0, 3, 0, 0, 0])


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "bdi", "", None])
def test_unknown_instrument_is_refused(code: object) -> None:
    with pytest.raises(ValueError, match="unknown instrument"):
        score(code, [0] * 9)  # type: ignore[arg-type]


def test_tuples_are_accepted_like_lists() -> None:
    assert score("gad7", (1, 1, 1, 1, 1, 1, 1)).total == 7


# --- metadata --------------------------------------------------------------------------------


def test_the_nine_instruments() -> None:
    assert set(INSTRUMENTS) == {
        "phq9",
        "gad7",
        "qids_sr16",
        "madrs",
        "cssrs_screen",
        "pcl5",
        "cadss6",
        "pain_nrs",
        "moaas",
    }


@pytest.mark.parametrize(
    ("code", "items", "item_max", "score_range", "completed_by"),
    [
        ("phq9", 9, 3, (0, 27), "patient"),
        ("gad7", 7, 3, (0, 21), "patient"),
        ("qids_sr16", 16, 3, (0, 27), "patient"),
        ("madrs", 10, 6, (0, 60), "clinician"),
        ("cssrs_screen", 7, 1, None, "clinician"),
        ("pcl5", 20, 4, (0, 80), "patient"),
        ("cadss6", 6, 4, (0, 24), "clinician"),
        ("pain_nrs", 1, 10, (0, 10), "patient"),
        ("moaas", 1, 5, (0, 5), "clinician"),
    ],
)
def test_instrument_shape(
    code: str,
    items: int,
    item_max: int,
    score_range: tuple[int, int] | None,
    completed_by: str,
) -> None:
    inst = INSTRUMENTS[code]
    assert len(inst.items) == items
    assert [i.number for i in inst.items] == list(range(1, items + 1))
    assert {(i.minimum, i.maximum) for i in inst.items} == {(0, item_max)}
    assert inst.score_range == score_range
    assert inst.completed_by == completed_by
    assert inst.scorer_version == f"{code}/1"
    assert all(0 < len(i.label) <= 60 for i in inst.items)


def test_loinc_codes_and_their_provenance() -> None:
    phq9, gad7 = INSTRUMENTS["phq9"], INSTRUMENTS["gad7"]
    assert phq9.loinc_total is not None and phq9.loinc_total.code == "44261-6"
    assert phq9.loinc_panel is not None and phq9.loinc_panel.code == "44249-1"
    assert phq9.loinc_panel.provenance.verified is False  # [S77 weak][memory]
    assert [i.loinc.code for i in phq9.items if i.loinc] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert gad7.loinc_total is not None and gad7.loinc_total.code == "70274-6"
    assert gad7.loinc_panel is not None and gad7.loinc_panel.code == "69737-5"
    assert [i.loinc.code for i in gad7.items if i.loinc][-1] == "69736-7"
    answers = dict(phq9.answer_loinc)
    assert answers[0].code == "LA6568-5" and answers[0].provenance.verified
    assert answers[3].code == "LA6571-9" and not answers[3].provenance.verified
    pcl5_total = INSTRUMENTS["pcl5"].loinc_total
    assert pcl5_total is not None and pcl5_total.code == "91006-2"
    assert pcl5_total.provenance.verified is False
    cssrs = INSTRUMENTS["cssrs_screen"]
    assert cssrs.loinc_panel is not None and cssrs.loinc_panel.code == "93373-9"
    assert cssrs.items[0].loinc is not None and cssrs.items[0].loinc.code == "93246-7"
    assert INSTRUMENTS["madrs"].loinc_total is None
    assert INSTRUMENTS["qids_sr16"].loinc_total is None


def test_remission_rules_per_reference() -> None:
    rules = {code: inst.remission for code, inst in INSTRUMENTS.items()}
    assert rules["phq9"] is not None and (
        rules["phq9"].comparator,
        rules["phq9"].threshold.value,
    ) == ("<", 5)
    assert rules["madrs"] is not None and (
        rules["madrs"].comparator,
        rules["madrs"].threshold.value,
    ) == ("<=", 10)
    assert rules["qids_sr16"] is not None and (
        rules["qids_sr16"].comparator,
        rules["qids_sr16"].threshold.value,
    ) == ("<=", 5)
    assert {c for c, r in rules.items() if r is None} == {
        "gad7",
        "cssrs_screen",
        "pcl5",
        "cadss6",
        "pain_nrs",
        "moaas",
    }
    assert {c for c, i in INSTRUMENTS.items() if i.response} == {"phq9", "madrs", "qids_sr16"}


def test_recall_periods_only_where_the_reference_gives_them() -> None:
    assert INSTRUMENTS["phq9"].recall_period == "past 2 weeks"
    assert INSTRUMENTS["gad7"].recall_period == "past 2 weeks"
    assert INSTRUMENTS["pcl5"].recall_period == "past month"
    for code in ("qids_sr16", "madrs", "cadss6", "pain_nrs", "moaas"):
        assert INSTRUMENTS[code].recall_period is None


def test_pain_bands_are_unverified() -> None:
    assert all(not b.provenance.verified for b in INSTRUMENTS["pain_nrs"].bands)


# --- properties ------------------------------------------------------------------------------


def answer_lists(code: str) -> st.SearchStrategy[list[int]]:
    items = INSTRUMENTS[code].items
    return st.tuples(*(st.integers(i.minimum, i.maximum) for i in items)).map(list)


any_scored = st.sampled_from(SCORED).flatmap(lambda c: st.tuples(st.just(c), answer_lists(c)))


@given(any_scored)
def test_total_is_always_within_range(case: tuple[str, list[int]]) -> None:
    code, answers = case
    result = score(code, answers)
    low, high = INSTRUMENTS[code].score_range  # type: ignore[misc]
    assert result.total is not None and low <= result.total <= high


@given(any_scored, st.data())
def test_total_never_falls_when_one_item_rises(
    case: tuple[str, list[int]], data: st.DataObject
) -> None:
    code, answers = case
    items = INSTRUMENTS[code].items
    index = data.draw(st.integers(0, len(items) - 1))
    raised = list(answers)
    raised[index] = data.draw(st.integers(answers[index], items[index].maximum))
    before, after = score(code, answers).total, score(code, raised).total
    assert before is not None and after is not None and after >= before


@given(answer_lists("qids_sr16"))
def test_qids_never_exceeds_27_and_equals_the_domain_sum(answers: list[int]) -> None:
    result = score("qids_sr16", answers)
    assert result.total is not None and result.total <= 27
    assert result.total == sum(result.domain_scores.values())


_RISK = {"none": 0, "low": 1, "moderate": 2, "high": 3}


@given(answer_lists("cssrs_screen"), st.integers(0, 6))
def test_cssrs_risk_never_falls_when_an_answer_turns_yes(answers: list[int], index: int) -> None:
    raised = list(answers)
    raised[index] = 1
    before = score("cssrs_screen", answers).severity
    after = score("cssrs_screen", raised).severity
    assert before is not None and after is not None
    assert _RISK[after] >= _RISK[before]


def test_scoring_thresholds_a_clinic_may_set_are_listed_once() -> None:
    from ketacare.clinical.instruments import CONFIGURABLE_DEFAULTS

    assert [d.key for d in CONFIGURABLE_DEFAULTS] == [
        "instruments.moaas.sedation_max",
        "instruments.pcl5.probable_ptsd_min",
        "instruments.madrs.item10_flag_min",
    ]
    assert all(d.provenance.sources for d in CONFIGURABLE_DEFAULTS)
