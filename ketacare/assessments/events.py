"""What the measurement app tells the apps that react to it (``ketacare.core.events``)."""

from __future__ import annotations

RESPONSE_RECORDED = "assessments.response_recorded"
"""``response`` (the stored AssessmentResponse: a first entry or a correction), ``score`` (the
core's Score), ``alert`` (the safety alert it opened, or None), ``origin``, ``at``."""
