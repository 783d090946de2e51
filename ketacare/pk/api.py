"""Predicted curves under /api/v1/pk: decision support, labelled as estimates."""

from __future__ import annotations

from django.utils import timezone
from ninja import Router

from ketacare.core.actions import action, audit_read
from ketacare.core.errors import NotFound
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS
from ketacare.pk.curves import DISCLAIMER, Prediction, order_prediction, session_prediction
from ketacare.pk.schemas import PredictionOut
from ketacare.sessions.selectors import session_get
from ketacare.treatment.selectors import order_get

router = Router(tags=["pharmacokinetics"])


def prediction_out(prediction: Prediction) -> dict:
    return {
        "title": prediction.title,
        "estimate_only": DISCLAIMER,
        "available": not prediction.unavailable and bool(prediction.curves),
        "unavailable_reason": prediction.unavailable,
        "weight_kg": prediction.weight_kg,
        "weight_basis": prediction.weight_note,
        "infusions": [list(i) for i in prediction.infusions],
        "curves": [
            {
                "model": c.model.key,
                "model_label": c.model.label,
                "model_limits": c.model.limits_text,
                "times_min": list(c.times_min),
                "plasma_ng_per_ml": list(c.plasma_ng_per_ml),
                "effect_site_ng_per_ml": list(c.effect_site_ng_per_ml),
                "peak_ng_per_ml": c.peak_ng_per_ml,
                "peak_at_min": c.peak_at_min,
            }
            for c in prediction.curves
        ],
        "reference_ranges": [
            {
                "key": r.key,
                "label": r.label,
                "low_ng_per_ml": r.low_ng_per_ml,
                "high_ng_per_ml": r.high_ng_per_ml,
                "context": r.context,
                "sources": list(r.provenance.sources),
            }
            for r in prediction.ranges
        ],
        "now_min": prediction.now_min,
        "planned": prediction_out(prediction.planned) if prediction.planned else None,
    }


@router.get(
    "/orders/{order_id}/curve",
    response={200: PredictionOut, **ERRORS},
    summary="Predicted plasma and effect-site curves of an order's planned dose (estimate)",
)
def order_curve(request, order_id: int):
    act = action(request, Capability.CHART_VIEW)
    order = order_get(act.access, order_id)
    audit_read(
        act,
        object_type="order",
        record=order,
        summary="Viewed the predicted curve of an order through the API",
    )
    return prediction_out(order_prediction(order))


@router.get(
    "/sessions/{session_id}/curve",
    response={200: PredictionOut, **ERRORS},
    summary="Predicted curve from what the pump delivered so far, with the planned one (estimate)",
)
def session_curve(request, session_id: int):
    act = action(request, Capability.CHART_VIEW)
    session = session_get(act.access, session_id)
    prediction = session_prediction(session, now=timezone.now())
    if prediction is None:
        raise NotFound("This session has no IV pump record to predict from yet.")
    audit_read(
        act,
        object_type="treatment_session",
        record=session,
        summary="Viewed the predicted curve of a session through the API",
    )
    return prediction_out(prediction)
