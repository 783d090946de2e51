"""The same cohort SQL on a local PySpark session (optional extra: ``pip install ketacare[spark]``).

    python -m ketacare.analytics.spark --export DIR [--instrument phq9] [--by route ...]
        [--follow-up-days N] [--compare-duckdb]

reads an export directory (``ketacare.analytics.layout``), registers its five tables as Spark
views and runs the very SQL text the DuckDB engine runs (``ketacare.analytics.queries``). A
registry of many networks points the same queries at its Spark or Trino catalogue. With
``--compare-duckdb`` it also runs DuckDB on the same files and exits 1 if any figure differs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ketacare.analytics.engine import CohortAnalytics, Row, open_export
from ketacare.analytics.layout import TABLES, table_dir
from ketacare.clinical.common import ClinicalRuleError


def local_session(*, cores: int = 2) -> Any:
    """A small local Spark session: no UI, few shuffle partitions (cohort results are small)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as missing:
        raise ClinicalRuleError(
            "PySpark is not installed: pip install 'ketacare[spark]' (it needs Java 17 or later)"
        ) from missing
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("ketacare-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkRunner:
    """Runs the cohort SQL on Spark over the Parquet files of one export directory."""

    name = "spark"

    def __init__(self, export_dir: Path | str, *, spark: Any | None = None) -> None:
        self.spark = spark or local_session()
        for table in TABLES:
            directory = table_dir(export_dir, table)
            if not any(directory.glob("*.parquet")):
                raise ClinicalRuleError(f"{export_dir} is not a complete export: no {table}")
            self.spark.read.parquet(str(directory)).createOrReplaceTempView(table)

    def rows(self, sql: str) -> list[Row]:
        return [row.asDict() for row in self.spark.sql(sql).collect()]


def spark_analytics(export_dir: Path | str, *, spark: Any | None = None) -> CohortAnalytics:
    """The dashboard's figures computed by Spark."""
    return CohortAnalytics(SparkRunner(export_dir, spark=spark))


def figures(
    analytics: CohortAnalytics, *, instrument: str, by: Sequence[str], follow_up_days: int | None
) -> list[tuple[Any, ...]]:
    """The comparable figures of one engine: outcome counts, curves, funnel and safety."""
    rows: list[tuple[Any, ...]] = []
    for s in analytics.outcomes(instrument=instrument, by=by, follow_up_days=follow_up_days):
        rows.append(("outcomes", tuple(s.group.items()), s.counts))
    for kind, curves in (
        ("time to response", analytics.time_to_response(instrument=instrument, by=by)),
        ("durability", analytics.durability(instrument=instrument, by=by, boosters=True)),
    ):
        for c in curves:
            rows.append(
                (kind, tuple(c.group.items()), c.curve.times, c.curve.events, c.curve.censored)
            )
    patient_by = [name for name in by if name in ("clinic", "age_band", "sex", "prior_trials")]
    for f in analytics.funnel(by=patient_by):
        rows.append(("funnel", tuple(f.group.items()), f.stages))
    for r in analytics.safety_rates(by=by):
        rows.append(
            (
                "safety",
                tuple(r.group.items()),
                r.sessions,
                r.adverse_events,
                r.serious_adverse_events,
                r.vital_alerts,
            )
        )
    if instrument in ("phq9", "madrs", "qids_sr16"):
        for p in analytics.si_trajectory(instrument=instrument, by=by):
            rows.append(
                (
                    "si item",
                    tuple(p.group.items()),
                    p.period,
                    p.observations,
                    p.patients,
                    p.mean_item,
                    p.positive,
                )
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ketacare.analytics.spark",
        description="Run the cohort queries on a local PySpark session over an export.",
    )
    parser.add_argument("--export", required=True, type=Path, help="export directory")
    parser.add_argument("--instrument", default="phq9")
    parser.add_argument("--by", nargs="*", default=[], help="route indication clinic ...")
    parser.add_argument("--follow-up-days", type=int, default=None)
    parser.add_argument(
        "--compare-duckdb",
        action="store_true",
        help="also run DuckDB on the same files; exit 1 on any difference",
    )
    args = parser.parse_args(argv)
    try:
        analytics = spark_analytics(args.export)
        summaries = analytics.outcomes(
            instrument=args.instrument, by=args.by, follow_up_days=args.follow_up_days
        )
    except ClinicalRuleError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    print(f"Spark: {args.instrument} response and remission ({', '.join(args.by) or 'all'})")
    for s in summaries:
        label = ", ".join(f"{k}={v}" for k, v in s.group.items()) or "all treated patients"
        print(
            f"  {label}: {s.counts.evaluated} of {s.counts.patients} evaluated; "
            f"response {_rate(s.response)}; remission {_rate(s.remission)}"
        )
    if not args.compare_duckdb:
        return 0
    ours = figures(
        analytics, instrument=args.instrument, by=args.by, follow_up_days=args.follow_up_days
    )
    theirs = figures(
        open_export(args.export),
        instrument=args.instrument,
        by=args.by,
        follow_up_days=args.follow_up_days,
    )
    if ours != theirs:
        print("DuckDB and Spark differ:", file=sys.stderr)
        for row in sorted(set(map(repr, ours)) ^ set(map(repr, theirs))):
            print(f"  {row}", file=sys.stderr)
        return 1
    print(f"DuckDB gives the same {len(ours)} figures.")
    return 0


def _rate(p: Any) -> str:
    if p.rate is None:
        return "n/a"
    return f"{p.numerator}/{p.denominator} = {p.rate:.1%} (95 % CI {p.ci_low:.1%}–{p.ci_high:.1%})"


if __name__ == "__main__":
    raise SystemExit(main())
