"""How outcome sentences name sources, days, moments and durations."""

from __future__ import annotations

from datetime import datetime, timedelta

from ketacare.clinical.common import Provenance


def cite(provenance: Provenance) -> str:
    tags = "".join(f"[{s}]" for s in provenance.sources if s[:1] == "S" and s[1:].isdigit())
    words = [s for s in provenance.sources if not (s[:1] == "S" and s[1:].isdigit())]
    if not provenance.verified:
        words.append("unverified")
    if not words:
        return tags
    return f"{tags} ({', '.join(words)})".strip()


def day(at: datetime) -> str:
    return at.date().isoformat()


def moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours:g} h"
