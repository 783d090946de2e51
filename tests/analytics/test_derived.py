"""The facts the export derives once (``ketacare.analytics.derived``), against a plain reading."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.analytics.derived import DERIVED, derive

COURSES = {"patient_id": [1, 1, 2, 3], "course_id": [10, 11, 20, 30]}


def test_each_fact_on_a_small_table():
    courses = COURSES | {"first_treatment_min": [100, 50, None, 200]}  # patient 2 never treated
    scores = {
        "observation_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "patient_id": [1, 1, 1, 1, 1, 2, 3, 3],
        "instrument": ["phq9"] * 4 + ["gad7", "phq9", "phq9", "phq9"],
        "at_min": [10, 50, 60, 70, 40, 5, 300, 400],
        "score": [20, 18, 9, 12, 5, 3, 7, 6],
    }
    flagged, derived = derive(courses, scores)
    # patient 1's later course in the table started first: it is the index course
    assert flagged["index_course"].to_pylist() == [False, True, False, True]
    assert {name: derived[name].to_pylist() for name in DERIVED["observations"]} == {
        "after_first_treatment_min": [-40, 0, 10, 20, -10, None, 100, 200],
        "next_after_first_treatment_min": [0, 10, 20, None, None, None, 200, None],
        # a score at the very minute of the first treatment is the baseline
        "baseline_score": [None, 18, 18, 18, 5, None, None, None],
        "baseline_age_min": [None, 0, 0, 0, 10, None, None, None],
        "lowest_follow_up_score": [None, None, 9, 9, None, None, 7, 6],
        "previous_follow_up_score": [None, None, None, 9, None, None, None, 7],
    }


def plain_reading(first: int, scores: list[tuple[str, int, int]]) -> list[tuple]:
    """Per score, the derived facts read off the list one score at a time (ids in list order)."""
    rows = []
    for index, (code, at, _score) in enumerate(scores):
        same = [(a, s) for c, a, s in scores if c == code]
        position = sum(1 for c, _, _ in scores[:index] if c == code)
        before = [(a, s) for a, s in same if a <= first]
        baseline = before[-1] if before else None
        follow = [s for a, s in same[: position + 1] if a > first]
        later = same[position + 1 :]
        carries = baseline is not None and position >= len(before) - 1
        previous = same[position - 1] if position > 0 else None
        rows.append(
            (
                at - first,
                later[0][0] - first if later else None,
                baseline[1] if carries else None,
                first - baseline[0] if carries else None,
                min(follow) if at > first else None,
                previous[1] if at > first and previous and previous[0] > first else None,
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=-50, max_value=50),
    st.lists(
        st.tuples(st.sampled_from(["phq9", "madrs"]), st.integers(-100, 100), st.integers(0, 27))
    ),
)
def test_derived_facts_equal_a_plain_reading(first, drawn):
    # one patient; ids in (instrument, time) order as the layout requires
    scores = sorted(drawn, key=lambda row: (row[0], row[1]))
    columns = {
        "observation_id": list(range(1, len(scores) + 1)),
        "patient_id": [1] * len(scores),
        "instrument": [c for c, _, _ in scores],
        "at_min": [a for _, a, _ in scores],
        "score": [s for _, _, s in scores],
    }
    _, derived = derive(
        {"patient_id": [1], "course_id": [10], "first_treatment_min": [first]}, columns
    )
    got = list(zip(*(derived[name].to_pylist() for name in DERIVED["observations"]), strict=True))
    assert got == plain_reading(first, scores)
