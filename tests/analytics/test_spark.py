"""The same SQL on a local PySpark session gives DuckDB's figures (only where pyspark is installed).

PySpark is the optional extra ``ketacare[spark]``, not part of the test extra, so this test is
skipped where it is absent. Run it with ``pip install -e '.[test,spark]'`` (needs Java 17+).
"""

from __future__ import annotations

import pytest

from ketacare.analytics.engine import open_export
from ketacare.analytics.synthetic import generate
from ketacare.clinical.cohorts import outcome_definition

pytest.importorskip("pyspark", reason="PySpark is the optional extra ketacare[spark]")


def test_spark_gives_duckdbs_outcome_for_every_patient(tmp_path):
    """The per-patient query holds every step of the outcome rules (baseline, follow-ups,
    response reached, the relapse pairs) and the counts read the latest rows, so those two are
    compared: Spark's start-up dominates a bigger test."""
    from ketacare.analytics.spark import local_session, spark_analytics

    generate(tmp_path, patients=150, observations=2400, seed=7)
    definitions = [outcome_definition("phq9", follow_up_days=60)]
    spark = local_session()
    try:
        analytics = spark_analytics(tmp_path, spark=spark)
        on_spark = analytics.patient_outcomes(definitions)
        # the counts take the other path (the latest row of each patient and instrument)
        counts_on_spark = analytics.outcome_counts(definitions, by=("route",))
    finally:
        spark.stop()
    on_duckdb = open_export(tmp_path).patient_outcomes(definitions)
    assert counts_on_spark == open_export(tmp_path).outcome_counts(definitions, by=("route",))

    def key(row: dict) -> int:
        return row["patient_id"]

    assert len(on_duckdb) > 100
    assert {row["state"] for row in on_duckdb} >= {"responder", "remitter", "no baseline"}
    assert any(row["first_relapse_after_min"] is not None for row in on_duckdb)
    assert sorted(on_spark, key=key) == sorted(on_duckdb, key=key)
