"""The import contracts, run by the tests: ketacare/clinical stays pure Python, the apps stay
layered, and no app reaches another through importlib."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_clinical_core_is_pure_and_the_apps_are_layered():
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The clinical core is pure Python: no Django, no ninja, no apps KEPT" in result.stdout
    assert "The analytics engine runs without Django" in result.stdout
    assert "Apps are layered: each imports only the apps below it KEPT" in result.stdout
    assert ", 0 broken" in result.stdout


# Only the shell that mounts every app's pages and router imports modules by name.
DYNAMIC_IMPORTS_ALLOWED = {"ketacare/config/api.py", "ketacare/config/mounting.py"}


def test_no_app_reaches_another_through_importlib():
    found = sorted(
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "ketacare").rglob("*.py")
        if "migrations" not in path.parts
        and ("importlib" in (text := path.read_text()) or "__import__(" in text)
    )
    assert set(found) <= DYNAMIC_IMPORTS_ALLOWED, found
