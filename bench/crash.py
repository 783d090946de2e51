"""Crash safety: kill -9 gunicorn workers while they write; no acknowledged write may be lost.

    .venv/bin/python bench/crash.py                       # SQLite, 200 writes, 6 kills
    bash scripts/with-postgres.sh sh -c \
        '.venv/bin/python bench/crash.py --database-url "$DATABASE_URL"'

1. A temporary directory: a fresh database (``migrate``), ``ketacare setup --no-input`` (an
   organisation, a clinic and its administrator) and an API token with read and write scopes.
2. gunicorn with sync workers, as production serves.
3. Client threads register patients through the API, each write with its own Idempotency-Key and
   a last name of its own. A write is acknowledged when it answers 201.
4. While writes are in flight, at points a seeded generator chooses, a worker is killed with
   SIGKILL (the master starts another).
5. A write that got no answer (connection reset, timeout, 5xx) is sent again with the same key
   until it is answered: a retry must never write twice.
6. gunicorn stops; a fresh process checks that every acknowledged patient exists with the id it
   was given, that each key wrote exactly one patient, and that ``ketacare audit_verify`` passes.

Prints a JSON summary (``--json FILE`` writes it too); exit status 1 if a write was lost or
duplicated or the audit trail is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import urlsplit

from harness import (  # bench/harness.py: the same production-like server the benchmark runs
    HOST,
    ROOT,
    bench_env,
    ensure_database,
    free_port,
    start_server,
    stop_server,
    wait_ready,
)

ADMIN = "admin@crash.example.org"
PASSWORD = "crash-test-admin-passphrase"


def _ketacare(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ketacare.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"ketacare {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(env: dict[str, str]) -> str:
    """A migrated database with one clinic; the token the clients write with."""
    _ketacare(env, "migrate", "--noinput", "-v", "0")
    _ketacare(
        env | {"KETACARE_ADMIN_PASSWORD": PASSWORD},
        "setup", "--no-input", "--organisation", "Crash Network", "--clinic", "Crash Clinic",
        "--time-zone", "America/New_York", "--admin-email", ADMIN,
    )  # fmt: skip
    out = _ketacare(env, "api_token", "issue", ADMIN, "crash", "--scopes", "read,write")
    return out.strip().splitlines()[-1]


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(int(pid) for pid in children.read_text().split()) if children.exists() else []


class Run:
    """The writes, the kill schedule and what came back, shared by the client threads."""

    def __init__(self, *, writes: int, kills: int, seed: int, master: int) -> None:
        self.rng = random.Random(seed)
        self.kill_at = set(self.rng.sample(range(3, writes), kills))
        self.next = iter(range(writes))
        self.master = master
        self.lock = threading.Lock()
        self.acknowledged: dict[str, int] = {}
        self.killed: list[int] = []
        self.retries = 0
        self.replayed = 0

    def take(self) -> int | None:
        with self.lock:
            return next(self.next, None)

    def kill_a_worker(self) -> None:
        with self.lock:
            pids = workers_of(self.master)
            if pids:
                pid = self.rng.choice(pids)
                os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)


def _send(port: int, token: str, key: str, body: bytes, on_sent=None) -> tuple[int, dict, bool]:
    connection = HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/patients",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        if on_sent is not None:
            on_sent()  # the write is in flight now
        response = connection.getresponse()
        data = response.read()
        replayed = response.getheader("Idempotent-Replayed") == "true"
        return response.status, (json.loads(data) if data else {}), replayed
    finally:
        connection.close()


def client(run: Run, port: int, token: str) -> None:
    while (n := run.take()) is not None:
        key = f"crash-{n}"
        body = json.dumps(
            {"first_name": "Crash", "last_name": f"Write{n:05d}", "date_of_birth": "1980-01-01",
             "sex_at_birth": "female"}
        ).encode()  # fmt: skip
        on_sent = run.kill_a_worker if n in run.kill_at else None
        while True:
            try:
                status, answer, replayed = _send(port, token, key, body, on_sent)
            except (OSError, HTTPException):
                status, answer, replayed = 0, {}, False
            on_sent = None
            if status == 201:
                with run.lock:
                    run.acknowledged[key] = answer["id"]
                    run.replayed += replayed
                break
            if 400 <= status < 500:
                raise SystemExit(f"write {key} was refused with {status}: {answer}")
            with run.lock:
                run.retries += 1


CHECK = """
import json, django
django.setup()
from ketacare.patients.models import Patient
rows = list(Patient.objects.filter(first_name="Crash").values_list("last_name", "pk"))
print(json.dumps(rows))
"""


def check(env: dict[str, str], run: Run) -> dict:
    found = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip
    rows = json.loads(found.stdout)
    ids_by_name: dict[str, list[int]] = {}
    for name, pk in rows:
        ids_by_name.setdefault(name, []).append(pk)
    lost = [
        key
        for key, pk in run.acknowledged.items()
        if pk not in ids_by_name.get(f"Write{int(key.split('-')[1]):05d}", [])
    ]
    duplicated = sorted(name for name, ids in ids_by_name.items() if len(ids) > 1)
    verify = subprocess.run(
        [sys.executable, "-m", "ketacare.cli", "audit_verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return {
        "patients": len(rows),
        "lost": lost,
        "duplicated": duplicated,
        "audit": "intact" if verify.returncode == 0 else verify.stderr.strip()[-2000:],
        "audit_notes": [line for line in verify.stdout.splitlines() if line.startswith("note:")],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ketacare-crash-") as tmp:
        env = bench_env(Path(tmp), args.database_url)
        if args.database_url:
            ensure_database(args.database_url)
        token = prepare(env)
        port = free_port()
        server = start_server(env, port, args.workers, Path(tmp) / "gunicorn.log")
        try:
            wait_ready(server, port)
            run = Run(writes=args.writes, kills=args.kills, seed=args.seed, master=server.pid)
            threads = [
                threading.Thread(target=client, args=(run, port, token))
                for _ in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            stop_server(server)
        summary = {
            "database": urlsplit(args.database_url).scheme if args.database_url else "sqlite",
            "writes": args.writes,
            "acknowledged": len(run.acknowledged),
            "kills": len(run.killed),
            "retries": run.retries,
            "replayed": run.replayed,
            "seed": args.seed,
        } | check(env, run)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    broken = summary["lost"] or summary["duplicated"] or summary["audit"] != "intact"
    return 1 if broken or summary["acknowledged"] != args.writes else 0


if __name__ == "__main__":
    sys.exit(main())
