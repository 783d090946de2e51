"""The predicted-curve panels on the order (course) page and the session page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.core.roles import Capability
from ketacare.pk.chart import pk_chart
from ketacare.pk.curves import DISCLAIMER, order_prediction, session_prediction
from ketacare.treatment.selectors import order_get


def _panel(request, prediction, *, element_id: str, effect_site: bool) -> str:
    return render_to_string(
        "pk/_curve.html",
        {
            "prediction": prediction,
            "chart": pk_chart(prediction, effect_site=effect_site),
            "disclaimer": DISCLAIMER,
            "element_id": element_id,
        },
        request=request,
    )


def order_panel(request, order) -> str | None:
    """The planned dose's curve (both adult models) under an IV order (an Order or its id)."""
    if not request.access.can(Capability.CHART_VIEW):
        return None
    if isinstance(order, int):
        order = order_get(request.access, order)
    if order.route != "racemic_iv":
        return None
    return _panel(
        request, order_prediction(order), element_id=f"pk-order-{order.pk}", effect_site=True
    )


def session_panel(request, session) -> str | None:
    """What the pump delivered so far, over the order's planned curve."""
    if not request.access.can(Capability.CHART_VIEW):
        return None
    prediction = session_prediction(session, now=timezone.now())
    if prediction is None:
        return None
    return _panel(request, prediction, element_id=f"pk-session-{session.pk}", effect_site=False)
