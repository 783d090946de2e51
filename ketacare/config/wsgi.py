"""WSGI entry point for gunicorn or granian (docs/deployment.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")

application = get_wsgi_application()

from ketacare.core.checks import ensure_production_safe  # noqa: E402

ensure_production_safe()
