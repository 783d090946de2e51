"""The export layout: age bands, schemas, id order, the data dictionary and the benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ketacare.analytics.layout import (
    TABLES,
    age_band,
    data_dictionary_markdown,
    observations_table,
    write_table,
)
from ketacare.clinical.common import ClinicalRuleError

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "under 18"),
        (17, "under 18"),
        (18, "18-24"),
        (44, "35-44"),
        (89, "75-89"),
        (90, "90+"),
        (104, "90+"),
    ],
)
def test_age_bands_group_everyone_90_or_older(age, band):
    assert age_band(age) == band


@pytest.mark.parametrize("age", [-1, 30.5, True, "40"])
def test_age_band_refuses_what_is_not_an_age(age):
    with pytest.raises(ClinicalRuleError):
        age_band(age)


def test_no_column_could_carry_a_direct_identifier():
    names = {column for schema in TABLES.values() for column in schema.names}
    forbidden = ("name", "mrn", "email", "phone", "address", "zip", "birth", "date", "note")
    assert not [n for n in names if any(word in n for word in forbidden)]


def test_write_table_refuses_columns_outside_the_layout(tmp_path):
    with pytest.raises(ClinicalRuleError, match="unknown: \\['mrn'\\]"):
        write_table(
            tmp_path, "patients", {name: [] for name in TABLES["patients"].names} | {"mrn": []}
        )
    with pytest.raises(ClinicalRuleError, match="missing"):
        write_table(tmp_path, "patients", {"patient_id": [1]})


def test_written_files_have_exactly_the_layout_schema(tmp_path):
    path = write_table(tmp_path, "observations", observations_table([]))
    assert pq.read_schema(path).remove_metadata() == TABLES["observations"].remove_metadata()


def test_observation_ids_follow_patient_instrument_time_then_record_order():
    rows = [
        {"patient_id": 2, "instrument": "phq9", "at_min": 5, "score": 1},
        {"patient_id": 1, "instrument": "phq9", "at_min": 9, "score": 2},
        {"patient_id": 1, "instrument": "gad7", "at_min": 1, "score": 3},
        {"patient_id": 1, "instrument": "phq9", "at_min": 9, "score": 4},  # same minute, later
        {"patient_id": 1, "instrument": "phq9", "at_min": 3, "score": 5},
    ]
    columns = observations_table(rows)
    assert columns["observation_id"] == [1, 2, 3, 4, 5]
    assert columns["score"] == [3, 5, 2, 4, 1]


def test_docs_carry_the_data_dictionary_the_layout_renders():
    documented = (PROJECT / "docs" / "analytics.md").read_text(encoding="utf-8")
    rows = [line for line in data_dictionary_markdown().splitlines() if line.startswith("| `")]
    assert len(rows) == sum(len(schema) for schema in TABLES.values())
    assert [row for row in rows if row not in documented] == []


def test_benchmark_runs_small_and_engine_agrees_with_pandas():
    result = subprocess.run(
        [
            sys.executable,
            "bench/analytics.py",
            "--patients",
            "300",
            "--observations",
            "6000",
            "--repeat",
            "1",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "engine and pandas agree on every count" in result.stdout
    assert "pandas / engine" in result.stdout and "engine / raw scan" in result.stdout
