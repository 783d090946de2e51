"""API shapes of predicted curves: every number is a population-model estimate in ng/mL."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema


class RangeOut(Schema):
    key: str
    label: str
    low_ng_per_ml: float
    high_ng_per_ml: float
    context: str
    sources: list[str]


class CurveOut(Schema):
    model: str
    model_label: str
    model_limits: str
    times_min: list[float]
    plasma_ng_per_ml: list[float]
    effect_site_ng_per_ml: list[float]
    peak_ng_per_ml: float
    peak_at_min: float


class PredictionOut(Schema):
    title: str
    estimate_only: str
    available: bool
    unavailable_reason: str
    weight_kg: float | None
    weight_basis: str
    # [start_min, duration_min, dose_mg] as a list of three (a tuple becomes prefixItems)
    infusions: list[Annotated[list[float], Field(min_length=3, max_length=3)]]
    curves: list[CurveOut]
    reference_ranges: list[RangeOut]
    now_min: float | None = None
    planned: PredictionOut | None = None
