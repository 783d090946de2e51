"""The bench's machinery: a throw-away server, HTTP without a client library, the load
generators and the measurement of one target. Used by bench/run.py; never imports the app."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HOST = "127.0.0.1"
ALONE_SAMPLES = 5  # sequential requests on the idle server before the load

console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


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
    return http_request(port, "GET", path, headers, timeout=timeout)


def http_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    timeout: float = 30,
):
    connection = HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
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


# --- load ------------------------------------------------------------------------------------


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


# Of a write target's requests, the test client sends the first two (bench/probe.py), the
# requests alone the next ALONE_SAMPLES; the load starts after them and goes round the rest.
PROBE_WRITES = 2
LOAD_FROM = PROBE_WRITES + ALONE_SAMPLES


def load(loader: str, port: int, target: dict, connections: int, seconds: int) -> dict:
    url = f"http://{HOST}:{port}{target['path']}"
    header_args = [a for k, v in target["headers"].items() for a in ("-H", f"{k}: {v}")]
    writes = target.get("requests_file")
    if loader == "wrk":
        script = BENCH / ("requests.lua" if writes else "report.lua")
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(script), *header_args, url,
        ]  # fmt: skip
        if writes:
            command += ["--", writes, str(LOAD_FROM)]
    else:
        command = [
            sys.executable, str(BENCH / "loadgen.py"), url,
            "-c", str(connections), "-d", str(seconds), *header_args,
        ]  # fmt: skip
        if writes:
            command += ["--requests", writes, "--offset", str(LOAD_FROM)]
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


def warm_workers(loader: str, port: int, connections: int) -> None:
    """A second of /healthz from every connection, so each worker has served requests (its
    first one pays for loading the app) before anything is measured."""
    load(loader, port, {"name": "warm-up", "path": "/healthz", "headers": {}}, connections, 1)


def measure(target: dict, sql: dict, loader: str, port: int, args: argparse.Namespace) -> dict:
    """Requests alone (the first must answer as expected, 200 or 201 for a write; the median of
    up to 5 is kept), then warm-up and load, then wait for the backlog to drain."""
    if target.get("unavailable"):
        console.print(f"[yellow]{target['label']}: {target['unavailable']}, not run[/yellow]")
        return {key: target[key] for key in ("name", "label", "path")} | {
            "auth": {k: v for k, v in target["auth"].items() if k != "token"},
            "status": None,
            "bytes": 0,
            "alone_ms": None,
            "sql": None,
            "load": None,
            "skipped": target["unavailable"],
        }
    alone: list[float] = []
    writes = target.get("requests") or []
    while len(alone) < ALONE_SAMPLES:
        method, path, payload = "GET", target["path"], None
        if writes:
            method, (path, payload) = "POST", writes[PROBE_WRITES + len(alone)]
        started = time.perf_counter()
        status, _, body = http_request(port, method, path, target["headers"], payload, timeout=300)
        alone.append((time.perf_counter() - started) * 1000)
        if status != target["expect"] or alone[0] > args.slow_ms:
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
    if status != target["expect"]:
        result["skipped"] = f"HTTP {status}"
        console.print(f"[red]{label}: HTTP {status}, not loaded[/red]")
        return result
    if alone_ms > args.slow_ms:
        # Loading it would only pile requests up behind two workers for minutes.
        result["skipped"] = f"{alone_ms / 1000:.1f} s for one request (over --slow-ms)"
        console.print(f"[red]{label}: {alone_ms / 1000:.1f} s for one request, not loaded[/red]")
        return result
    with console.status(f"{label}: {args.duration} s of load …"):
        if args.warmup and not target.get("once"):  # a booking can be sent only once
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
