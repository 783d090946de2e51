"""Coordinates for the dashboard's inline SVG charts (no script; every chart has its table)."""

from __future__ import annotations

from typing import Any

WIDTH, LEFT, RIGHT, TOP, BOTTOM = 560, 150, 16, 8, 22


def rate_bars(rows: list[dict[str, Any]], *, key: str = "response_rate") -> dict[str, Any]:
    """Horizontal bars (0–100 %) with the Wilson interval as a whisker; suppressed rows say so."""
    bar_h, gap = 18, 8
    height = TOP + BOTTOM + len(rows) * (bar_h + gap)
    inner = WIDTH - LEFT - RIGHT

    def x(percent: float) -> float:
        return LEFT + inner * max(0.0, min(100.0, percent)) / 100

    bars = []
    ci_key = key.replace("_rate", "_ci")
    for index, row in enumerate(rows):
        y = TOP + index * (bar_h + gap)
        rate = row.get(key)
        low, high = row.get(ci_key) or (None, None)
        bars.append(
            {
                "label": row["label"],
                "y": y,
                "text_y": y + bar_h - 5,
                "width": None if rate is None else x(rate) - LEFT,
                "ci": None if low is None else (x(low), x(high), y + bar_h / 2),
                "value": "fewer than 11" if rate is None else f"{rate:g} %",
                "value_x": LEFT + 4 if rate is None else x(rate) + 4,
            }
        )
    ticks = [(x(p), f"{p} %") for p in (0, 25, 50, 75, 100)]
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "bar_h": bar_h,
        "bars": bars,
        "ticks": ticks,
        "axis_y": height - BOTTOM + 14,
    }


def step_curve(
    points: list[tuple[float, float]], *, max_days: float | None = None, height: int = 200
) -> dict[str, Any]:
    """A Kaplan–Meier step line: survival (1 → 0) against days."""
    left, inner_w, inner_h = 44, WIDTH - 44 - RIGHT, height - TOP - BOTTOM
    last = max([t for t, _ in points] + [max_days or 0, 1.0])

    def x(days: float) -> float:
        return left + inner_w * days / last

    def y(value: float) -> float:
        return TOP + inner_h * (1 - value)

    path, level = [f"{x(0):.1f},{y(1):.1f}"], 1.0
    for days, survival in points:
        path.append(f"{x(days):.1f},{y(level):.1f}")
        path.append(f"{x(days):.1f},{y(survival):.1f}")
        level = survival
    path.append(f"{x(last):.1f},{y(level):.1f}")
    x_ticks = [(x(d), str(int(d))) for d in _ticks(last)]
    y_ticks = [(y(v), f"{int(v * 100)} %") for v in (0, 0.5, 1)]
    return {
        "width": WIDTH,
        "height": height,
        "points": " ".join(path),
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "left": left,
        "half_y": y(0.5),
    }


def line(points: list[tuple[float, float]], *, y_max: float, height: int = 180) -> dict[str, Any]:
    left, inner_w, inner_h = 44, WIDTH - 44 - RIGHT, height - TOP - BOTTOM
    xs = [p for p, _ in points] or [0.0]
    low, high = min(xs), max(max(xs), min(xs) + 1)

    def x(v: float) -> float:
        return left + inner_w * (v - low) / (high - low)

    def y(v: float) -> float:
        return TOP + inner_h * (1 - v / y_max)

    return {
        "width": WIDTH,
        "height": height,
        "points": " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in points),
        "dots": [(x(a), y(b)) for a, b in points],
        "x_ticks": [(x(v), f"{v:g}") for v in sorted(set(xs))],
        "y_ticks": [(y(v), f"{v:g}") for v in (0, y_max / 2, y_max)],
        "left": left,
    }


def _ticks(last: float) -> list[float]:
    step = 7 if last <= 60 else 14 if last <= 120 else 28
    return [float(d) for d in range(0, int(last) + 1, step)]
