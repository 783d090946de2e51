"""Outcomes at scale: the project's engine against pandas and against a raw DuckDB scan.

    .venv/bin/python bench/analytics.py                  # 1,000,000 patients, 30,000,000 scores
    .venv/bin/python bench/analytics.py --patients 100000 --observations 3000000
    .venv/bin/python bench/analytics.py --pandas-patients 100000   # pandas on a smaller cohort

Generates a synthetic export (ketacare.analytics.synthetic, fixed seed) as Parquet in a temporary
directory, then in one run times

1. the engine: the full outcome computation (every patient's state on PHQ-9, MADRS and
   QIDS-SR16 as ``clinical.outcomes`` defines it, counted by instrument and route: exclusions,
   responders, remitters, response reached, relapses) on DuckDB over the files;
2. pandas: a straightforward implementation of the same computation (read, merge, sort,
   groupby) over the same files;
3. a raw DuckDB scan of the same files: every column the outcome computation reads
   (``queries.OUTCOME_INPUTS``), the same rows, one trivial aggregate per column, no join and no
   grouping (``queries.scan_sql``): the cost of reading the inputs, the floor the ratio is
   judged against. The narrower ``COUNT(*), SUM(score)`` over every score is printed too;

and, apart, what the export pays once for the facts the engine reads instead of recomputing
them (``ketacare.analytics.derived.derive`` over the recorded columns; pandas works from the
recorded columns alone); prints the times and the ratios, checks that the engine and pandas
agree count for count (exit status 1 if not), and deletes the directory unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ketacare.analytics import queries
from ketacare.analytics.derived import derive
from ketacare.analytics.engine import CohortAnalytics, open_export
from ketacare.analytics.synthetic import generate
from ketacare.clinical.cohorts import OutcomeCounts, OutcomeDefinition, outcome_definition

INSTRUMENTS = ("phq9", "madrs", "qids_sr16")
Counts = dict[tuple[str, str], OutcomeCounts]  # (instrument, route) -> counts


def engine_outcomes(analytics: CohortAnalytics, definitions: list[OutcomeDefinition]) -> Counts:
    counts = analytics.outcome_counts(definitions, by=("route",))
    return {(instrument, dict(group)["route"]): c for (instrument, group), c in counts.items()}


def pandas_outcomes(export: Path, definitions: list[OutcomeDefinition]) -> Counts:
    """The same outcome rules written the way a pandas user would: merge, sort, groupby."""
    codes = [d.code for d in definitions]
    courses = pd.read_parquet(
        export / "courses", columns=["course_id", "patient_id", "route", "first_treatment_min"]
    )
    courses = courses[courses["first_treatment_min"].notna()]
    index = courses.sort_values(["patient_id", "first_treatment_min", "course_id"])
    index = index.drop_duplicates("patient_id")[["patient_id", "route", "first_treatment_min"]]
    index = index.rename(columns={"first_treatment_min": "t0"})
    obs = pd.read_parquet(
        export / "observations",
        columns=["observation_id", "patient_id", "instrument", "at_min", "score"],
        filters=[("instrument", "in", codes)],
    )
    obs["instrument"] = obs["instrument"].astype(str)
    obs = obs.merge(index[["patient_id", "t0"]], on="patient_id")
    obs = obs.sort_values(["patient_id", "instrument", "at_min", "observation_id"])
    rules = pd.DataFrame(
        {
            "instrument": codes,
            "fall_pct": [d.response_min_fall_percent for d in definitions],
            "remission_max": [
                d.remission_threshold - (1 if d.remission_comparator == "<" else 0)
                for d in definitions
            ],
        }
    )
    keys = ["patient_id", "instrument"]
    pre = obs[obs["at_min"] <= obs["t0"]]
    baseline = pre.groupby(keys, sort=False)["score"].last().rename("baseline").reset_index()
    follow = obs[obs["at_min"] > obs["t0"]].merge(baseline, on=keys, how="left")
    follow = follow.merge(rules, on="instrument")
    b, s = follow["baseline"], follow["score"]
    follow["benefit"] = (b > 0) & (
        ((b - s) * 100 >= follow["fall_pct"] * b) | (s <= follow["remission_max"])
    )
    follow["position"] = follow.groupby(keys, sort=False).cumcount()
    grouped = follow.groupby(keys, sort=False)
    per = pd.DataFrame(
        {
            "follow_ups": grouped.size(),
            "latest": grouped["score"].last(),
        }
    )
    helped = follow[follow["benefit"]].groupby(keys, sort=False)
    per["reached"] = helped["at_min"].min()
    per["last_kept"] = helped["position"].max()
    per = per.reset_index()

    cohort = index.merge(pd.DataFrame({"instrument": codes}), how="cross")
    out = cohort.merge(baseline, on=keys, how="left").merge(per, on=keys, how="left")
    out = out.merge(rules, on="instrument")
    out["follow_ups"] = out["follow_ups"].fillna(0)
    base, latest = out["baseline"], out["latest"]
    evaluated = (base > 0) & (out["follow_ups"] > 0)
    response = evaluated & ((base - latest) * 100 >= out["fall_pct"] * base)
    remission = evaluated & (latest <= out["remission_max"])
    reached = evaluated & out["reached"].notna()
    trailing = out["follow_ups"] - 1 - out["last_kept"]
    relapse = reached & ~remission & (trailing >= 2)  # two in a row without response
    frame = pd.DataFrame(
        {
            "instrument": out["instrument"],
            "route": out["route"],
            "patients": 1,
            "no_baseline": base.isna(),
            "no_follow_up": base.notna() & (out["follow_ups"] == 0),
            "baseline_zero": (base == 0) & (out["follow_ups"] > 0),
            "responders": response,
            "remitters": remission,
            "reached_response": reached,
            "relapsed": relapse,
        }
    )
    totals = frame.groupby(["instrument", "route"]).sum()
    return {
        key: OutcomeCounts(**{name: int(value) for name, value in row.items()})
        for key, row in totals.iterrows()
    }


def timed(run: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """Best wall time, the CPU time (all threads of this process) of that run, and the result.

    CPU seconds say what the work costs even when other jobs share the machine's cores; wall
    seconds are what a user waits.
    """
    best, cpu, result = float("inf"), 0.0, None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall = time.perf_counter() - start
        if wall < best:
            best, cpu = wall, time.process_time() - start_cpu
    return best, cpu, result


def time_derive(export: Path) -> tuple[float, float]:
    """Wall and CPU seconds of deriving the export's derived columns from its recorded ones."""
    courses = pq.read_table(
        export / "courses", columns=["patient_id", "course_id", "first_treatment_min"]
    )
    scores = pq.read_table(
        export / "observations",
        columns=["observation_id", "patient_id", "instrument", "at_min", "score"],
    )
    wall, cpu, _ = timed(
        lambda: derive(
            {name: courses.column(name) for name in courses.column_names},
            {name: scores.column(name) for name in scores.column_names},
        )
    )
    return wall, cpu


def measure(export: Path, *, repeat: int, with_pandas: bool) -> dict[str, Any]:
    definitions = [outcome_definition(code) for code in INSTRUMENTS]
    analytics = open_export(export)
    runner = analytics.runner
    figures: dict[str, Any] = {}
    figures["scan_s"], figures["scan_cpu"], scan = timed(
        lambda: runner.rows(queries.scan_sql(INSTRUMENTS)), repeat=3
    )
    figures["scanned"] = scan[0]["observations"]
    figures["score_scan_s"], figures["score_scan_cpu"], _ = timed(
        lambda: runner.rows(queries.score_scan_sql()), repeat=3
    )
    figures["engine_s"], figures["engine_cpu"], figures["engine"] = timed(
        lambda: engine_outcomes(analytics, definitions), repeat=repeat
    )
    if with_pandas:
        figures["pandas_s"], figures["pandas_cpu"], figures["pandas"] = timed(
            lambda: pandas_outcomes(export, definitions)
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--observations", type=int, default=30_000_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=2, help="engine runs; the best counts")
    parser.add_argument(
        "--pandas-patients",
        type=int,
        default=None,
        help="time pandas (and the engine again) on a cohort of this many "
        "patients instead of the full one, scores in proportion",
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to generate (default tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="ketacare-analytics-", dir=args.dir))
    load_before = os.getloadavg()
    try:
        gen_s, _, size = timed(
            lambda: generate(
                base / "full",
                patients=args.patients,
                observations=args.observations,
                seed=args.seed,
            )
        )
        print(
            f"generated {size.patients:,} patients, {size.observations:,} scores, "
            f"{size.sessions:,} sessions in {gen_s:.1f} s ({_mb(base / 'full')} MB Parquet)"
        )
        reduced = args.pandas_patients is not None and args.pandas_patients < args.patients
        full = measure(base / "full", repeat=args.repeat, with_pandas=not reduced)
        full["derive_s"], full["derive_cpu"] = time_derive(base / "full")
        small = None
        if reduced:
            share = args.pandas_patients / args.patients
            generate(
                base / "small",
                patients=args.pandas_patients,
                observations=int(args.observations * share),
                seed=args.seed,
            )
            small = measure(base / "small", repeat=args.repeat, with_pandas=True)
        load_after = os.getloadavg()
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    compared = small or full
    agree = compared["engine"] == compared["pandas"]
    print()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    rows = [
        (f"engine: full outcome computation (DuckDB, best of {args.repeat})", full, "engine"),
        (f"raw DuckDB scan: the engine's inputs ({full['scanned']:,} scores)", full, "scan"),
        ("  (narrower: COUNT(*), SUM(score) over every score)", full, "score_scan"),
        ("once per export: the derived columns (numpy)", full, "derive"),
    ]
    if small is None:
        rows.append(("pandas: the same computation", full, "pandas"))
    else:
        at = f"at {args.pandas_patients:,} patients"
        rows += [(f"{at}: engine", small, "engine"), (f"{at}: pandas", small, "pandas")]
    print(f"{'what':<62}{'wall s':>8}{'CPU s':>8}")
    for label, figures, key in rows:
        print(f"{label:<62}{figures[key + '_s']:>8.2f}{figures[key + '_cpu']:>8.2f}")
    speedup = compared["pandas_s"] / compared["engine_s"]
    to_scan = full["engine_s"] / full["scan_s"]
    where = "" if small is None else f" (at {args.pandas_patients:,} patients)"
    print(
        f"\npandas / engine{where}: {speedup:.1f}× wall, "
        f"{compared['pandas_cpu'] / compared['engine_cpu']:.1f}× CPU;   engine / raw scan: "
        f"{to_scan:.1f}× wall, {full['engine_cpu'] / max(full['scan_cpu'], 1e-9):.1f}× CPU"
    )
    print(
        f"goals: under 5 s at full size: {_yes(full['engine_s'] < 5)}; "
        f"≥ 10× faster than pandas: {_yes(speedup >= 10)}; "
        f"within 3× of the raw scan: {_yes(to_scan <= 3)}"
    )
    phq9 = sum(
        (c for (code, _), c in compared["engine"].items() if code == "phq9"), OutcomeCounts()
    )
    print(
        f"PHQ-9: {phq9.patients:,} treated, {phq9.evaluated:,} evaluated, "
        f"{phq9.responders:,} responders, {phq9.remitters:,} remitters, "
        f"{phq9.relapsed:,} relapses"
    )
    print("engine and pandas agree on every count" if agree else "ENGINE AND PANDAS DIFFER")
    if not agree:
        for key in sorted(set(compared["engine"]) | set(compared["pandas"])):
            print(
                f"  {key}: engine {compared['engine'].get(key)} pandas "
                f"{compared['pandas'].get(key)}"
            )
    return 0 if agree else 1


def _mb(path: Path) -> int:
    return round(sum(f.stat().st_size for f in path.rglob("*.parquet")) / 1e6)


def _yes(met: bool) -> str:
    return "met" if met else "missed"


if __name__ == "__main__":
    np.seterr(invalid="ignore")
    raise SystemExit(main())
