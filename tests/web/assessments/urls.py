"""TEMPORARY test URLconf: the project's URLs plus the alert pages and API, until the lead mounts
``ketacare.alerts`` in ketacare/config/urls.py and ketacare/config/api.py. Once both are mounted
this adds nothing and can be deleted with the ``alerts_mounted`` fixtures that use it."""

from __future__ import annotations

from django.urls import URLResolver, include, path
from ninja import NinjaAPI

from ketacare.config import urls as project_urls
from ketacare.config.api import api as project_api
from ketacare.core.api_auth import API_AUTH


def pages_mounted() -> bool:
    return any(
        isinstance(p, URLResolver) and str(p.pattern) == "alerts/" for p in project_urls.urlpatterns
    )


def api_mounted() -> bool:
    return any(prefix.strip("/") == "alerts" for prefix, _ in project_api._routers)


def fully_mounted() -> bool:
    return pages_mounted() and api_mounted()


urlpatterns = list(project_urls.urlpatterns)
if not pages_mounted():
    urlpatterns.append(path("alerts/", include("ketacare.alerts.urls")))
if not api_mounted():
    from ketacare.alerts.api import router as alerts_router

    _api = NinjaAPI(title="alerts (test shim)", auth=API_AUTH, urls_namespace="alerts_api_shim")
    _api._exception_handlers.update(project_api._exception_handlers)
    _api.add_router("/alerts", alerts_router)
    urlpatterns.append(path("api/v1/", _api.urls))
