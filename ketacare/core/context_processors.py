from django.apps import apps
from django.urls import NoReverseMatch, reverse

from ketacare.core.roles import Capability


def _app_nav(access) -> list[dict[str, str]]:
    """Links an app offers through ``AppConfig.nav = [(label, url_name, capability), ...]``."""
    items = []
    for config in apps.get_app_configs():
        for label, url_name, capability in getattr(config, "nav", ()):
            if access.can(capability):
                try:
                    items.append({"label": label, "url": reverse(url_name)})
                except NoReverseMatch:
                    continue
    return items


def clinic_context(request) -> dict:
    """``access``, ``can.<capability_name>`` (e.g. ``can.chart_view``) and the app links.

    Worked out once per request: a page renders each app's panel with the request too (the
    dashboard six templates, the chart as many), and each would otherwise ask again."""
    access = getattr(request, "access", None)
    if access is None or access.user is None:
        return {}
    cached = request.__dict__.get("_ketacare_clinic_context")
    if cached is not None and cached["access"] is access:
        return cached
    context = {
        "access": access,
        "can": {c.name.lower(): access.can(c) for c in Capability},
        "app_nav": _app_nav(access) if access.is_staff_member else [],
    }
    request._ketacare_clinic_context = context
    return context
