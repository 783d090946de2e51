"""Production settings refuse unsafe configurations, and the production serving path works.

Settings are decided when the settings module is imported, so each case runs in a fresh
interpreter with the environment a server would have. The serving exercise does what
docs/deployment.md describes: migrate and collectstatic under production settings, then a real
gunicorn with two sync workers answering /healthz and serving hashed static files via WhiteNoise.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
REFUSE_DEBUG = "ImproperlyConfigured: Production refuses to start with DEBUG on."
REFUSE_SECRET = (
    "ImproperlyConfigured: Production refuses to start without its own SECRET_KEY "
    "(at least 50 characters)."
)
IMPORT_SETTINGS = ["-c", "import ketacare.config.settings"]
LONG_CACHE = "max-age=315360000, public, immutable"


def _base_env(home: Path) -> dict[str, str]:
    """A clean environment: nothing leaks in from the developer's shell or the test run."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _production_env(tmp: Path, **overrides: str) -> dict[str, str]:
    env = _base_env(tmp) | {
        "KETACARE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(40)[:50],
        "AUDIT_KEYS": "prod1:" + secrets.token_urlsafe(36),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": "https://clinic.example.org",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "KETACARE_VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def _python(args: list[str], env: dict[str, str], timeout: float = 60):
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ketacare(command: list[str], env: dict[str, str]) -> None:
    # A guard against a hung command, not a speed check: a fresh migrate of every app takes
    # minutes when the two cores are shared with the parallel test workers.
    result = _python(["-m", "ketacare.cli", *command], env, timeout=900)
    assert result.returncode == 0, f"ketacare {' '.join(command)} failed:\n{result.stderr}"


# --- the settings refuse to start ---------------------------------------------------------------


def test_production_settings_refuse_debug(tmp_path):
    result = _python(IMPORT_SETTINGS, _production_env(tmp_path, DEBUG="true"))

    assert result.returncode != 0
    assert REFUSE_DEBUG in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "",
        "ketacare-development-only-secret-key-do-not-use-in-production",
        "x" * 49,
    ],
    ids=["unset", "empty", "the development key", "49 characters"],
)
def test_production_settings_refuse_a_missing_or_default_secret_key(tmp_path, secret_key):
    env = _production_env(tmp_path)
    env.pop("SECRET_KEY")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key

    result = _python(IMPORT_SETTINGS, env)

    assert result.returncode != 0
    assert REFUSE_SECRET in result.stderr


def test_production_settings_start_with_debug_off_and_their_own_key(tmp_path):
    script = (
        "from django.conf import settings\n"
        "print(settings.DEBUG, settings.PRODUCTION, len(settings.SECRET_KEY))\n"
    )
    env = _production_env(tmp_path, DEBUG="false", SECRET_KEY="s" * 50)

    result = _python(["-c", script], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "50"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ALLOWED_HOSTS": ""}, "without ALLOWED_HOSTS"),
        ({"PUBLIC_BASE_URL": ""}, "without PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, "without PUBLIC_BASE_URL"),
    ],
    ids=["no allowed hosts", "no public url", "plain-http public url"],
)
def test_production_settings_refuse_missing_hosts_or_public_url(tmp_path, overrides, message):
    env = _production_env(tmp_path, **overrides)
    result = _python(IMPORT_SETTINGS, env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"AUDIT_KEYS": None}, "without its own audit key"),
        ({"AUDIT_KEYS": "dev:" + "d" * 40}, "without its own audit key"),
        ({"AUDIT_KEYS": "2026a:too-short"}, "shorter than 32 characters"),
        ({"AUDIT_KEYS": "no secret here"}, "each key is 'id:secret'"),
        ({"AUDIT_KEYS": "a:" + "x" * 32 + ",a:" + "y" * 32}, "appears twice"),
        ({"AUDIT_KEYS": None, "AUDIT_KEYS_FILE": "/nonexistent/keys"}, "cannot be read"),
    ],
    ids=["no key", "the development key", "short secret", "no id", "duplicate id", "no file"],
)
def test_production_settings_refuse_a_missing_or_weak_audit_key(tmp_path, overrides, message):
    result = _python(IMPORT_SETTINGS, _production_env(tmp_path, **overrides))

    assert result.returncode != 0
    assert message in result.stderr


def test_the_audit_keyring_can_come_from_a_file_with_retired_keys(tmp_path):
    keys = tmp_path / "audit-keys"
    keys.write_text("# current first\n2027a:" + "n" * 40 + "\n2026a:" + "o" * 40 + "\n")
    script = "from django.conf import settings; print(list(settings.AUDIT_KEYRING))"
    env = _production_env(tmp_path, AUDIT_KEYS=None, AUDIT_KEYS_FILE=str(keys))

    result = _python(["-c", script], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['2027a', '2026a']"


def test_production_settings_default_to_debug_off(tmp_path):
    result = _python(
        ["-c", "from django.conf import settings; print(settings.DEBUG)"], _production_env(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "flase"}, "DEBUG must be true or false, not 'flase'"),
        ({"KETACARE_ENV": "staging"}, "KETACARE_ENV must be development, test or production"),
        (
            {"DB_CONN_MAX_AGE": "10m"},
            "DB_CONN_MAX_AGE must be a whole number of seconds, not '10m'",
        ),
    ],
    ids=["misspelt boolean", "unknown environment", "connection age not in seconds"],
)
def test_settings_refuse_values_they_do_not_understand(tmp_path, env, message):
    result = _python(IMPORT_SETTINGS, _production_env(tmp_path, **env))

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("env", "kept_s"),
    [
        ({}, 600),
        ({"DATABASE_URL": "postgres://ketacare:secret@db.example.org:5432/ketacare"}, 600),
        ({"DB_CONN_MAX_AGE": "0"}, 0),
        ({"DATABASE_URL": "postgres://k:s@db.example.org/k", "DB_CONN_MAX_AGE": "30"}, 30),
    ],
    ids=["sqlite", "postgresql", "sqlite, one per request", "postgresql, 30 s"],
)
def test_workers_keep_their_database_connection_checked_before_reuse(tmp_path, env, kept_s):
    show = "from django.conf import settings; d = settings.DATABASES['default']; "
    show += "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    result = _python(["-c", show], _production_env(tmp_path, **env))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(kept_s), "True"]


# --- production refuses a demo database ---------------------------------------------------------


@pytest.mark.django_db
def test_ensure_production_safe_refuses_a_demo_database(settings):
    from ketacare.core.checks import DemoDatabaseInProduction, ensure_production_safe
    from ketacare.core.models import DemoMarker

    settings.PRODUCTION = True
    ensure_production_safe()  # an ordinary database is served

    DemoMarker.objects.create(seed=1, patients=10)
    with pytest.raises(DemoDatabaseInProduction, match="well-known passwords"):
        ensure_production_safe()


@pytest.mark.django_db
def test_a_demo_database_is_fine_outside_production(settings):
    from ketacare.core.checks import ensure_production_safe
    from ketacare.core.models import DemoMarker

    settings.PRODUCTION = False
    DemoMarker.objects.create(seed=1, patients=10)

    ensure_production_safe()  # no exception: development and tests run on the demo


@pytest.mark.django_db
def test_the_deployment_check_reports_a_demo_database(settings):
    from django.core.checks import Tags, run_checks

    from ketacare.core.models import DemoMarker

    settings.PRODUCTION = True

    def ids() -> list[str]:
        found = run_checks(
            tags=[Tags.database], include_deployment_checks=True, databases=["default"]
        )
        return [message.id for message in found]

    assert "ketacare.E001" not in ids()
    DemoMarker.objects.create(seed=1, patients=10)
    assert "ketacare.E001" in ids()


# --- the production serving exercise ------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    root: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return Path(self.env["KETACARE_VAR_DIR"]) / "ketacare.sqlite3"

    @property
    def static_root(self) -> Path:
        return Path(self.env["STATIC_ROOT"])

    def hashed(self, name: str) -> str:
        manifest = json.loads((self.static_root / "staticfiles.json").read_text())
        return manifest["paths"][name]


@pytest.fixture(scope="module")
def production_site(tmp_path_factory) -> Site:
    """A migrated SQLite database and collected static files, made under production settings."""
    root = tmp_path_factory.mktemp("production")
    env = _production_env(root)
    _ketacare(["migrate", "--noinput", "-v", "0"], env)
    _ketacare(["collectstatic", "--noinput", "-v", "0"], env)
    return Site(root=root, env=env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn_command() -> list[str]:
    executable = Path(sys.executable).parent / "gunicorn"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "gunicorn"]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    *_gunicorn_command(),
                    "ketacare.config.wsgi:application",
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "-w",
                    "2",
                    "--no-control-socket",
                ],
                env=env,
                cwd=PROJECT_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_up(self, deadline_s: float = 30) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        pytest.fail(f"gunicorn did not answer /healthz within {deadline_s} s:\n{self.output()}")

    def wait_for_exit(self, deadline_s: float = 30) -> int:
        try:
            return self.process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            pytest.fail(f"gunicorn kept running for {deadline_s} s:\n{self.output()}")

    def stop(self) -> None:
        """Stop the master by its PID; workers go with it. Kill its own group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def gunicorn_for(tmp_path) -> Iterator:
    servers: list[Gunicorn] = []

    def start(env: dict[str, str]) -> Gunicorn:
        server = Gunicorn(env, tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def test_gunicorn_serves_the_app_and_whitenoise_serves_hashed_static_files(
    production_site, gunicorn_for
):
    server = gunicorn_for(production_site.env)
    server.wait_until_up()

    status, headers, body = _get(f"{server.base}/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}

    for name in ("ketacare/app.css", "vendor/htmx.min.js"):
        hashed = production_site.hashed(name)
        assert hashed != name
        status, headers, body = _get(f"{server.base}/static/{hashed}")
        assert status == 200, name
        assert headers["Cache-Control"] == LONG_CACHE, name
        assert body == (production_site.static_root / hashed).read_bytes(), name

        status, headers, body = _get(f"{server.base}/static/{hashed}", {"Accept-Encoding": "gzip"})
        assert headers.get("Content-Encoding") == "gzip", name
        assert gzip.decompress(body) == (production_site.static_root / hashed).read_bytes()

    status, headers, _ = _get(f"{server.base}/static/ketacare/app.css")
    assert status == 200
    assert "immutable" not in headers["Cache-Control"]  # an unhashed name may change

    status, headers, page = _get(f"{server.base}/accounts/login/")
    assert status == 200
    assert f"/static/{production_site.hashed('ketacare/app.css')}".encode() in page
    assert "Content-Security-Policy" in headers

    status, _, page = _get(f"{server.base}/no-such-page/")
    assert status == 404
    assert b"DEBUG = True" not in page and b"Traceback" not in page

    status, _, _ = _get(f"{server.base}/healthz", {"Host": "evil.example"})
    assert status == 400  # not in ALLOWED_HOSTS

    assert server.process.poll() is None
    server.stop()
    assert server.process.returncode == 0


def test_production_refuses_to_serve_a_demo_database(production_site, gunicorn_for, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    source = sqlite3.connect(production_site.database)
    copy = sqlite3.connect(var / "ketacare.sqlite3")
    try:
        source.backup(copy)  # the migrated production database, then what `ketacare demo` leaves
        copy.execute(
            "INSERT INTO core_demomarker (created_at, seed, patients) "
            "VALUES ('2026-01-01 00:00:00', 1, 10)"
        )
        copy.commit()
    finally:
        copy.close()
        source.close()
    env = production_site.env | {"KETACARE_VAR_DIR": str(var)}

    result = _python(["-c", "import ketacare.config.wsgi"], env)
    assert result.returncode != 0
    assert "DemoDatabaseInProduction" in result.stderr
    assert "well-known passwords" in result.stderr

    server = gunicorn_for(env)
    assert server.wait_for_exit() != 0
    assert "DemoDatabaseInProduction" in server.output()


def test_the_same_database_without_the_demo_marker_is_served(production_site):
    result = _python(["-c", "import ketacare.config.wsgi; print('ready')"], production_site.env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ready"
