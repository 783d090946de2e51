"""Coordinates for the long-term safety page's inline SVG charts (no script; each chart has its
table beside it): mg given per 30-day window, and positive answers per urinary check."""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 160, 44, 12, 10, 24


def _frame(count: int) -> tuple[float, float, float]:
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    return inner_w / max(count, 1), inner_w, inner_h


def bars(values: list[tuple[str, float]], *, maximum: float | None = None) -> dict[str, Any]:
    """Vertical bars, oldest on the left; ``values`` are (label, value) pairs."""
    slot, _, inner_h = _frame(len(values))
    top = maximum if maximum is not None else max([v for _, v in values] + [1.0])
    out = []
    for index, (label, value) in enumerate(values):
        h = inner_h * (value / top if top else 0)
        out.append(
            {
                "x": LEFT + index * slot + slot * 0.15,
                "y": TOP + inner_h - h,
                "w": slot * 0.7,
                "h": h,
                "label": label,
                "value": value,
                "label_x": LEFT + index * slot + slot / 2,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "base_y": TOP + inner_h,
        "label_y": HEIGHT - 6,
        "max": top,
        "bars": out,
    }


def exposure_chart(months) -> dict[str, Any]:
    """mg per 30-day window (every route), oldest first."""
    ordered = list(reversed(months))
    return bars([(f"{m.end:%d %b}", m.total_mg) for m in ordered])


def urinary_chart(checks, items: int) -> dict[str, Any]:
    """Positive answers per check (0 to the checklist's length), oldest first, last 12."""
    ordered = list(reversed(checks[:12]))
    return bars([(f"{c.asked_at:%d %b}", float(len(c.positive))) for c in ordered], maximum=items)
