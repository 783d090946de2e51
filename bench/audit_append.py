"""Audit appends under concurrency: how many audited requests the trail lets through at once.

Every audited read and every write appends to the audit trail inside its own transaction. This
script starts W worker processes (each its own database connection, like gunicorn's sync
workers) that append as fast as they can for a few seconds in each scenario, and prints
appends per second with the latency of one append (p50/p99), then verifies the trail.

    bash scripts/with-postgres.sh .venv/bin/python bench/audit_append.py --workers 4

Scenarios:
  read-1     an audited read (one short transaction per append), every worker in one clinic
  read-8     the same, the workers' reads spread over 8 clinics of a network
  write-1    an audited write: the append, then 20 ms more work in the same transaction before
             it commits (a request that writes its record and its audit entry in one
             transaction and goes on working before it commits), one clinic
  write-8    the same over 8 clinics

It only calls ``ketacare.audit.services.audit_record`` and ``audit_verify_chain``, so the same
script measures an older checkout (``PYTHONPATH=/path/to/old/checkout``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time

SCENARIOS = {
    "read-1": (1, 0.0),
    "read-8": (8, 0.0),
    "write-1": (1, 0.020),
    "write-8": (8, 0.020),
}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    import django

    django.setup()


def _hold(seconds: float) -> None:
    """Work inside the transaction that takes ``seconds`` of database time (not a client
    sleep: the connection is busy, as it would be running the service's other statements)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        else:
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                cursor.execute("SELECT 1")


def _worker(index: int, clinics: int, hold: float, seconds: float, barrier, results) -> None:
    _setup()
    from django.db import connection, transaction

    from ketacare.audit.services import RequestOrigin, audit_record

    origin = RequestOrigin(actor_label=f"bench-worker-{index}", ip_address="127.0.0.1")
    latencies = []
    barrier.wait()
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        clinic_id = 1 + (index + n) % clinics
        start = time.perf_counter()
        with transaction.atomic():
            audit_record(
                origin=origin,
                action="view",
                object_type="demographics",
                object_id=n,
                clinic_id=clinic_id,
                patient_id=n,
                summary="Viewed demographics (bench)",
            )
            if hold:
                _hold(hold)
        latencies.append(time.perf_counter() - start)
        n += 1
    connection.close()
    results.put(latencies)


def run_scenario(name: str, workers: int, seconds: float) -> dict:
    clinics, hold = SCENARIOS[name]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(i, clinics, hold, seconds, barrier, results))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    latencies = [x for _ in processes for x in results.get()]
    for process in processes:
        process.join()
    latencies.sort()
    return {
        "scenario": name,
        "appends": len(latencies),
        "per_second": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args(argv)

    from run import ensure_database  # bench/run.py: creates a PostgreSQL database if missing

    ensure_database(os.environ.get("DATABASE_URL", ""))
    # Anchors of this run only (the workers inherit it): an anchor file left by an earlier run
    # against another database would report that database's chains as rolled back.
    anchors = tempfile.mkdtemp(prefix="ketacare-bench-anchors-")
    os.environ.setdefault("AUDIT_ANCHOR_PATH", os.path.join(anchors, "audit-anchors.jsonl"))
    _setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    connection.close()

    rows = [run_scenario(name, args.workers, args.seconds) for name in args.only]

    from ketacare.audit.services import audit_verify_chain

    breaks = list(audit_verify_chain())
    print(f"Audit appends, {vendor}, {args.workers} worker processes, {args.seconds:g} s each")
    print("| Scenario | Appends/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['per_second']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} |"
        )
    print(f"Chain verified after the run: {'intact' if not breaks else f'{len(breaks)} breaks'}")
    return 1 if breaks else 0


if __name__ == "__main__":
    sys.exit(main())
