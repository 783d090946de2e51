"""Start-up safety: production never serves a demo database."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


class DemoDatabaseInProduction(ImproperlyConfigured):
    pass


def demo_database_present() -> bool:
    from ketacare.core.models import DemoMarker

    try:
        return DemoMarker.objects.exists()
    except DatabaseError:  # not migrated yet: nothing to serve either way
        return False


def ensure_production_safe() -> None:
    """Raise when production settings meet a demo database (its accounts have public passwords)."""
    if settings.PRODUCTION and demo_database_present():
        raise DemoDatabaseInProduction(
            "This database holds the demo clinic, whose accounts have well-known passwords. "
            "Production refuses to serve it: point DATABASE_URL at a real database."
        )


@register(Tags.database, deploy=True)
def check_no_demo_database(app_configs, databases=None, **kwargs):
    if not databases or not settings.PRODUCTION:
        return []
    if demo_database_present():
        return [
            Error(
                "The database holds the demo clinic; production refuses to serve it.",
                id="ketacare.E001",
            )
        ]
    return []
