"""The operator documentation stays in step with the code it describes."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ketacare.core.roles import MATRIX, Capability, Role

PROJECT_DIR = Path(__file__).resolve().parents[2]
DOCS = PROJECT_DIR / "docs"
SCRIPT = PROJECT_DIR / "scripts" / "render_roles_doc.py"


@pytest.fixture(scope="module")
def renderer():
    spec = importlib.util.spec_from_file_location("render_roles_doc", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_roles_doc_is_what_the_script_renders_from_the_matrix(renderer):
    committed = (DOCS / "roles.md").read_text(encoding="utf-8")

    assert committed == renderer.render(), (
        "docs/roles.md is out of date with ketacare.core.roles.MATRIX: "
        "run .venv/bin/python scripts/render_roles_doc.py --write"
    )


def _matrix_table(text: str) -> dict[str, set[str]]:
    """Parse the rendered table back into {capability: {role labels with a tick}}."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    role_labels = header[2:]
    table = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        capability = cells[0].strip("`")
        table[capability] = {
            label for label, cell in zip(role_labels, cells[2:], strict=True) if cell == "✓"
        }
    return table


def test_the_rendered_table_says_exactly_what_the_matrix_says(renderer):
    table = _matrix_table(renderer.render())

    assert table == {
        capability.value: {role.label for role in MATRIX[capability]} for capability in Capability
    }


def test_the_roles_doc_names_every_role_and_states_the_clinic_rules(renderer):
    text = renderer.render()

    for role in Role:
        assert f"- **{role.label}** (`{role.value}`) — " in text
    assert "Nobody sees another clinic's patients" in text
    assert "network-wide medical director" in text
    assert "Patients see only their own portal" in text


def test_the_renderer_refuses_a_role_it_cannot_describe(renderer, monkeypatch):
    summaries = dict(renderer.ROLE_SUMMARIES)
    del summaries[Role.BILLING]
    monkeypatch.setattr(renderer, "ROLE_SUMMARIES", summaries)

    with pytest.raises(renderer.IncompleteSummaries, match=r"no summary for role\(s\): billing"):
        renderer.render()


def test_the_script_check_mode_agrees():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr


def _variables_read_by_settings() -> set[str]:
    source = (PROJECT_DIR / "ketacare" / "config" / "settings.py").read_text()
    pattern = r'(?:environ\.get|env_bool|env_list|environ\[)\(?\s*"([A-Z][A-Z0-9_]*)"'
    return set(re.findall(pattern, source))


def test_configuration_doc_mentions_every_variable_settings_reads():
    variables = _variables_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "EMAIL_BACKEND"} <= variables
    documented = (DOCS / "configuration.md").read_text(encoding="utf-8")

    missing = sorted(name for name in variables if f"`{name}`" not in documented)

    assert missing == [], f"docs/configuration.md does not describe: {', '.join(missing)}"


def test_architecture_doc_mentions_every_ketacare_app():
    from django.conf import settings

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    apps = [app.split(".")[1] for app in settings.INSTALLED_APPS if app.startswith("ketacare.")]

    assert apps
    assert [app for app in apps if f"`{app}`" not in text] == []


@pytest.mark.parametrize(
    "phrase",
    [
        "ketacare.config.wsgi:application",
        "ketacare collectstatic",
        "ketacare migrate",
        "ketacare audit_verify",
        "DemoDatabaseInProduction",
        "DATABASE_URL",
        "WhiteNoise",
    ],
)
def test_deployment_doc_covers_the_production_path(phrase):
    assert phrase in (DOCS / "deployment.md").read_text(encoding="utf-8")
