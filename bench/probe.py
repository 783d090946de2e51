"""The bench's Django side, run by bench/run.py in its own process against the bench database.

``probe.py prepare`` issues API tokens and picks the patient and search the load uses;
``probe.py queries TARGETS.json`` sends each target through Django's test client (once to warm,
once measured) and reports every statement the measured request ran, timed, with repeated
statement shapes flagged, so an N+1 shows up beside the timings.
Both print one JSON document on stdout. The load itself never runs in this process.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

MODEL_BACKEND = "ketacare.core.auth_backend.UserBackend"
STATEMENTS_KEPT = 60
SQL_CHARS_KEPT = 4000


def prepare() -> dict:
    from ketacare.core.access import access_for
    from ketacare.core.models import ApiToken, User
    from ketacare.demo.management.commands.demo import DEMO_PASSWORD
    from ketacare.patients.models import Patient

    tokens = {}
    for username in ("nurse", "prescriber"):
        _, plaintext = ApiToken.issue(user=User.objects.get(username=username), name="bench")
        tokens[username] = plaintext
    clinic = access_for(User.objects.get(username="nurse")).clinic
    in_clinic = Patient.objects.filter(clinic=clinic).order_by("pk")
    # A patient from the middle of the registry, with an intake, like most charts opened.
    with_intake = in_clinic.filter(intake_versions__isnull=False).distinct()
    patient = with_intake[with_intake.count() // 2]
    return {
        "password": DEMO_PASSWORD,
        "tokens": tokens,
        "clinic": {"id": clinic.pk, "name": clinic.name, "patients": in_clinic.count()},
        "patient_id": patient.pk,
        "search": patient.last_name,
        "search_matches": in_clinic.filter(
            search_last_name__startswith=patient.last_name.lower()
        ).count(),
        "database": connection.vendor,
    }


_LITERALS = (
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\((?:\s*\?\s*,)+\s*\?\s*\)"), "(?…)"),
    (re.compile(r"\s+"), " "),
)


def _shape(sql: str) -> str:
    """The statement with its literals taken out: the same shape repeated is an N+1."""
    for pattern, replacement in _LITERALS:
        sql = pattern.sub(replacement, sql)
    return sql.strip()


class _Recorder:
    """Times every statement the request runs (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.statements: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            cursor = context["cursor"]
            try:
                text = connection.ops.last_executed_query(cursor, sql, params)
            except Exception:  # the SQL is what matters; parameters are a nicety
                text = sql
            self.statements.append({"sql": text, "ms": round(elapsed, 3)})


def _client_for(target: dict, clients: dict[str, Client]) -> tuple[Client, dict[str, str]]:
    """A test client signed in as the target's page user (one per user), or with its token."""
    from ketacare.core.models import User

    auth = target["auth"]
    headers = {"HTTP_HOST": "127.0.0.1"}
    if auth["kind"] == "session":
        client = clients.get(auth["user"])
        if client is None:
            client = clients[auth["user"]] = Client()
            client.force_login(User.objects.get(username=auth["user"]), MODEL_BACKEND)
    else:
        client = Client()
        if auth["kind"] == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {auth['token']}"
    return client, headers


def queries(targets: list[dict]) -> dict:
    clients: dict[str, Client] = {}
    report = {}
    for target in targets:
        client, headers = _client_for(target, clients)
        client.get(target["path"], **headers)  # warm: first-request work is not steady state
        recorder = _Recorder()
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            response = client.get(target["path"], **headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        statements = recorder.statements
        reads = [s for s in statements if s["sql"].lstrip().upper().startswith("SELECT")]
        shapes = Counter(_shape(s["sql"]) for s in reads)
        slowest = max(statements, key=lambda s: s["ms"], default=None)
        report[target["name"]] = {
            "status": response.status_code,
            "queries": len(statements),
            "writes": sum(
                1
                for s in statements
                if s["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            ),
            "transactions": sum(1 for s in statements if s["sql"].upper().startswith("BEGIN")),
            "sql_ms": round(sum(s["ms"] for s in statements), 2),
            "request_ms": round(elapsed_ms, 2),
            "repeated_shapes": {shape: n for shape, n in shapes.items() if n > 1},
            "slowest": slowest and {"sql": slowest["sql"][:SQL_CHARS_KEPT], "ms": slowest["ms"]},
            # An N+1 can run thousands: keep the first ones, the shapes above say the rest.
            "statements": [
                {"sql": s["sql"][:SQL_CHARS_KEPT], "ms": s["ms"]}
                for s in statements[:STATEMENTS_KEPT]
            ],
            "statements_omitted": max(0, len(statements) - STATEMENTS_KEPT),
        }
    return report


def profile(targets: list[dict], lines: int = 40) -> str:
    """cProfile of each target's measured request (after a warm one): where its CPU time goes
    (the process's own, so other work on the machine does not blur it)."""
    import cProfile
    import io
    import pstats

    out = io.StringIO()
    for target in targets:
        client, headers = _client_for(target, {})
        client.get(target["path"], **headers)
        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        profiler.enable()
        response = client.get(target["path"], **headers)
        profiler.disable()
        out.write(f"\n=== {target['name']} {target['path']} (HTTP {response.status_code})\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(lines)
        stats.sort_stats("tottime").print_stats(lines // 2)
    return out.getvalue()


def main() -> None:
    command = sys.argv[1]
    if command == "prepare":
        result = prepare()
    elif command == "queries":
        with open(sys.argv[2]) as handle:
            result = queries(json.load(handle))
    elif command == "profile":
        with open(sys.argv[2]) as handle:
            sys.stdout.write(profile(json.load(handle)))
        return
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
