"""From an order or a session's pump record to the core's predicted curves.

Fetch once, decide once: the facts (weight, dose, infusion time, what the pump delivered) are
read here and handed to ``ketacare.clinical.pharmacokinetics``; nothing here computes a
concentration. The curves are population-model estimates, never measured levels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.infusion import running_periods
from ketacare.clinical.pharmacokinetics import PK_MODELS, REFERENCE_RANGES, PkModel, simulate
from ketacare.sessions.records import pump_record
from ketacare.treatment.models import Order

# The adult models of reference §7.1 shown side by side (their spread is part of the message).
SHOWN_MODELS = ("clements250", "domino")
HORIZON_AFTER_INFUSION_MIN = 180  # enough to see the fall; the display choice, not a rule
DISCLAIMER = (
    "Population-model estimate for decision support, never a measured level: individual "
    "concentrations differ (reference §7.1–7.3)."
)


@dataclass(frozen=True)
class ModelCurve:
    model: PkModel
    times_min: tuple[float, ...]
    plasma_ng_per_ml: tuple[float, ...]
    effect_site_ng_per_ml: tuple[float, ...]
    peak_ng_per_ml: float
    peak_at_min: float


@dataclass(frozen=True)
class Prediction:
    """The curves of one dosing history, or why there are none (``unavailable``)."""

    title: str
    weight_kg: float | None
    weight_note: str
    infusions: tuple[tuple[float, float, float], ...]  # (start_min, duration_min, dose_mg)
    curves: tuple[ModelCurve, ...]
    unavailable: str = ""
    now_min: float | None = None  # a session: minutes from the first start to now
    planned: Prediction | None = None  # a session: the order's planned curve, for comparison

    @property
    def ranges(self):
        return REFERENCE_RANGES


def _actual_weight(order: Order) -> tuple[float | None, str]:
    result = (order.calculation or {}).get("result") or {}
    actual = result.get("actual_weight_kg")
    if actual:
        return float(actual), "actual body weight (the weight the models were studied on)"
    if order.dosing_weight_kg:
        return float(order.dosing_weight_kg), "dosing weight (actual weight not recorded)"
    return None, ""


def _curves(
    weight_kg: float, infusions: list[tuple[float, float, float]], horizon_min: float
) -> tuple[ModelCurve, ...]:
    times = np.arange(0.0, float(int(horizon_min)) + 1.0)
    curves = []
    for key in SHOWN_MODELS:
        run = simulate(key, weight_kg=weight_kg, infusions=infusions, times_min=times)
        effect = run.effect_site_ng_per_ml
        curves.append(
            ModelCurve(
                model=PK_MODELS[key],
                times_min=tuple(float(t) for t in times),
                plasma_ng_per_ml=tuple(round(float(c), 1) for c in run.plasma_ng_per_ml),
                effect_site_ng_per_ml=tuple(round(float(c), 1) for c in effect)
                if effect is not None
                else (),
                peak_ng_per_ml=round(run.peak_plasma_ng_per_ml, 1),
                peak_at_min=run.time_of_peak_min,
            )
        )
    return tuple(curves)


def order_prediction(order: Order) -> Prediction:
    """The planned infusion of an IV order: its dose over its minutes."""
    title = f"Predicted plasma level of the planned {float(order.dose_mg):g} mg"
    if order.route != Route.RACEMIC_IV.value:
        return Prediction(
            title,
            None,
            "",
            (),
            (),
            unavailable="The reference's pharmacokinetic models are for IV ketamine only.",
        )
    weight, note = _actual_weight(order)
    if weight is None or not order.infusion_minutes:
        return Prediction(title, None, "", (), (), unavailable="The order has no weight or time.")
    infusions = [(0.0, float(order.infusion_minutes), float(order.dose_mg))]
    try:
        curves = _curves(weight, infusions, order.infusion_minutes + HORIZON_AFTER_INFUSION_MIN)
    except ClinicalRuleError as refused:
        return Prediction(title, weight, note, tuple(infusions), (), unavailable=str(refused))
    return Prediction(title, weight, note, tuple(infusions), curves)


def session_prediction(session, *, now: dt.datetime) -> Prediction | None:
    """What the pump actually delivered up to now (rate changes and pauses included), beside the
    order's planned curve. None for sessions without a pump record yet."""
    if not session.order_id or session.route != Route.RACEMIC_IV.value:
        return None
    contents = session.pump_contents
    record = pump_record(list(session.administration.all()))
    if contents is None or not record.events:
        return None
    planned = order_prediction(session.order)
    periods = running_periods(
        record, bag_concentration_mg_per_ml=contents.concentration_mg_per_ml, as_of=now
    )
    title = "Predicted plasma level from what the pump delivered"
    if not periods or planned.weight_kg is None:
        return Prediction(
            title, None, "", (), (), unavailable="Nothing delivered yet.", planned=planned
        )
    first = periods[0].started_at
    infusions = [
        ((p.started_at - first).total_seconds() / 60, p.minutes, p.dose_mg) for p in periods
    ]
    now_min = max(0.0, (now - first).total_seconds() / 60)
    planned_end = float(session.order.infusion_minutes or 0)
    if record.status in ("running", "paused"):
        horizon = now_min  # what happens next depends on the pump: drawn up to now only
    else:
        # A stopped pump: the fall after the last delivery, however long ago that was (a
        # session opened days later keeps its few hours, not one point per minute since).
        delivered_end = max(start + minutes for start, minutes, _ in infusions)
        horizon = max(delivered_end, planned_end) + HORIZON_AFTER_INFUSION_MIN
        if now_min > horizon:
            now_min = None  # "now" lies beyond the chart: no marker
    try:
        curves = _curves(planned.weight_kg, infusions, horizon)
    except ClinicalRuleError as refused:
        return Prediction(
            title,
            planned.weight_kg,
            planned.weight_note,
            tuple(infusions),
            (),
            unavailable=str(refused),
            planned=planned,
        )
    return Prediction(
        title,
        planned.weight_kg,
        planned.weight_note,
        tuple(infusions),
        curves,
        now_min=now_min,
        planned=planned,
    )
