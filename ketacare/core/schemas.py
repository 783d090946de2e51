"""API shapes every router shares: the one error body, documented on every operation."""

from __future__ import annotations

from typing import Any, Self

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


class RecordOut(Schema):
    """An answer made from one record. ``of_record(record, **derived)`` takes every field not
    given in ``derived`` from the record's attribute of the same name, so a schema's ``of`` names
    only what it derives (a related record's name, a person's label)."""

    @classmethod
    def of_record(cls, record: Any, **derived: Any) -> Self:
        own = {name: getattr(record, name) for name in cls.model_fields if name not in derived}
        return cls(**own, **derived)
