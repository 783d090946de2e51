"""The benchmark's raw scan reads exactly the columns the outcome computation reads."""

from __future__ import annotations

import json
import re

import pytest

from ketacare.analytics import queries
from ketacare.analytics.engine import open_export
from ketacare.analytics.layout import TABLES
from ketacare.analytics.synthetic import generate
from ketacare.clinical.cohorts import outcome_definition

INSTRUMENTS = ("phq9", "madrs", "qids_sr16")


def parquet_reads(plan: list[dict]) -> list[frozenset[str]]:
    """The columns each Parquet read of a DuckDB plan (EXPLAIN in JSON) reads: those it projects
    and those its pushed-down filters test."""
    every_column = {name for schema in TABLES.values() for name in schema.names}
    reads = []
    stack = list(plan)
    while stack:
        node = stack.pop()
        info = node.get("extra_info") or {}
        if isinstance(info, dict) and info.get("Function") == "READ_PARQUET":
            projections = info.get("Projections", [])
            columns = set([projections] if isinstance(projections, str) else projections)
            filters = info.get("Filters", [])
            text = " ".join([filters] if isinstance(filters, str) else filters)
            columns |= {name for name in every_column if re.search(rf"\b{name}\b", text)}
            reads.append(frozenset(columns))
        stack.extend(node.get("children", []))
    return reads


@pytest.fixture(scope="module")
def analytics(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    generate(directory, patients=400, observations=8000, seed=3)
    return open_export(directory)


def plan_of(analytics, sql: str) -> list[dict]:
    explained = analytics.runner.connection.execute("EXPLAIN (FORMAT json) " + sql).fetchone()
    return json.loads(explained[1])


def test_the_scan_reads_the_columns_the_outcome_computation_reads(analytics):
    definitions = [outcome_definition(code) for code in INSTRUMENTS]
    sql = queries.outcome_counts_sql(definitions, queries.Cohort.of(("route",)))
    engine_reads = parquet_reads(plan_of(analytics, sql))
    declared = {table: set(columns) for table, columns in queries.OUTCOME_INPUTS.items()}
    # every read of the engine takes only declared columns of one table that holds them all
    for columns in engine_reads:
        assert any(
            columns <= declared[table] and columns <= set(TABLES[table].names) for table in declared
        ), f"the engine reads {sorted(columns)}, which OUTCOME_INPUTS does not list"
    # and every declared column is read by the engine and by the scan
    scan_reads = parquet_reads(plan_of(analytics, queries.scan_sql(INSTRUMENTS)))
    every = set().union(*declared.values())
    assert set().union(*engine_reads) == every
    assert set().union(*scan_reads) == every
    assert sorted(map(sorted, scan_reads)) == sorted(map(sorted, declared.values()))


def test_the_scan_counts_the_scores_the_engine_looks_at(analytics):
    (row,) = analytics.runner.rows(queries.scan_sql(INSTRUMENTS))
    (everything,) = analytics.runner.rows(queries.score_scan_sql())
    assert 0 < row["observations"] < everything["observations"]
    assert row["patients"] == 400
