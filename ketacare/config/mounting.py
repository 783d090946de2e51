"""Where each app's pages and API router are mounted, read from the app itself.

An app under ``ketacare`` that has a ``urls`` module is served at ``/<url_prefix>``; one with an
``api`` module exporting ``router`` is served at ``/api/v1/<api_prefix>``. Both prefixes default
to the app's module name (``ketacare.scheduling`` → ``/scheduling/`` and
``/api/v1/scheduling``); an ``AppConfig`` may set ``url_prefix`` / ``api_prefix`` (``None`` to
mount nothing), so installing an app is the only step to serve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from django.apps import AppConfig, apps

# Mounted by hand in ketacare.config (the shell around every app).
_EXPLICIT = frozenset({"ketacare.core", "ketacare.demo"})


@dataclass(frozen=True)
class Mount:
    module: str  # ketacare.scheduling
    prefix: str  # "scheduling/" for pages, "/scheduling" for the API


def _ketacare_apps() -> list[AppConfig]:
    return [
        config
        for config in apps.get_app_configs()
        if config.name.startswith("ketacare.") and config.name not in _EXPLICIT
    ]


def _short(config: AppConfig) -> str:
    return config.name.removeprefix("ketacare.")


def page_mounts() -> list[Mount]:
    mounts = []
    for config in _ketacare_apps():
        if find_spec(f"{config.name}.urls") is None:
            continue
        prefix = getattr(config, "url_prefix", f"{_short(config)}/")
        if prefix is not None:
            mounts.append(Mount(f"{config.name}.urls", prefix))
    return mounts


def api_mounts() -> list[Mount]:
    mounts = []
    for config in _ketacare_apps():
        if find_spec(f"{config.name}.api") is None:
            continue
        prefix = getattr(config, "api_prefix", f"/{_short(config)}")
        if prefix is not None:
            mounts.append(Mount(f"{config.name}.api", prefix))
    return mounts
