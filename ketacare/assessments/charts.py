"""Trajectory charts as inline SVG, drawn on the server (no script, no external library).

Severity bands come from the instrument's metadata, treatment sessions are vertical markers, the
baseline chosen by the outcome rules is ringed. Colours live in assessments.css (CSP: no inline
styles). Every chart has a title and a description, and the page has the same data as a table.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from ketacare.clinical.instruments import INSTRUMENTS

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 34


def _fmt(at: dt.datetime, zone: zoneinfo.ZoneInfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(zone).strftime(pattern)


def trajectory_svg(trajectory, *, time_zone: str, element_id: str) -> SafeString:
    """The chart for one instrument's trajectory (``selectors.Trajectory``)."""
    instrument = INSTRUMENTS[trajectory.code]
    if instrument.score_range is None or not trajectory.responses:
        return mark_safe("")
    zone = zoneinfo.ZoneInfo(time_zone)
    low, high = instrument.score_range
    points = [(r.completed_at, r.total, r) for r in trajectory.responses]
    times = [p[0] for p in points]
    first, last = min(times), max(times)
    treatments = [t for t in trajectory.treatments if t <= max(last, first)]
    if treatments:
        first = min(first, treatments[0])
        last = max(last, treatments[-1])
    if last - first < dt.timedelta(days=1):
        first, last = first - dt.timedelta(hours=12), last + dt.timedelta(hours=12)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (last - first).total_seconds()

    def x(at: dt.datetime) -> float:
        return round(LEFT + (at - first).total_seconds() / span * plot_w, 1)

    def y(value: float) -> float:
        value = min(max(value, low), high)
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    parts: list[str] = []
    for index, band in enumerate(instrument.bands):
        top, bottom = y(min(band.high + 0.5, high)), y(max(band.low - 0.5, low))
        parts.append(
            format_html(
                '<g class="band band-{}"><title>{}: {}–{}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="band-label" x="{}" y="{}">{}</text></g>',
                min(index, 5),
                band.label,
                band.low,
                band.high,
                LEFT,
                top,
                plot_w,
                round(bottom - top, 1),
                LEFT + 4,
                round(top + 11, 1),
                band.label,
            )
        )
    for value in sorted({low, high, *(b.low for b in instrument.bands)}):
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                LEFT + plot_w,
                y(value),
                y(value),
                LEFT - 6,
                y(value) + 4,
                value,
            )
        )
    for number, at in enumerate(treatments, 1):
        parts.append(
            format_html(
                '<g class="treatment"><title>Treatment {} — {}</title>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text x="{}" y="{}" text-anchor="middle">T{}</text></g>',
                number,
                _fmt(at, zone),
                x(at),
                x(at),
                TOP,
                TOP + plot_h,
                x(at),
                TOP + plot_h + 12,
                number,
            )
        )
    path = " ".join(f"{x(at)},{y(total)}" for at, total, _ in points)
    parts.append(format_html('<polyline class="trajectory" points="{}"></polyline>', path))
    baseline = trajectory.status.baseline if trajectory.status else None
    for at, total, response in points:
        is_baseline = baseline is not None and baseline.at == at and baseline.total == total
        severity = f" ({response.severity})" if response.severity else ""
        parts.append(
            format_html(
                '<circle class="point{}" cx="{}" cy="{}" r="{}"><title>{}: {}{}{}</title></circle>',
                " baseline" if is_baseline else "",
                x(at),
                y(total),
                6 if is_baseline else 4,
                _fmt(at, zone),
                total,
                severity,
                " — baseline" if is_baseline else "",
            )
        )
    parts.append(
        format_html(
            '<text class="tick" x="{}" y="{}">{}</text>'
            '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
            LEFT,
            HEIGHT - 4,
            _fmt(first, zone, "%Y-%m-%d"),
            LEFT + plot_w,
            HEIGHT - 4,
            _fmt(last, zone, "%Y-%m-%d"),
        )
    )
    latest = trajectory.responses[-1]
    description = (
        f"{len(points)} {instrument.name} score{'s' if len(points) != 1 else ''} from "
        f"{_fmt(points[0][0], zone, '%Y-%m-%d')} to {_fmt(latest.completed_at, zone, '%Y-%m-%d')}; "
        f"latest {latest.total}{f' ({latest.severity})' if latest.severity else ''}; "
        f"{len(treatments)} treatment session{'s' if len(treatments) != 1 else ''} marked."
    )
    header = format_html(
        '<svg class="trajectory-chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{} trajectory</title><desc id="{}-d">{}</desc>',
        WIDTH,
        HEIGHT,
        element_id,
        element_id,
        element_id,
        instrument.name,
        element_id,
        description,
    )
    return mark_safe(header + "".join(parts) + "</svg>")  # every part is escaped above


def escape_text(text: str) -> str:
    return escape(text)
