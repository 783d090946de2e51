"""Extension points: apps add panels to the chart, the portal and the dashboard without editing
shared templates. An AppConfig may define any of:

- ``nav = [(label, url_name, capability), ...]`` — links in the main navigation;
- ``chart_panel(self, request, patient) -> str | None`` — HTML shown in the patient chart;
- ``portal_panel(self, request, patient) -> str | None`` — HTML shown on the patient portal;
- ``dashboard_panel(self, request) -> str | None`` — HTML shown on the clinic dashboard;
- ``order_panel(self, request, order)`` and ``session_panel(self, request, session)`` — HTML
  under a treatment order and on the treatment session page, placed by the
  ``{% extension_panels "order_panel" order %}`` template tag;
- ``dosing_start_panel(self, request, session)`` — the session page's step that starts dosing,
  in place of its own form (e.g. drawing the dose up from the controlled-substance ledger);
- ``waste_prompt(self, request, session)`` — in place of the session page's "waste to record"
  prompt (e.g. what the ledger still holds open for the session, leading to its record);
- ``course_panel(self, request, course)`` — HTML on the treatment course page and the course's
  booking page (billing: REMS and prior-authorisation status side by side);
- ``dashboard_pinned(self, request) -> str | None`` — HTML pinned above everything else on the
  dashboard (what nobody on duty may miss, e.g. an unacknowledged suicide-risk alert).
- ``directory_facts(self, clinic_ids, *, at, next_available_for) -> {clinic_id: {...}}`` —
  public facts of clinics for the provider directory, read from the app's own records (billing:
  ``price_ranges`` and ``sliding_scale`` from the fee schedule; scheduling: ``next_available``
  for the clinics in ``next_available_for``); see ``gather``.

Each returns already-rendered HTML (``render_to_string(..., request=request)``) or None.

An app whose hooks all live in one module (its ``panels.py``) need not forward each of them:
``panels_module(self)`` returns that module, and its functions of these names are the hooks.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.safestring import SafeString, mark_safe


def hook_of(config: Any, hook: str) -> Any:
    """The app's ``hook``: its AppConfig's method, or the function of its ``panels_module()``."""
    method = getattr(config, hook, None)
    if method is None and hasattr(config, "panels_module"):
        method = getattr(config.panels_module(), hook, None)
    return method


def collect(hook: str, *args) -> list[SafeString]:
    panels = []
    for config in apps.get_app_configs():
        method = hook_of(config, hook)
        if method is None:
            continue
        html = method(*args)
        if html:
            panels.append(mark_safe(html))  # rendered by the app's own template
    return panels


def gather(hook: str, *args, **kwargs) -> list[Any]:
    """Each app's answer to ``hook`` (data, not HTML), in app order; None answers left out."""
    answers = []
    for config in apps.get_app_configs():
        method = hook_of(config, hook)
        if method is not None:
            answer = method(*args, **kwargs)
            if answer is not None:
                answers.append(answer)
    return answers


def chart_panels(request, patient) -> list[SafeString]:
    return collect("chart_panel", request, patient)


def portal_panels(request, patient) -> list[SafeString]:
    return collect("portal_panel", request, patient)


def dashboard_panels(request) -> list[SafeString]:
    return collect("dashboard_panel", request)


def dashboard_pinned_panels(request) -> list[SafeString]:
    return collect("dashboard_pinned", request)
