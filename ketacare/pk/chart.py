"""Coordinates for the inline SVG of predicted curves (drawn server-side: no script needed).

Plasma is a solid line per model, the effect site a dashed one; the dissociation range of
reference §7.2 is shaded, and the anaesthetic range too when it falls inside the chart (otherwise
the chart says it lies above). Only numbers leave this module; the template draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketacare.clinical.pharmacokinetics import REFERENCE_RANGES
from ketacare.pk.curves import Prediction

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 48, 12, 10, 28
CSS = {"clements250": "pk-clements", "domino": "pk-domino"}


@dataclass(frozen=True)
class Line:
    label: str
    css: str
    points: str
    dashed: bool


@dataclass(frozen=True)
class Band:
    label: str
    y_top: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[Line, ...]
    bands: tuple[Band, ...]
    above: tuple[str, ...]  # ranges above the chart, named in words
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    now_x: float | None


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / target
    for step in (10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if raw <= step:
            return float(step)
    return 1000.0


def pk_chart(prediction: Prediction, *, effect_site: bool = True) -> Chart | None:
    shown = [prediction]
    if prediction.planned is not None and prediction.planned.curves:
        shown.append(prediction.planned)
    curves = [(p, c) for p in shown for c in p.curves]
    if not curves:
        return None
    x_max = max(c.times_min[-1] for _, c in curves) or 1.0
    peak = max(max(c.plasma_ng_per_ml + c.effect_site_ng_per_ml) for _, c in curves)
    dissociation = next(r for r in REFERENCE_RANGES if r.key == "dissociation")
    y_max = max(peak, dissociation.high_ng_per_ml) * 1.15
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(minutes: float) -> float:
        return LEFT + inner_w * minutes / x_max

    def y(value: float) -> float:
        return TOP + inner_h * (1 - min(value, y_max) / y_max)

    lines = []
    for owner, curve in curves:
        planned = owner is not prediction
        kind = "planned" if planned else ("delivered" if prediction.planned else "")
        label = f"{curve.model.label} {kind}".strip()
        series = [("plasma", curve.plasma_ng_per_ml, False)]
        if effect_site and not planned and curve.effect_site_ng_per_ml:
            series.append(("effect site", curve.effect_site_ng_per_ml, True))
        for what, values, dashed in series:
            points = " ".join(
                f"{x(t):.1f},{y(v):.1f}" for t, v in zip(curve.times_min, values, strict=True)
            )
            css = CSS.get(curve.model.key, "pk-other") + (" pk-planned" if planned else "")
            lines.append(Line(f"{label}, {what}", css, points, dashed))
    bands, above = [], []
    for band in REFERENCE_RANGES:
        if band.low_ng_per_ml >= y_max:
            above.append(
                f"{band.label} ({band.low_ng_per_ml:,.0f}–{band.high_ng_per_ml:,.0f} ng/mL) "
                "lies above this chart"
            )
            continue
        if band.key != "dissociation" and band.key != "anaesthesia":
            continue
        top, bottom = y(band.high_ng_per_ml), y(band.low_ng_per_ml)
        bands.append(
            Band(
                f"{band.label} {band.low_ng_per_ml:g}–{band.high_ng_per_ml:g} ng/mL",
                top,
                bottom - top,
            )
        )
    x_step = 30.0 if x_max > 90 else 10.0
    x_ticks = tuple((x(m), f"{m:g}") for m in _frange(0, x_max, x_step))
    y_step = _nice_step(y_max)
    y_ticks = tuple((y(v), f"{v:g}") for v in _frange(0, y_max, y_step))
    now_x = x(prediction.now_min) if prediction.now_min is not None else None
    return Chart(WIDTH, HEIGHT, tuple(lines), tuple(bands), tuple(above), x_ticks, y_ticks, now_x)


def _frange(start: float, stop: float, step: float) -> list[float]:
    values, value = [], start
    while value <= stop + 1e-9:
        values.append(value)
        value += step
    return values
