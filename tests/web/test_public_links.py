"""Links in e-mails point where the application is served: PORT in development, PUBLIC_BASE_URL
in production (both read when the settings load)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _base_url(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "PUBLIC_BASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
            "KETACARE_ENV": "development",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8080"}, "http://127.0.0.1:8080"),
        (
            {"PORT": "8080", "PUBLIC_BASE_URL": "https://clinic.example.org"},
            "https://clinic.example.org",
        ),
    ],
)
def test_development_links_use_the_port_served(env, expected):
    assert _base_url(env) == expected


def test_links_are_built_on_the_public_base_url(settings):
    from ketacare.core.links import public_url

    settings.PUBLIC_BASE_URL = "https://clinic.example.org/"
    assert public_url("/intake/abc/") == "https://clinic.example.org/intake/abc/"
