"""Facts about an export's rows that no clinic setting changes, computed once as it is written.

The cohort queries judge every treated patient from the first treatment of the patient's first
treated course (``ketacare.clinical.outcomes``). Some facts follow from the recorded rows alone,
whatever response percent, remission threshold, follow-up window or baseline age a clinic sets,
so the export carries them (as CDISC ADaM analysis datasets carry an analysis flag, a relative
day and a baseline value) instead of every query finding them again with joins and groupings
over millions of scores:

- ``courses.index_course``: the patient's first treated course (earliest
  ``first_treatment_min``; of two at the same minute the smaller ``course_id``);
- on the observations, in the layout's order (patient, instrument, time, then record):
  ``after_first_treatment_min`` (``at_min`` less the index course's first treatment; empty for a
  patient never treated) and ``next_after_first_treatment_min`` (the same of the next score on
  the instrument; empty on the last), so the latest score within any follow-up window is one
  row test; ``baseline_score`` and ``baseline_age_min`` on the baseline (the last score at or
  before the first treatment) and every later score; ``lowest_follow_up_score`` (the lowest
  score since the first treatment so far) and ``previous_follow_up_score`` on the follow-ups.
  Response and remission are "score low enough", so whether a follow-up up to that row met them
  is a test of the lowest score, and under the default relapse rule (two consecutive follow-ups
  without response or remission) the latest two scores decide relapse.

Every writer (the extraction behind the dashboard and the export, the synthetic generator, the
tests' hand-made exports) calls ``derive``, so the columns mean the same everywhere; it refuses
scores whose ids break the layout's order. The new columns are differences and copies of values
the export already holds: they reveal nothing new about a person. Vectorised with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ketacare.clinical.common import ClinicalRuleError

Columns = Mapping[str, Sequence[object] | np.ndarray | pa.Array]
DERIVED: Mapping[str, tuple[str, ...]] = {
    "courses": ("index_course",),
    "observations": (
        "after_first_treatment_min",
        "next_after_first_treatment_min",
        "baseline_score",
        "baseline_age_min",
        "lowest_follow_up_score",
        "previous_follow_up_score",
    ),
}
MISORDERED = (
    "observation ids must increase with (patient, instrument, time): the scores of one patient "
    "and instrument in one run of ids, in time order"
)
_SCORE_SPAN = 1 << 17  # more than the int16 range: keeps blocks apart in the running minimum


def derived_columns(table: str) -> tuple[str, ...]:
    return DERIVED.get(table, ())


def derive(courses: Columns, observations: Columns) -> tuple[dict[str, Any], dict[str, Any]]:
    """``courses`` and ``observations`` with the derived columns added (replacing any there)."""
    index_course, treated_patients, first_treatment = _index_courses(courses)
    facts = _observation_facts(observations, treated_patients, first_treatment)
    return (
        {**courses, "index_course": pa.array(index_course, pa.bool_())},
        {**observations, **facts},
    )


def _index_courses(courses: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The index-course flag per course, and the treated patients (sorted) with their first
    treatment."""
    patient = _ints(courses["patient_id"])
    course = _ints(courses["course_id"])
    first, treated = _nullable_ints(courses["first_treatment_min"])
    rows = np.flatnonzero(treated)
    order = rows[np.lexsort((course[rows], first[rows], patient[rows]))]
    leading = np.ones(len(order), bool)
    leading[1:] = patient[order][1:] != patient[order][:-1]
    index_rows = order[leading]
    flag = np.zeros(len(patient), bool)
    flag[index_rows] = True
    return flag, patient[index_rows], first[index_rows]


def _observation_facts(
    observations: Columns, treated_patients: np.ndarray, first_treatment: np.ndarray
) -> dict[str, pa.Array]:
    ids = _ints(observations["observation_id"])
    n = len(ids)
    # work in id order (the layout's order), then put the results back in the rows' order
    in_order = n < 2 or bool(np.all(ids[1:] > ids[:-1]))
    order = np.arange(n) if in_order else np.argsort(ids, kind="stable")
    patient = _ints(observations["patient_id"])[order]
    at = _ints(observations["at_min"])[order]
    score = _ints(observations["score"])[order]
    instrument = _codes(observations["instrument"])[order]
    row = np.arange(n)

    if len(treated_patients):
        slot = np.minimum(np.searchsorted(treated_patients, patient), len(treated_patients) - 1)
        treated = treated_patients[slot] == patient
        after = at - first_treatment[slot]
    else:
        treated, after = np.zeros(n, bool), np.zeros(n, np.int64)
    # blocks: runs of one patient and instrument
    starts = np.ones(n, bool)
    starts[1:] = (patient[1:] != patient[:-1]) | (instrument[1:] != instrument[:-1])
    block = np.cumsum(starts) - 1
    _refuse_misordered(patient, instrument, at, starts)
    same_as_next = np.zeros(n, bool)
    same_as_next[:-1] = ~starts[1:]
    follow_up = treated & (after > 0)
    first_rows = np.flatnonzero(starts)

    next_after = np.zeros(n, np.int64)
    next_after[:-1] = after[1:]
    # the baseline: a block's last row at or before the first treatment; it and later rows carry it
    before = treated & (after <= 0)
    baseline_row = np.maximum.reduceat(np.where(before, row, -1), first_rows)[block] if n else row
    carries = treated & (baseline_row >= 0) & (row >= baseline_row)
    anchor = np.maximum(baseline_row, 0)
    # running minimum of follow-up scores, restarted per block (blocks offset apart)
    offset = block * _SCORE_SPAN
    running = np.minimum.accumulate(np.where(follow_up, score, _SCORE_SPAN // 2) - offset) + offset
    previous = np.zeros(n, np.int64)
    previous[1:] = score[:-1]
    has_previous = np.zeros(n, bool)
    has_previous[1:] = follow_up[1:] & follow_up[:-1] & ~starts[1:]

    back = np.empty(n, np.int64)
    back[order] = row
    columns = {
        "after_first_treatment_min": (after, treated, pa.int32()),
        "next_after_first_treatment_min": (next_after, treated & same_as_next, pa.int32()),
        "baseline_score": (score[anchor], carries, pa.int16()),
        "baseline_age_min": (-after[anchor], carries, pa.int32()),
        "lowest_follow_up_score": (running, follow_up, pa.int16()),
        "previous_follow_up_score": (previous, has_previous, pa.int16()),
    }
    return {
        name: pa.array(values[back].astype(kind.to_pandas_dtype()), kind, mask=~present[back])
        for name, (values, present, kind) in columns.items()
    }


def _refuse_misordered(
    patient: np.ndarray, instrument: np.ndarray, at: np.ndarray, starts: np.ndarray
) -> None:
    """Each patient and instrument in one run of ids, in time order within it."""
    if len(at) > 1 and np.any((at[1:] < at[:-1]) & ~starts[1:]):
        raise ClinicalRuleError(MISORDERED)
    first_rows = np.flatnonzero(starts)
    patients, codes = patient[first_rows], instrument[first_rows]
    order = np.lexsort((codes, patients))
    repeated = (patients[order][1:] == patients[order][:-1]) & (
        codes[order][1:] == codes[order][:-1]
    )
    if np.any(repeated):
        raise ClinicalRuleError(MISORDERED)


def _arrow(values: object) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(values)


def _ints(values: object) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(np.int64, copy=False)
    array = _arrow(values)
    if len(array) == 0:
        return np.zeros(0, np.int64)
    return array.cast(pa.int64()).to_numpy(zero_copy_only=False)


def _nullable_ints(values: object) -> tuple[np.ndarray, np.ndarray]:
    array = _arrow(values)
    if len(array) == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    present = pc.is_valid(array).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(array.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    return filled, present


def _codes(values: object) -> np.ndarray:
    """Instrument codes as integers (equal codes, equal integers)."""
    array = _arrow(values)
    if len(array) == 0:
        return np.zeros(0, np.int64)
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return pc.dictionary_encode(array).indices.to_numpy(zero_copy_only=False).astype(np.int64)
