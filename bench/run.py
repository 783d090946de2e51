"""Ketacare benchmark: the main pages and API calls under concurrent load, beside /healthz.

    .venv/bin/python bench/run.py                 # what ``make bench`` runs
    .venv/bin/python bench/run.py --patients 2000 --duration 3 --only healthz chart

In a throw-away directory it migrates a fresh SQLite database, loads the demo clinic
(10,000 patients by default), issues API tokens, then serves the app with gunicorn (sync workers,
DEBUG off) on 127.0.0.1 and signs in through the real login form. Every target is first
requested once (it must answer 200), warmed up, then loaded with C concurrent connections for a
fixed time by ``wrk`` (or bench/loadgen.py when wrk is missing). Beside the timings each target
is sent once through Django's test client to count its SQL queries. Prints a table and writes
bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from harness import (
    BENCH,
    HOST,
    ROOT,
    bench_env,
    choose_loader,
    console,
    ensure_database,
    free_port,
    login,
    measure,
    start_server,
    step,
    stop_server,
    wait_ready,
    warm_workers,
)
from rich.table import Table
from targets import NAMES, PAGE_USER, build_targets

GOAL_SHARE_OF_BARE = 0.4  # every target should serve at least this share of /healthz's req/s
GOAL_P99_MS = 50  # and answer 99 % of its requests under load within this


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Ketacare's main pages and API under concurrent load."
    )
    parser.add_argument("--patients", type=int, default=10_000, help="demo size (10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per target (5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per target (1)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--slow-ms",
        type=float,
        default=1000,
        help="a target slower than this for one request alone is reported, not loaded (1000)",
    )
    parser.add_argument("--only", nargs="+", metavar="TARGET", help="run only these targets")
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to migrate and load instead of a temporary SQLite file "
        "(e.g. under scripts/with-postgres.sh)",
    )
    parser.add_argument(
        "--output", type=Path, default=BENCH / "results" / "latest.json", help="JSON results"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of each target's request (in-process, after a warm one) "
        "instead of loading it",
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="a directory an earlier --keep run left: its SQLite database is migrated and "
        "measured again without loading the demo (kept afterwards)",
    )
    return parser.parse_args()


# --- output ----------------------------------------------------------------------------------


def print_table(results: list[dict], meta: dict) -> None:
    bare = next(
        (
            r
            for r in results
            if r["name"] == "healthz" and r.get("load") and r["load"]["p50_ms"] > 0
        ),
        None,
    )
    table = Table(
        title=(
            f"Ketacare bench — {meta['patients']:,} patients, {meta['database']}, "
            f"gunicorn {meta['workers']} sync workers, {meta['connections']} connections × "
            f"{meta['duration_s']} s ({meta['loader']})"
        ),
        title_justify="left",
    )
    for column, justify in (
        ("Target", "left"), ("Path", "left"), ("As", "left"), ("req/s", "right"),
        ("p50 ms", "right"), ("p99 ms", "right"), ("p50 × bare", "right"),
        ("req/s ÷ bare", "right"), ("Alone ms", "right"), ("Queries (writes)", "right"),
        ("Repeated", "right"), ("SQL ms", "right"), ("Test-client ms", "right"),
        ("Errors", "right"),
    ):  # fmt: skip
        table.add_column(column, justify=justify)
    for result in results:
        run, sql = result.get("load"), result.get("sql") or {}
        path = result["path"] if len(result["path"]) <= 34 else result["path"][:33] + "…"
        if run is None:
            why = result["skipped"] if result["status"] != 200 else "not loaded"
            cells = [f"[red]{why}[/red]", "—", "—", "—", "—"]
            errors = "—"
        elif run["requests"] == 0:
            cells = [f"[red]none in {run['seconds']:.0f} s[/red]", "—", "—", "—", "—"]
            errors = f"[red]{run['errors']}[/red]" if run["errors"] else "0"
        else:
            ratio = f"{run['p50_ms'] / bare['load']['p50_ms']:.1f}×" if bare else "—"
            share = run["rps"] / bare["load"]["rps"] if bare and bare["load"]["rps"] else None
            share_cell = "—" if share is None else f"{share:.2f}×"
            p99_cell = f"{run['p99_ms']:.1f}"
            if run["p99_ms"] >= GOAL_P99_MS:
                p99_cell = f"[red]{p99_cell}[/red]"
            if share is not None and share < GOAL_SHARE_OF_BARE:
                share_cell = f"[red]{share_cell}[/red]"
            cells = [
                f"{run['rps']:,.0f}", f"{run['p50_ms']:.1f}", p99_cell, ratio,
                share_cell,
            ]  # fmt: skip
            errors = f"[red]{run['errors']}[/red]" if run["errors"] else "0"
        if sql:
            repeated = sum(n - 1 for n in sql["repeated_shapes"].values())
            sql_cells = [
                f"{sql['queries']} ({sql['writes']})",
                f"[red]{repeated}[/red]" if repeated > 2 else str(repeated),
                f"{sql['sql_ms']:.1f}",
                f"{sql['request_ms']:.1f}",
            ]
        else:
            sql_cells = ["—", "—", "—", "—"]
        table.add_row(
            result["label"], path, result["auth"]["user"], *cells,
            "—" if result["alone_ms"] is None else f"{result['alone_ms']:.1f}",
            *sql_cells, errors,
        )  # fmt: skip
    console.print(table)
    console.print(
        "Alone ms: median of 5 requests one at a time (over --slow-ms: not loaded). "
        "Queries (writes), Repeated, SQL ms: one warm request through Django's test client; "
        "Repeated = SELECTs whose shape already ran in that request (the N+1 signal). "
        f"req/s ÷ bare: the target's throughput as a share of /healthz's (goal ≥ "
        f"{GOAL_SHARE_OF_BARE}×). "
        f"Load average {meta['loadavg_before']} before, {meta['loadavg_after']} after."
    )


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return done.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main() -> None:
    args = parse_args()
    if args.duration < 1 or args.warmup < 0 or args.connections < 1:
        raise SystemExit("--duration ≥ 1, --warmup ≥ 0 and --connections ≥ 1 please")
    started = time.perf_counter()
    loader = choose_loader(args.loader)
    wanted = args.only or list(NAMES)
    unknown = set(wanted) - set(NAMES)
    if unknown:
        raise SystemExit(f"unknown target(s) {sorted(unknown)}; choose from {', '.join(NAMES)}")
    if args.reuse and not args.database_url and not (args.reuse / "ketacare.sqlite3").exists():
        raise SystemExit(f"--reuse: no ketacare.sqlite3 in {args.reuse}")
    var_dir = args.reuse or Path(tempfile.mkdtemp(prefix="ketacare-bench-"))
    env = bench_env(var_dir, args.database_url)
    cli = [sys.executable, str(ROOT / "manage.py")]
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "commit": git_commit(),
        "machine": f"{platform.node()} · {os.cpu_count()} CPUs · {platform.platform()}",
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "gunicorn": metadata.version("gunicorn"),
        "patients": args.patients,
        "seed": args.seed,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "loader": loader,
        "settings": "KETACARE_ENV=development DEBUG=false (see bench/README.md)",
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    server = None
    try:
        if args.database_url:
            ensure_database(args.database_url)
        step("Migrate", [*cli, "migrate", "--noinput", "-v", "0"], env)
        if not args.reuse:
            step(
                f"Load demo ({args.patients:,} patients)",
                [*cli, "demo", "--patients", str(args.patients), "--seed", str(args.seed)],
                env,
                timeout=3600,
            )
        prepare = [sys.executable, str(BENCH / "probe.py"), "prepare", *wanted]
        prepared = json.loads(step("Tokens and targets", prepare, env, timeout=3600))
        meta["database"] = prepared["database"]
        meta["clinic"] = prepared["clinic"]
        meta["search"] = {"q": prepared["search"], "matches": prepared["search_matches"]}
        meta["prepared"] = {k: v for k, v in prepared.items() if k not in ("tokens", "writes")}
        targets = [t for t in build_targets(prepared, session_cookie=None) if t["name"] in wanted]
        targets_file = var_dir / "targets.json"
        targets_file.write_text(json.dumps(targets))
        for target in targets:
            if target.get("requests"):  # the write targets' requests, for the load generator
                lines = (f"{path}\t{body}" for path, body in target["requests"])
                (var_dir / f"{target['name']}.requests").write_text("\n".join(lines) + "\n")
        if args.profile:
            command = [sys.executable, str(BENCH / "probe.py"), "profile", str(targets_file)]
            console.print(step("Profile (test client)", command, env), markup=False)
            return
        sql = json.loads(
            step(
                "Query counts (test client)",
                [sys.executable, str(BENCH / "probe.py"), "queries", str(targets_file)],
                env,
            )
        )

        port = free_port()
        server = start_server(env, port, args.workers, var_dir / "gunicorn.log")
        wait_ready(server, port)
        cookie = login(port, PAGE_USER, prepared["password"])
        console.print(f"gunicorn on {HOST}:{port} (PID {server.pid}); signed in as {PAGE_USER}")
        by_name = {t["name"]: t for t in build_targets(prepared, session_cookie=cookie)}
        for target in by_name.values():
            if target.get("requests"):
                target["requests_file"] = str(var_dir / f"{target['name']}.requests")
        warm_workers(loader, port, args.connections)
        results = []
        for target in targets:
            results.append(measure(by_name[target["name"]], sql, loader, port, args))
            if server.poll() is not None:
                raise SystemExit(f"gunicorn died during {target['name']}")
        meta["loadavg_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        meta["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        if server is not None:
            stop_server(server)
        if not (args.keep or args.reuse):
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            console.print(f"Kept {var_dir}")
    print_table(results, meta)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "targets": results}, indent=2) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    console.print(f"Wrote {shown} in {meta['seconds']} s total.")
    if any(
        r["skipped"] == f"HTTP {r['status']}" or (r["load"] and r["load"]["errors"])
        for r in results
    ):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
