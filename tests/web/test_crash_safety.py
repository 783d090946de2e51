"""Crash safety stays proven: gunicorn workers killed with SIGKILL while they write lose no
acknowledged write, and the writes retried with their Idempotency-Key are not duplicated
(bench/crash.py, bounded and seeded; on PostgreSQL too when the suite runs there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_killing_workers_during_writes_loses_and_duplicates_nothing(tmp_path):
    summary_file = tmp_path / "crash.json"
    command = [sys.executable, "bench/crash.py", "--writes", "80", "--kills", "4", "--seed", "7",
               "--json", str(summary_file)]  # fmt: skip
    if os.environ.get("DATABASE_URL"):  # the suite runs on PostgreSQL: a database of its own
        url = urlsplit(os.environ["DATABASE_URL"])
        command += ["--database-url", url._replace(path=f"/crash_{os.getpid()}").geturl()]

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)

    assert summary_file.exists(), done.stderr[-3000:]
    summary = json.loads(summary_file.read_text())
    assert summary["kills"] == 4
    assert summary["acknowledged"] == summary["patients"] == 80
    assert summary["lost"] == [] and summary["duplicated"] == []
    assert summary["audit"] == "intact"
    assert done.returncode == 0
