"""Refusals of the treatment services, with a message for the person acting."""

from __future__ import annotations


class TreatmentError(Exception):
    """An action the rules or the record do not allow; ``fields`` maps form fields to messages.

    ``status`` is the HTTP status the API answers with: 409 for a refusal by the record
    (conflict, unsigned order, wrong state), 422 for input the rules refuse.
    """

    status = 409

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, status=None):
        super().__init__(message)
        self.fields = fields or {}
        if status is not None:
            self.status = status


class BookingConflict(TreatmentError):
    """The chair, the nurse or the patient is already booked at an overlapping time."""
