"""Refusals of the treatment services, in the core family (``ketacare.core.errors``)."""

from __future__ import annotations

from ketacare.core.errors import Invalid, Refused


class TreatmentError(Refused):
    """An action the record does not allow now (409): an unsigned order, a completed course, a
    screening that does not allow treatment. ``fields`` may name the inputs concerned."""


class TreatmentInvalid(Invalid):
    """Input the treatment rules refuse (422), with one message per field."""


class BookingConflict(TreatmentError):
    """The chair, the nurse or the patient is already booked at an overlapping time."""
