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
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from importlib import metadata
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HOST = "127.0.0.1"
PAGE_USER = "prescriber"  # sees the fullest dashboard (intakes to sign) and the clinical chart
API_USER = "nurse"
ALONE_SAMPLES = 5  # sequential requests on the idle server before the load
GOAL_SHARE_OF_BARE = 0.4  # every target should serve at least this share of /healthz's req/s

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


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


# --- processes -------------------------------------------------------------------------------


def bench_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    """Production-like settings. KETACARE_ENV stays ``development`` because production settings
    refuse, by design, to serve a demo database (ketacare/core/checks.py); with DEBUG off the
    request path is the same apart from HTTPS-only headers and the static manifest."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    static_root = var_dir / "static"
    static_root.mkdir(exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="ketacare.config.settings",
        KETACARE_ENV="development",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48)[:50],
        ALLOWED_HOSTS=HOST,
        SECURE_COOKIES="false",
        SECURE_SSL_REDIRECT="false",
        KETACARE_VAR_DIR=str(var_dir),
        STATIC_ROOT=str(static_root),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    # The app under ROOT is the one measured, even beside another editable install.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def ensure_database(url: str) -> None:
    """A PostgreSQL URL may name a database that does not exist yet: create it, empty."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def step(label: str, command: list[str], env: dict[str, str], timeout: float = 300) -> str:
    started = time.perf_counter()
    with console.status(label + " …"):
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    if done.returncode != 0:
        console.print(f"[red]{label} failed[/red] ({' '.join(command)}):")
        console.print(done.stderr[-4000:] or done.stdout[-4000:], markup=False)
        raise SystemExit(1)
    console.print(f"{label}: {time.perf_counter() - started:.1f} s")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "ketacare.config.wsgi:application",
        "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"{HOST}:{port}",
        "--timeout", "60", "--graceful-timeout", "5",
        "--no-control-socket",
        "--log-level", "warning", "--error-logfile", str(log),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_ready(server: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering")
        try:
            if http_get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn by its PID: TERM to the master, then KILL its own process group."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group started with, and named by, its PID
        server.wait(timeout=5)


# --- HTTP without a client library ------------------------------------------------------------


def http_get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 30):
    connection = HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def _cookies(message) -> dict[str, str]:
    jar = SimpleCookie()
    for header in message.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def login(port: int, username: str, password: str) -> str:
    """Sign in through the login form, as a browser does; returns the Cookie header."""
    status, message, body = http_get(port, "/accounts/login/")
    csrf_cookie = _cookies(message).get("csrftoken")
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not csrf_cookie or not form_token:
        raise SystemExit(f"login page did not answer as expected (HTTP {status})")
    origin = f"http://{HOST}:{port}"
    connection = HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(
            "POST",
            "/accounts/login/",
            body=urlencode(
                {
                    "username": username,
                    "password": password,
                    "csrfmiddlewaretoken": form_token.group(1).decode(),
                    "next": "/",
                }
            ),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Origin": origin,
                "Referer": f"{origin}/accounts/login/",
            },
        )
        response = connection.getresponse()
        response.read()
        session = _cookies(response.msg).get("sessionid")
    finally:
        connection.close()
    if response.status != 302 or not session:
        raise SystemExit(f"signing in as {username} failed (HTTP {response.status})")
    return f"sessionid={session}; csrftoken={csrf_cookie}"


# --- targets and load ------------------------------------------------------------------------


def build_targets(prepared: dict, session_cookie: str | None) -> list[dict]:
    patient, search = prepared["patient_id"], quote(prepared["search"])
    token = prepared["tokens"][API_USER]
    page = {"kind": "session", "user": PAGE_USER}
    api = {"kind": "token", "user": API_USER, "token": token}
    specs = [
        ("healthz", "Bare endpoint (SELECT 1)", "/healthz", {"kind": "none", "user": "—"}),
        ("dashboard", "Dashboard page", "/", page),
        ("search_page", "Patient search page", f"/patients/?q={search}", page),
        ("registry_page", "Patient list, no query", "/patients/", page),
        ("chart_page", "Patient chart page", f"/patients/{patient}/", page),
        ("api_search", "API patient search", f"/api/v1/patients?q={search}", api),
        ("api_patient", "API patient detail", f"/api/v1/patients/{patient}", api),
        ("api_intake", "API patient intake", f"/api/v1/patients/{patient}/intake", api),
    ]
    targets = []
    for name, label, path, auth in specs:
        headers = {}
        if auth["kind"] == "session" and session_cookie:
            headers["Cookie"] = session_cookie
        elif auth["kind"] == "token":
            headers["Authorization"] = f"Bearer {auth['token']}"
        targets.append(
            {"name": name, "label": label, "path": path, "auth": auth, "headers": headers}
        )
    return targets


def choose_loader(wanted: str) -> str:
    if wanted in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk"
    if wanted == "wrk":
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    if wanted == "auto" and os.geteuid() == 0 and shutil.which("apt-get"):
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
        with console.status("Installing wrk from Debian …"):
            if subprocess.run(install, env=apt_env, capture_output=True).returncode != 0:
                subprocess.run(["apt-get", "update", "-qq"], env=apt_env, capture_output=True)
                subprocess.run(install, env=apt_env, capture_output=True)
        if shutil.which("wrk"):
            return "wrk"
    console.print("[yellow]wrk not found: using bench/loadgen.py (slower loader)[/yellow]")
    return "python"


def load(loader: str, port: int, target: dict, connections: int, seconds: int) -> dict:
    url = f"http://{HOST}:{port}{target['path']}"
    header_args = [a for k, v in target["headers"].items() for a in ("-H", f"{k}: {v}")]
    if loader == "wrk":
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(BENCH / "report.lua"), *header_args, url,
        ]  # fmt: skip
    else:
        command = [
            sys.executable, str(BENCH / "loadgen.py"), url,
            "-c", str(connections), "-d", str(seconds), *header_args,
        ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise SystemExit(f"{loader} gave no result for {target['name']}: {done.stderr[-2000:]}")


def summarise(raw: dict) -> dict:
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        **{f"{k}_ms": round(latency[k] / 1000, 2) for k in ("p50", "p90", "p99", "mean", "max")},
        "errors": sum(raw["errors"].values()),
        "error_detail": raw["errors"],
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }


def measure(target: dict, sql: dict, loader: str, port: int, args: argparse.Namespace) -> dict:
    """Requests alone (the first must answer 200; the median of up to 5 is kept), then warm-up
    and load, then wait for the backlog to drain."""
    alone: list[float] = []
    while len(alone) < ALONE_SAMPLES:
        started = time.perf_counter()
        status, _, body = http_get(port, target["path"], target["headers"], timeout=300)
        alone.append((time.perf_counter() - started) * 1000)
        if status != 200 or alone[0] > args.slow_ms:
            break
    alone_ms = statistics.median(alone)
    result = {key: target[key] for key in ("name", "label", "path")} | {
        "auth": {k: v for k, v in target["auth"].items() if k != "token"},
        "status": status,
        "bytes": len(body),
        "alone_ms": round(alone_ms, 1),
        "sql": sql.get(target["name"]),
        "load": None,
        "skipped": None,
    }
    label = target["label"]
    if status != 200:
        result["skipped"] = f"HTTP {status}"
        console.print(f"[red]{label}: HTTP {status}, not loaded[/red]")
        return result
    if alone_ms > args.slow_ms:
        # Loading it would only pile requests up behind two workers for minutes.
        result["skipped"] = f"{alone_ms / 1000:.1f} s for one request (over --slow-ms)"
        console.print(f"[red]{label}: {alone_ms / 1000:.1f} s for one request, not loaded[/red]")
        return result
    with console.status(f"{label}: {args.duration} s of load …"):
        if args.warmup:
            load(loader, port, target, args.connections, args.warmup)
        result["load"] = summarise(load(loader, port, target, args.connections, args.duration))
        # Requests the loader gave up on still run: wait until the workers are free again.
        drain_started = time.perf_counter()
        http_get(port, "/healthz", timeout=300)
        result["load"]["drain_s"] = round(time.perf_counter() - drain_started, 2)
    run = result["load"]
    if run["requests"] == 0:
        console.print(f"[red]{label}: no request finished in {args.duration} s[/red]")
    else:
        console.print(
            f"{label}: {run['rps']:,.0f} req/s, p50 {run['p50_ms']:.1f} ms, "
            f"p99 {run['p99_ms']:.1f} ms"
        )
    return result


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
            if share is not None and share < GOAL_SHARE_OF_BARE:
                share_cell = f"[red]{share_cell}[/red]"
            cells = [
                f"{run['rps']:,.0f}", f"{run['p50_ms']:.1f}", f"{run['p99_ms']:.1f}", ratio,
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
            result["label"], path, result["auth"]["user"], *cells, f"{result['alone_ms']:.1f}",
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
        prepared = json.loads(
            step("Tokens and targets", [sys.executable, str(BENCH / "probe.py"), "prepare"], env)
        )
        meta["database"] = prepared["database"]
        meta["clinic"] = prepared["clinic"]
        meta["search"] = {"q": prepared["search"], "matches": prepared["search_matches"]}
        targets = build_targets(prepared, session_cookie=None)
        if args.only:
            unknown = set(args.only) - {t["name"] for t in targets}
            if unknown:
                names = ", ".join(t["name"] for t in targets)
                raise SystemExit(f"unknown target(s) {sorted(unknown)}; choose from {names}")
            targets = [t for t in targets if t["name"] in args.only]
        targets_file = var_dir / "targets.json"
        targets_file.write_text(json.dumps(targets))
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
    if any(r["status"] != 200 or (r["load"] and r["load"]["errors"]) for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
