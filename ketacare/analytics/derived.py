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
    order = None if in_order else np.argsort(ids, kind="stable")

    def ordered(values: np.ndarray) -> np.ndarray:
        return values if order is None else values[order]

    # narrow types and per-block work: tens of millions of rows
    patient = ordered(_ints(observations["patient_id"]))
    at = ordered(_ints(observations["at_min"], np.int32))
    score = ordered(_ints(observations["score"], np.int32))
    instrument = ordered(_codes(observations["instrument"]))

    # blocks: runs of one patient and instrument, in time order (refused otherwise)
    starts = np.ones(n, bool)
    starts[1:] = (patient[1:] != patient[:-1]) | (instrument[1:] != instrument[:-1])
    _refuse_misordered(patient, instrument, at, starts)
    first_rows = np.flatnonzero(starts)
    block = np.repeat(np.arange(len(first_rows), dtype=np.int32), np.diff(first_rows, append=n))
    del instrument

    block_patient = patient[first_rows]
    del patient
    if len(treated_patients):
        slot = np.minimum(
            np.searchsorted(treated_patients, block_patient), len(treated_patients) - 1
        )
        block_treated = treated_patients[slot] == block_patient
        block_t0 = np.where(block_treated, first_treatment[slot], 0).astype(np.int32)
    else:
        block_treated = np.zeros(len(first_rows), bool)
        block_t0 = np.zeros(len(first_rows), np.int32)
    treated = block_treated[block]
    after = at - block_t0[block]
    del at

    # scores at or before the first treatment are a prefix of their block (time order): the
    # baseline is the prefix's last row; it and every later row carry it
    before = treated & (after <= 0)
    prefix = np.add.reduceat(before.view(np.int8), first_rows, dtype=np.int32) if n else block
    has_baseline = prefix > 0
    baseline_row = (first_rows + prefix - 1)[block]
    carries = has_baseline[block] & (np.arange(n) >= baseline_row)
    anchor = np.where(carries, baseline_row, 0)
    follow_up = treated & ~before
    del before
    same_as_next = np.zeros(n, bool)
    same_as_next[:-1] = ~starts[1:]
    next_after = np.zeros(n, np.int32)
    next_after[:-1] = after[1:]
    # running minimum of follow-up scores, restarted per block (blocks offset apart)
    offset = block.astype(np.int64) * _SCORE_SPAN
    del block
    running = np.where(follow_up, score, _SCORE_SPAN // 2) - offset
    np.minimum.accumulate(running, out=running)
    running += offset
    del offset
    previous = np.zeros(n, np.int32)
    previous[1:] = score[:-1]
    has_previous = np.zeros(n, bool)
    has_previous[1:] = follow_up[1:] & follow_up[:-1] & same_as_next[:-1]

    columns = {
        "after_first_treatment_min": (after, treated, pa.int32()),
        "next_after_first_treatment_min": (next_after, treated & same_as_next, pa.int32()),
        "baseline_score": (score[anchor], carries, pa.int16()),
        "baseline_age_min": (-after[anchor], carries, pa.int32()),
        "lowest_follow_up_score": (running, follow_up, pa.int16()),
        "previous_follow_up_score": (previous, has_previous, pa.int16()),
    }
    back = None
    if order is not None:
        back = np.empty(n, np.int64)
        back[order] = np.arange(n)

    def restored(values: np.ndarray) -> np.ndarray:
        return values if back is None else values[back]

    return {
        name: pa.array(
            restored(values).astype(kind.to_pandas_dtype(), copy=False),
            kind,
            mask=~restored(present),
        )
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


def _ints(values: object, kind: type = np.int64) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(kind, copy=False)
    array = _arrow(values)
    if len(array) == 0:
        return np.zeros(0, kind)
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=kind)


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
    return pc.dictionary_encode(array).indices.to_numpy(zero_copy_only=False)
