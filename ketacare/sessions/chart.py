"""The vitals chart: coordinates for an inline SVG drawn server-side (no script, no styles).

BP and heart rate share one panel (mmHg / bpm), SpO2 has its own; the protocol's stop/slow and
SpO2 thresholds are drawn as dashed lines. Only numbers leave this module; the template draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ketacare.clinical.monitoring import MonitoringProtocol
from ketacare.sessions.models import VitalsEntry

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 640, 200, 44, 12, 10, 24
SPO2_HEIGHT = 110
BP_RANGE = (40, 220)
SPO2_RANGE = (80, 100)


@dataclass
class Series:
    name: str
    css: str
    points: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, title

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


@dataclass
class Line:
    y: float
    label: str
    below: bool = False  # put the label under the line (keeps close lines readable)


@dataclass
class Panel:
    height: int
    series: list[Series]
    thresholds: list[Line]
    ticks: list[Line]


@dataclass
class Chart:
    width: int
    panels: list[Panel]
    x_ticks: list[tuple[float, str]]
    empty: bool


def _scale(value: float, low: float, high: float, height: int) -> float:
    inner = height - PAD_TOP - PAD_BOTTOM
    value = min(max(value, low), high)
    return PAD_TOP + inner * (1 - (value - low) / (high - low))


def vitals_chart(
    entries: list[VitalsEntry], protocol: MonitoringProtocol, *, start: dt.datetime | None
) -> Chart:
    rows = [e for e in entries if e.has_vitals]
    if not rows:
        return Chart(WIDTH, [], [], True)
    t0 = start or rows[0].taken_at
    last = max((e.taken_at - t0).total_seconds() / 60 for e in rows)
    span = max(30.0, last + 5)
    inner = WIDTH - PAD_LEFT - PAD_RIGHT

    def x(e: VitalsEntry) -> float:
        return PAD_LEFT + inner * max(0.0, (e.taken_at - t0).total_seconds() / 60) / span

    def series(name, css, attr, low, high, height, unit):
        s = Series(name, css)
        for e in rows:
            value = getattr(e, attr)
            if value is not None:
                s.points.append(
                    (
                        x(e),
                        _scale(value, low, high, height),
                        f"{name} {value} {unit} at "
                        f"{int((e.taken_at - t0).total_seconds() // 60)} min",
                    )
                )
        return s

    low, high = BP_RANGE
    bp = Panel(
        HEIGHT,
        [
            series("Systolic", "sys", "systolic_mmhg", low, high, HEIGHT, "mmHg"),
            series("Diastolic", "dia", "diastolic_mmhg", low, high, HEIGHT, "mmHg"),
            series("Heart rate", "hr", "heart_rate_bpm", low, high, HEIGHT, "bpm"),
        ],
        [
            Line(_scale(v, low, high, HEIGHT), f"{label} {v}", below)
            for v, label, below in (
                (protocol.stop_systolic_mmhg.value, "stop SBP", False),
                (protocol.stop_diastolic_mmhg.value, "stop DBP", True),
                (protocol.stop_heart_rate_bpm.value, "stop HR", False),
            )
            if v is not None
        ],
        [Line(_scale(v, low, high, HEIGHT), str(v)) for v in range(60, 221, 40)],
    )
    s_low, s_high = SPO2_RANGE
    threshold = protocol.spo2_alert_below_percent.value
    spo2 = Panel(
        SPO2_HEIGHT,
        [series("SpO2", "spo2", "spo2_percent", s_low, s_high, SPO2_HEIGHT, "%")],
        [Line(_scale(threshold, s_low, s_high, SPO2_HEIGHT), f"SpO2 {threshold}%")]
        if threshold is not None
        else [],
        [Line(_scale(v, s_low, s_high, SPO2_HEIGHT), f"{v}%") for v in (80, 90, 100)],
    )
    step = 10 if span <= 90 else 30
    x_ticks = [(PAD_LEFT + inner * m / span, f"{m}′") for m in range(0, int(span) + 1, step)]
    return Chart(WIDTH, [bp, spo2], x_ticks, False)
