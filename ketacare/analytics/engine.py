"""Run the cohort queries and turn their rows into the core's summaries and curves.

``CohortAnalytics`` holds a ``Runner`` (anything that runs SQL text and returns rows) and offers
one method per dashboard figure. ``open_export(directory)`` gives one on DuckDB over the Parquet
files of an export; ``ketacare.analytics.spark.spark_analytics`` gives the same on PySpark. The
SQL is the same text on both (``ketacare.analytics.queries``). No Django here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ketacare.analytics import queries
from ketacare.analytics.layout import TABLES, table_dir
from ketacare.clinical.cohorts import (
    SMALL_CELL_MIN,
    KaplanMeier,
    OutcomeCounts,
    OutcomeDefinition,
    OutcomeSummary,
    is_small_cell,
    kaplan_meier_from_counts,
    outcome_definition,
    summarize,
)
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import OutcomeSettings

Row = dict[str, Any]
Group = tuple[tuple[str, Any], ...]


class Runner(Protocol):
    """Runs one SQL text over the export's five tables and returns its rows as dicts."""

    name: str

    def rows(self, sql: str) -> list[Row]: ...


class DuckDBRunner:
    """DuckDB over the Parquet files of one export directory (views, nothing copied)."""

    name = "duckdb"

    def __init__(self, export_dir: Path | str, *, threads: int | None = None) -> None:
        import duckdb

        self.export_dir = Path(export_dir)
        missing = [t for t in TABLES if not any(table_dir(export_dir, t).glob("*.parquet"))]
        if missing:
            raise ClinicalRuleError(
                f"{self.export_dir} is not a complete export: no Parquet files for "
                + ", ".join(missing)
            )
        self.connection = duckdb.connect(":memory:")
        self.connection.execute("SET enable_progress_bar = false")
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        for table in TABLES:
            pattern = str(table_dir(export_dir, table) / "*.parquet").replace("'", "''")
            self.connection.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{pattern}')"
            )

    def rows(self, sql: str) -> list[Row]:
        return self.connection.sql(sql).to_arrow_table().to_pylist()

    def arrow(self, sql: str) -> Any:
        """The result as a pyarrow Table (large per-patient results)."""
        return self.connection.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.connection.close()


class ArrowRunner(DuckDBRunner):
    """DuckDB over in-memory tables (one clinic's live data, built per request): the same SQL as
    over an export's files, with no file written."""

    def __init__(self, tables: Mapping[str, Any], *, threads: int | None = None) -> None:
        import duckdb

        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise ClinicalRuleError("missing tables: " + ", ".join(missing))
        self.export_dir = Path("<memory>")
        self.connection = duckdb.connect(":memory:")
        self.connection.execute("SET enable_progress_bar = false")
        if threads is not None:
            self.connection.execute(f"SET threads = {int(threads)}")
        for table in TABLES:
            self.connection.register(table, tables[table])


def open_tables(tables: Mapping[str, Any], *, threads: int | None = None) -> CohortAnalytics:
    """The dashboard's figures on DuckDB over pyarrow tables with the export's layout."""
    return CohortAnalytics(ArrowRunner(tables, threads=threads))


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier curve for one group (times in days)."""

    group: dict[str, Any]
    instrument: str
    curve: KaplanMeier
    definition: OutcomeDefinition


@dataclass(frozen=True)
class TrajectoryPoint:
    """The suicidal-ideation item in one period after the first treatment (-1: the one before)."""

    group: dict[str, Any]
    period: int
    period_days: int
    observations: int
    patients: int
    mean_item: float
    positive: int | None  # None where the reference gives no positive-screen cutoff
    suppressed: bool


@dataclass(frozen=True)
class FunnelRow:
    """Patients who reached each stage or a later one, in pathway order."""

    group: dict[str, Any]
    stages: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SafetyRates:
    """Adverse events and vital-sign alerts per 100 administered sessions."""

    group: dict[str, Any]
    sessions: int
    adverse_events: int
    serious_adverse_events: int
    vital_alerts: int

    def per_100_sessions(self, count: int) -> float | None:
        return None if self.sessions == 0 else 100 * count / self.sessions

    @property
    def adverse_events_per_100(self) -> float | None:
        return self.per_100_sessions(self.adverse_events)

    @property
    def vital_alerts_per_100(self) -> float | None:
        return self.per_100_sessions(self.vital_alerts)


class CohortAnalytics:
    """The dashboard's figures over one export, on whichever engine runs the SQL."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    # --- response and remission ---------------------------------------------------------------

    def outcomes(
        self,
        *,
        instrument: str,
        by: Sequence[str] = (),
        filters: Mapping[str, str | int] | None = None,
        settings: OutcomeSettings | None = None,
        follow_up_days: int | None = None,
        min_cell: int = SMALL_CELL_MIN,
    ) -> list[OutcomeSummary]:
        """Response and remission rates (Wilson 95 %) per group, with exclusions and definitions."""
        definition, cohort = _question(instrument, by, filters, settings, follow_up_days)
        rows = self.runner.rows(queries.outcome_counts_sql([definition], cohort))
        summaries = [
            summarize(_counts(row), definition, group=_group(row, cohort), min_cell=min_cell)
            for row in rows
        ]
        if not summaries and not cohort.by:  # nobody treated: an explicit zero, not nothing
            summaries = [summarize(OutcomeCounts(), definition, min_cell=min_cell)]
        return sorted(summaries, key=lambda s: _sort_key(s.group))

    def outcome_counts(
        self, definitions: Sequence[OutcomeDefinition], *, by: Sequence[str] = ()
    ) -> dict[tuple[str, Group], OutcomeCounts]:
        """Counts for several instruments in one pass: {(instrument, group): counts}."""
        cohort = queries.Cohort.of(by)
        rows = self.runner.rows(queries.outcome_counts_sql(definitions, cohort))
        return {
            (row["instrument"], tuple(_group(row, cohort).items())): _counts(row) for row in rows
        }

    def patient_outcomes(
        self,
        definitions: Sequence[OutcomeDefinition],
        *,
        filters: Mapping[str, str | int] | None = None,
    ) -> list[Row]:
        """One row per treated patient and instrument (state, baseline, latest, times)."""
        cohort = queries.Cohort.of((), filters)
        rows = self.runner.rows(queries.patient_outcomes_sql(definitions, cohort))
        if any(row["misordered"] for row in rows):
            raise ClinicalRuleError(MISORDERED)
        return rows

    # --- curves -------------------------------------------------------------------------------

    def time_to_response(
        self,
        *,
        instrument: str,
        by: Sequence[str] = (),
        filters: Mapping[str, str | int] | None = None,
        settings: OutcomeSettings | None = None,
        follow_up_days: int | None = None,
    ) -> list[Curve]:
        """Kaplan–Meier of days from the first treatment to the first response or remission."""
        definition, cohort = _question(instrument, by, filters, settings, follow_up_days)
        return self._curves(queries.time_to_response_sql([definition], cohort), cohort, definition)

    def durability(
        self,
        *,
        instrument: str,
        by: Sequence[str] = (),
        filters: Mapping[str, str | int] | None = None,
        settings: OutcomeSettings | None = None,
        follow_up_days: int | None = None,
        boosters: bool = False,
    ) -> list[Curve]:
        """Kaplan–Meier of days from response to relapse (or a booster session, if asked)."""
        definition, cohort = _question(instrument, by, filters, settings, follow_up_days)
        sql = queries.durability_sql([definition], cohort, boosters=boosters)
        return self._curves(sql, cohort, definition)

    def _curves(
        self, sql: str, cohort: queries.Cohort, definition: OutcomeDefinition
    ) -> list[Curve]:
        grouped: dict[Group, list[Row]] = defaultdict(list)
        for row in self.runner.rows(sql):
            if row["misordered"]:
                raise ClinicalRuleError(MISORDERED)
            grouped[tuple(_group(row, cohort).items())].append(row)
        curves = []
        for group, rows in sorted(grouped.items(), key=lambda item: _sort_key(dict(item[0]))):
            curve = kaplan_meier_from_counts(
                [r["duration_min"] / queries.MINUTES_PER_DAY for r in rows],
                [int(r["events"]) for r in rows],
                [int(r["censored"]) for r in rows],
            )
            curves.append(Curve(dict(group), definition.code, curve, definition))
        return curves

    # --- trajectories, funnel, safety ---------------------------------------------------------

    def si_trajectory(
        self,
        *,
        instrument: str,
        by: Sequence[str] = (),
        filters: Mapping[str, str | int] | None = None,
        period_days: int = 7,
        follow_up_days: int | None = None,
        min_cell: int = SMALL_CELL_MIN,
    ) -> list[TrajectoryPoint]:
        """The suicidal-ideation item (PHQ-9 item 9, MADRS item 10, QIDS-SR16 item 12) by period."""
        if instrument not in ("phq9", "madrs", "qids_sr16"):
            raise ClinicalRuleError(
                f"{instrument} has no suicidal-ideation item in the export; "
                "use phq9, madrs or qids_sr16"
            )
        cohort = queries.Cohort.of(by, filters)
        sql = queries.si_trajectory_sql(
            instrument, cohort, bin_days=period_days, follow_up_days=follow_up_days
        )
        has_cutoff = instrument in queries.SI_POSITIVE_MIN
        points = [
            TrajectoryPoint(
                group=_group(row, cohort),
                period=int(row["period"]),
                period_days=period_days,
                observations=int(row["observations"]),
                patients=int(row["patients"]),
                mean_item=int(row["item_sum"]) / int(row["observations"]),
                positive=int(row["positive"]) if has_cutoff else None,
                suppressed=int(row["patients"]) < min_cell
                or (has_cutoff and is_small_cell(int(row["positive"]), min_cell=min_cell)),
            )
            for row in self.runner.rows(sql)
        ]
        return sorted(points, key=lambda p: (_sort_key(p.group), p.period))

    def funnel(
        self, *, by: Sequence[str] = (), filters: Mapping[str, str | int] | None = None
    ) -> list[FunnelRow]:
        """Referred → screened → eligible → consented → started → completed induction →
        maintenance: patients at each stage or beyond."""
        cohort = queries.Cohort.of(by, filters)
        rows = self.runner.rows(queries.funnel_sql(cohort))
        result = [
            FunnelRow(
                _group(row, cohort),
                tuple((stage, int(row[stage] or 0)) for stage in queries.FUNNEL_STAGES),
            )
            for row in rows
        ]
        return sorted(result, key=lambda r: _sort_key(r.group))

    def safety_rates(
        self, *, by: Sequence[str] = (), filters: Mapping[str, str | int] | None = None
    ) -> list[SafetyRates]:
        """Adverse events and vital-sign alerts per 100 administered sessions, per group."""
        cohort = queries.Cohort.of(by, filters)
        result = [
            SafetyRates(
                _group(row, cohort),
                int(row["sessions"] or 0),
                int(row["adverse_events"] or 0),
                int(row["serious_adverse_events"] or 0),
                int(row["vital_alerts"] or 0),
            )
            for row in self.runner.rows(queries.safety_sql(cohort))
        ]
        return sorted(result, key=lambda r: _sort_key(r.group))


def open_export(export_dir: Path | str, *, threads: int | None = None) -> CohortAnalytics:
    """The dashboard's figures on DuckDB over an export directory."""
    return CohortAnalytics(DuckDBRunner(export_dir, threads=threads))


def _question(
    instrument: str,
    by: Sequence[str],
    filters: Mapping[str, str | int] | None,
    settings: OutcomeSettings | None,
    follow_up_days: int | None,
) -> tuple[OutcomeDefinition, queries.Cohort]:
    """The rules and the cohort of an outcome figure, both validated before any SQL is built."""
    definition = outcome_definition(instrument, settings=settings, follow_up_days=follow_up_days)
    return definition, queries.Cohort.of(by, filters)


MISORDERED = (
    "the export's observation ids are not consecutive and in time order within each patient and "
    "instrument (see ketacare.analytics.layout); re-export it"
)


def _counts(row: Row) -> OutcomeCounts:
    if row.get("misordered"):
        raise ClinicalRuleError(MISORDERED)
    return OutcomeCounts(
        patients=int(row["patients"]),
        no_baseline=int(row["no_baseline"] or 0),
        no_follow_up=int(row["no_follow_up"] or 0),
        baseline_zero=int(row["baseline_zero"] or 0),
        responders=int(row["responders"] or 0),
        remitters=int(row["remitters"] or 0),
        reached_response=int(row["reached_response"] or 0),
        relapsed=int(row["relapsed"] or 0),
    )


def _group(row: Row, cohort: queries.Cohort) -> dict[str, Any]:
    return {name: row[name] for name in cohort.by}


def _sort_key(group: Mapping[str, Any]) -> tuple[tuple[bool, str], ...]:
    return tuple((value is None, str(value)) for value in group.values())
