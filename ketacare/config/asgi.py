"""ASGI entry point. Prefer WSGI (gunicorn/granian): Django's sync views are faster there."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")

application = get_asgi_application()

from ketacare.core.checks import ensure_production_safe  # noqa: E402

ensure_production_safe()
