"""API shapes every router shares: the one error body, documented on every operation."""

from __future__ import annotations

from typing import Any

from ninja import Schema, Status


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


class CreatedOut(Schema):
    """The answer of an operation that made one record: its id."""

    id: int


def created(record: Any) -> Status:
    """The 201 answer of an operation that made one record: its id (``{"id": record.pk}``)."""
    return Status(201, {"id": record.pk})
