"""Every cohort query is one SQL text that DuckDB, Spark SQL and Trino read the same way."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from ketacare.analytics import queries
from ketacare.clinical.cohorts import outcome_definition
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import SUSTAIN1_MADRS, OutcomeSettings

DIALECTS = ("duckdb", "spark", "trino")
GROUPED = queries.Cohort.of(["route", "prior_trials"], {"clinic": 3, "indication": "depression"})
PHQ9 = [outcome_definition("phq9", follow_up_days=28)]
SUSTAIN = [outcome_definition("madrs", settings=OutcomeSettings(relapse_rule=SUSTAIN1_MADRS))]
ALL_THREE = [outcome_definition(code) for code in ("phq9", "madrs", "qids_sr16")]

QUERIES = {
    "outcome counts": queries.outcome_counts_sql(PHQ9, GROUPED),
    "outcome counts, three instruments": queries.outcome_counts_sql(ALL_THREE, queries.Cohort()),
    "outcome counts, SUSTAIN-1": queries.outcome_counts_sql(SUSTAIN, GROUPED),
    "patient outcomes": queries.patient_outcomes_sql(PHQ9, GROUPED),
    "time to response": queries.time_to_response_sql(PHQ9, GROUPED),
    "durability with boosters": queries.durability_sql(PHQ9, GROUPED, boosters=True),
    "durability": queries.durability_sql(PHQ9, queries.Cohort()),
    "SI item": queries.si_trajectory_sql("phq9", GROUPED, follow_up_days=84),
    "SI item, MADRS": queries.si_trajectory_sql("madrs", queries.Cohort()),
    "funnel": queries.funnel_sql(queries.Cohort.of(["clinic", "sex"], {"age_band": "90+"})),
    "funnel, ungrouped": queries.funnel_sql(queries.Cohort()),
    "safety": queries.safety_sql(GROUPED),
    "scan": queries.scan_sql(["phq9", "madrs", "qids_sr16"]),
    "score scan": queries.score_scan_sql(),
}


def canonical(sql: str, dialect: str) -> str:
    """The query as ``dialect`` reads it, written out in one dialect for comparison.

    Two differences are normalised because they cannot change our results: sqlglot reads
    Spark's CAST as TRY_CAST (legacy non-ANSI mode, NULL instead of an error; our casts are of
    NULL and of whole numbers to DOUBLE, which never fail) and guards Spark division with
    NULLIF(divisor, 0) (our only divisor is a positive literal).
    """

    tree = sqlglot.parse_one(sql, read=dialect)
    for node in list(tree.find_all(exp.TryCast)):
        node.replace(exp.Cast(this=node.this, to=node.args["to"]))
    for node in tree.find_all(exp.Div):
        divisor = node.expression
        if isinstance(divisor, exp.Literal) and not divisor.is_string and float(divisor.name):
            node.set("safe", False)
    return tree.sql(dialect="duckdb")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", QUERIES)
def test_query_parses_in_each_dialect_with_only_known_functions(name, dialect):
    tree = sqlglot.parse_one(QUERIES[name], read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    unknown = sorted({node.name for node in tree.find_all(exp.Anonymous)})
    assert unknown == [], f"{dialect} does not know {unknown}"


@pytest.mark.parametrize("dialect", ["spark", "trino"])
@pytest.mark.parametrize("name", QUERIES)
def test_query_means_the_same_in_each_dialect(name, dialect):
    assert canonical(QUERIES[name], dialect) == canonical(QUERIES[name], "duckdb")


def test_the_comparison_can_see_a_dialect_difference():
    # ORDER BY puts NULLs last in DuckDB and first in Spark unless the query says which
    sql = "SELECT ROW_NUMBER() OVER (ORDER BY a) FROM t"
    assert canonical(sql, "spark") != canonical(sql, "duckdb")
    explicit = "SELECT ROW_NUMBER() OVER (ORDER BY a ASC NULLS LAST) FROM t"
    assert canonical(explicit, "spark") == canonical(explicit, "duckdb")


@pytest.mark.parametrize(
    ("by", "filters"),
    [
        (["name"], {}),
        ([], {"mrn": "1"}),
        (["route", "route"], {}),
        ([], {"route": "x' OR '1'='1"}),
        ([], {"indication": ""}),
        ([], {"clinic": True}),
        ([], {"clinic": "7"}),
    ],
)
def test_unknown_dimensions_and_unsafe_values_never_reach_sql(by, filters):
    with pytest.raises(ClinicalRuleError):
        queries.outcome_counts_sql(PHQ9, queries.Cohort.of(by, filters))


def test_funnel_refuses_course_dimensions():
    with pytest.raises(ClinicalRuleError, match="splits only by"):
        queries.funnel_sql(queries.Cohort.of(["route"]))


def test_one_relapse_rule_and_one_window_per_query():
    with pytest.raises(ClinicalRuleError):
        queries.outcome_counts_sql([outcome_definition("phq9"), *SUSTAIN], queries.Cohort())
    with pytest.raises(ClinicalRuleError):
        queries.outcome_counts_sql(
            [outcome_definition("phq9"), outcome_definition("madrs", follow_up_days=7)],
            queries.Cohort(),
        )
