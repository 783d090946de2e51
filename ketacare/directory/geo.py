"""US ZIP code centroids and distances, from the ``zipcodes`` package (no network at run time).

The package ships every ZIP with its centroid; the table is read once per process, on first use
(about a second), then each lookup is a dictionary read.
"""

from __future__ import annotations

import re
import threading

import zipcodes

_ZIP = re.compile(r"^\d{5}$")
_lock = threading.Lock()
_centroids: dict[str, tuple[float, float, str]] | None = None


def _table() -> dict[str, tuple[float, float, str]]:
    global _centroids
    if _centroids is None:
        with _lock:
            if _centroids is None:
                _centroids = {
                    row["zip_code"]: (float(row["lat"]), float(row["long"]), row["state"])
                    for row in zipcodes.list_all()
                    if row.get("lat") and row.get("long")
                }
    return _centroids


def warm() -> None:
    """Read the table now (a server calls this at start so no visitor waits for it)."""
    _table()


def normalise_zip(text: str) -> str | None:
    """``"10001"`` or ``"10001-1234"`` → ``"10001"``; anything else → None."""
    candidate = (text or "").strip()[:5]
    return candidate if _ZIP.match(candidate) else None


def centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code's centroid, or None if it is not a known ZIP."""
    code = normalise_zip(zip_code)
    row = _table().get(code) if code else None
    return (row[0], row[1]) if row else None


def state_of(zip_code: str) -> str | None:
    code = normalise_zip(zip_code)
    row = _table().get(code) if code else None
    return row[2] if row else None


def distance_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles between two (latitude, longitude) points."""
    return float(zipcodes.haversine(a[1], a[0], b[1], b[0]))
