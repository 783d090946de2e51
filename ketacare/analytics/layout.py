"""The Parquet layout of the de-identified analytics export, and its data dictionary.

An export is a directory with one sub-directory per table (``patients/``, ``courses/``,
``sessions/``, ``observations/``, ``adverse_events/``), each holding one or more Parquet files of
the schema below, so DuckDB, Spark and Trino read it as five tables. No Django here.

De-identification (HIPAA Safe Harbor, reference §12 [S132][S133]):

- Ids are random surrogates (64-bit integers) kept in a protected mapping table by the exporter;
  they are never derived from a name, MRN or date.
- No dates: every moment is a whole number of minutes after a per-patient reference point that
  is itself not exported (``*_min`` columns). Intervals within a patient are exact; calendar
  dates cannot be recovered.
- Ages are bands; everyone 90 or older is in "90+". Geography is the state at most.
- No free text, no names, contacts, MRNs, addresses, device or licence numbers.

Ordering the engine relies on: ``observation_id`` increases with (patient, instrument, time,
order of recording), so "the later record" of two scores at the same minute is the larger id.
``observations_table`` assigns ids that way.

Some columns are facts no clinic setting changes, derived from the others when the tables are
built (``ketacare.analytics.derived.DERIVED``): ``courses.index_course`` and, on the
observations, the minutes after the first treatment, the next score's, the baseline and its age,
the lowest follow-up score so far and the previous follow-up score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ketacare.clinical.common import ClinicalRuleError


def _field(name: str, kind: pa.DataType, description: str, *, nullable: bool = False) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"description": description})


MINUTES = "in minutes from the reference point"

PATIENTS = pa.schema(
    [
        _field("patient_id", pa.int64(), "random surrogate id (not derived from patient data)"),
        _field("clinic_id", pa.int64(), "surrogate id of the clinic the patient is registered at"),
        _field("sex", pa.string(), "sex at birth: female, male, intersex or unknown"),
        _field("age_band", pa.string(), "age at the first treatment (else at registration)"),
        _field(
            "state", pa.string(), "state or region of residence; nothing smaller", nullable=True
        ),
        _field(
            "prior_trials",
            pa.int16(),
            "number of prior antidepressant trials recorded at intake",
            nullable=True,
        ),
        _field("referred_min", pa.int32(), f"registration or referral, {MINUTES}"),
        _field(
            "screened_min", pa.int32(), f"first eligibility screening, {MINUTES}", nullable=True
        ),
        _field(
            "eligible_min", pa.int32(), f"first screening found eligible, {MINUTES}", nullable=True
        ),
        _field(
            "consented_min", pa.int32(), f"first treatment consent signed, {MINUTES}", nullable=True
        ),
    ]
)

COURSES = pa.schema(
    [
        _field("course_id", pa.int64(), "random surrogate id of the treatment course"),
        _field("patient_id", pa.int64(), "patients.patient_id"),
        _field("clinic_id", pa.int64(), "surrogate id of the treating clinic"),
        _field("route", pa.string(), "esketamine_nasal, racemic_iv, racemic_im, racemic_sc, ..."),
        _field("indication", pa.string(), "depression, ptsd, ocd, anxiety, chronic_pain_crps, ..."),
        _field(
            "first_treatment_min",
            pa.int32(),
            f"start of the first treatment session, {MINUTES}; empty if never treated",
            nullable=True,
        ),
        _field(
            "induction_completed_min",
            pa.int32(),
            f"induction completed, {MINUTES}",
            nullable=True,
        ),
        _field(
            "maintenance_started_min",
            pa.int32(),
            f"first maintenance session, {MINUTES}",
            nullable=True,
        ),
        _field("ended_min", pa.int32(), f"course ended, {MINUTES}", nullable=True),
        _field(
            "index_course",
            pa.bool_(),
            "the patient's first treated course (earliest first_treatment_min, of two at the same "
            "minute the smaller course_id): the course cohort figures start from",
        ),
    ]
)

SESSIONS = pa.schema(
    [
        _field("session_id", pa.int64(), "random surrogate id of the treatment session"),
        _field("course_id", pa.int64(), "courses.course_id"),
        _field("patient_id", pa.int64(), "patients.patient_id"),
        _field("at_min", pa.int32(), f"session start, {MINUTES}"),
        _field("phase", pa.string(), "induction, maintenance or booster"),
        _field("administered", pa.bool_(), "a dose was given (in full or in part)"),
        _field("dose_mg", pa.float64(), "total dose given in mg", nullable=True),
        _field("vital_alerts", pa.int16(), "vital-sign alerts raised during the session"),
    ]
)

OBSERVATIONS = pa.schema(
    [
        _field(
            "observation_id",
            pa.int64(),
            "increases with (patient, instrument, time, order of recording)",
        ),
        _field("patient_id", pa.int64(), "patients.patient_id"),
        _field("instrument", pa.string(), "instrument code: phq9, gad7, madrs, qids_sr16, ..."),
        _field("at_min", pa.int32(), f"completed, {MINUTES}"),
        _field("score", pa.int16(), "total score from the instrument's scorer"),
        _field(
            "si_item",
            pa.int8(),
            "suicidal-ideation item: PHQ-9 item 9, MADRS item 10, QIDS-SR16 item 12",
            nullable=True,
        ),
        _field(
            "after_first_treatment_min",
            pa.int32(),
            "at_min less the first_treatment_min of the patient's index course (0 or less: at "
            "or before the first treatment); empty if the patient was never treated",
            nullable=True,
        ),
        _field(
            "next_after_first_treatment_min",
            pa.int32(),
            "after_first_treatment_min of the patient's next score on the same instrument; "
            "empty on the last one (and if never treated)",
            nullable=True,
        ),
        _field(
            "baseline_score",
            pa.int16(),
            "on the baseline (the patient's last score on the instrument at or before the first "
            "treatment; of two at the same minute the later record) and on every later score: "
            "the baseline's score, whatever its age; empty otherwise",
            nullable=True,
        ),
        _field(
            "baseline_age_min",
            pa.int32(),
            "on the same rows: minutes from the baseline to the first treatment",
            nullable=True,
        ),
        _field(
            "lowest_follow_up_score",
            pa.int16(),
            "on a score after the first treatment: the lowest score on the instrument after the "
            "first treatment up to and including this one; empty otherwise",
            nullable=True,
        ),
        _field(
            "previous_follow_up_score",
            pa.int16(),
            "on a score after the first treatment: the score before it on the instrument if that "
            "one was after the first treatment too; empty otherwise",
            nullable=True,
        ),
    ]
)

ADVERSE_EVENTS = pa.schema(
    [
        _field("event_id", pa.int64(), "random surrogate id of the adverse event"),
        _field("patient_id", pa.int64(), "patients.patient_id"),
        _field("course_id", pa.int64(), "courses.course_id", nullable=True),
        _field("session_id", pa.int64(), "sessions.session_id, if during a session", nullable=True),
        _field("at_min", pa.int32(), f"onset, {MINUTES}"),
        _field("category", pa.string(), "coded category (e.g. nausea, dissociation); no free text"),
        _field("severity", pa.string(), "mild, moderate or severe"),
        _field("serious", pa.bool_(), "a serious adverse event"),
    ]
)

TABLES: Mapping[str, pa.Schema] = {
    "patients": PATIENTS,
    "courses": COURSES,
    "sessions": SESSIONS,
    "observations": OBSERVATIONS,
    "adverse_events": ADVERSE_EVENTS,
}

# Safe Harbor groups every age of 90 or more (reference §12 C [S132]); the other bands are the
# project's choice (ten-year bands, the first one from 18).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 18", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65-74", 65, 74),
    ("75-89", 75, 89),
    ("90+", 90, None),  # source: S132 (ages over 89 are one group)
)


def age_band(age_years: int) -> str:
    """The export's band for an age in whole years ("90+" for 90 or older)."""
    if isinstance(age_years, bool) or not isinstance(age_years, int) or age_years < 0:
        raise ClinicalRuleError(f"age must be a whole number of years, got {age_years!r}")
    for label, low, high in AGE_BANDS:
        if age_years >= low and (high is None or age_years <= high):
            return label
    raise AssertionError("the bands cover every age")  # pragma: no cover


def table_dir(export_dir: Path | str, table: str) -> Path:
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; the export has {', '.join(TABLES)}")
    return Path(export_dir) / table


def write_table(
    export_dir: Path | str,
    table: str,
    columns: Mapping[str, Sequence[object] | np.ndarray | pa.Array],
    *,
    part: int = 0,
    row_group_size: int = 1 << 20,
) -> Path:
    """Write one part file of ``table`` with exactly the layout's schema (refuses other columns)."""
    schema = TABLES[table]
    data = as_arrow(table, columns)
    directory = table_dir(export_dir, table)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"part-{part:05d}.parquet"
    # Ids and minutes are mostly increasing runs: delta encoding stores them in a few bits and
    # decodes fast; codes and small scores are dictionary-encoded; the rest stays plain.
    dictionary = [f.name for f in schema if f.type in (pa.string(), pa.int8(), pa.int16())]
    delta = {f.name: "DELTA_BINARY_PACKED" for f in schema if f.type in (pa.int32(), pa.int64())}
    pq.write_table(
        data,
        path,
        row_group_size=row_group_size,
        compression="zstd",
        use_dictionary=dictionary,
        column_encoding=delta,
    )
    return path


def as_arrow(
    table: str, columns: Mapping[str, Sequence[object] | np.ndarray | pa.Array]
) -> pa.Table:
    """``columns`` as a pyarrow Table of exactly the layout's schema (refuses other columns)."""
    schema = TABLES[table]
    unknown = set(columns) - set(schema.names)
    missing = set(schema.names) - set(columns)
    if unknown or missing:
        raise ClinicalRuleError(
            f"{table}: columns differ from the layout (unknown: {sorted(unknown)}, "
            f"missing: {sorted(missing)})"
        )
    return pa.Table.from_arrays([_array(columns[f.name], f.type) for f in schema], schema=schema)


def _array(values: object, kind: pa.DataType) -> pa.Array:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if values.type == kind else values.cast(kind)
    return pa.array(values, type=kind)


def observations_table(rows: Sequence[Mapping[str, object]]) -> dict[str, list[object]]:
    """Observation columns from rows without ids, ids assigned in the order the engine needs.

    Rows are sorted by (patient, instrument, time) keeping the given order among equals, which
    is taken as the order of recording.
    """
    ordered = sorted(
        enumerate(rows),
        key=lambda pair: (pair[1]["patient_id"], pair[1]["instrument"], pair[1]["at_min"], pair[0]),
    )
    names = [f.name for f in OBSERVATIONS if f.name != "observation_id"]
    columns: dict[str, list[object]] = {"observation_id": list(range(1, len(ordered) + 1))}
    for name in names:
        columns[name] = [row.get(name) for _, row in ordered]
    return columns


def data_dictionary_markdown() -> str:
    """The data dictionary that goes with every export (rendered from the schemas above)."""
    lines = [
        "# Ketacare de-identified export: data dictionary",
        "",
        "One directory per table, Parquet files inside. Ids are random surrogates. Times are",
        "whole minutes from a per-patient reference point that is not exported (`*_min`",
        "columns): intervals within a patient are exact, calendar dates cannot be recovered.",
        'Ages are bands (90 or older: "90+"). No names, contacts, MRNs, addresses below the',
        "state, device or licence numbers, and no free text. `courses.index_course` and the",
        "observations' columns after `si_item` are derived from the others when the export is",
        "written (facts no clinic setting changes: see `ketacare/analytics/derived.py`).",
    ]
    for name, schema in TABLES.items():
        lines += [
            "",
            f"## {name}",
            "",
            "| Column | Type | Empty allowed | Meaning |",
            "|---|---|---|---|",
        ]
        for column in schema:
            meaning = (column.metadata or {}).get(b"description", b"").decode()
            empty = "yes" if column.nullable else "no"
            lines.append(f"| `{column.name}` | {column.type} | {empty} | {meaning} |")
    return "\n".join(lines) + "\n"
