"""API shapes every router shares: the one error body, documented on every operation."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every 4xx answer: a sentence for the person, one message per field, and facts for screens.

    ``fields`` keys are field paths without the body prefix (``vitals.spo2_percent``).
    """

    detail: str
    fields: dict[str, str] = {}
    details: dict[str, Any] = {}


# Spread into a route's ``response=`` so the OpenAPI document lists what the operation can answer.
ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
READ_ERRORS: dict[int, type[ErrorOut]] = {403: ErrorOut, 404: ErrorOut}
