"""IANA time zones a clinic chooses from (one per clinic, used everywhere it shows a time)."""

from __future__ import annotations

import difflib
import zoneinfo
from functools import cache

# Backward-compatible aliases (US/Eastern, Etc/GMT+5, ...) work but are not offered in lists.
_ALIAS_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")


@cache
def time_zone_names() -> tuple[str, ...]:
    """Canonical ``Area/Location`` zones, sorted, with UTC first."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_ALIAS_PREFIXES)
    }
    return ("UTC", *sorted(names))


def time_zone_choices() -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select: ``America/New_York`` shown as
    ``America / New York``."""
    return [(name, name.replace("/", " / ").replace("_", " ")) for name in time_zone_names()]


def is_time_zone(name: str) -> bool:
    return name in zoneinfo.available_timezones()


def unknown_time_zone_message(name: str) -> str:
    """Why ``name`` is refused, with the closest known zones to choose from."""
    close = difflib.get_close_matches(name, time_zone_names(), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return (
        f"{name!r} is not a known IANA time zone (such as America/New_York or Europe/London)."
        + hint
    )
