"""What long-term safety tells other apps (``ketacare.core.events``)."""

from __future__ import annotations

SIGNAL_RAISED = "longterm.signal_raised"
"""``signal`` (the new Signal), ``origin``, ``at``."""

SIGNAL_REVIEWED = "longterm.signal_reviewed"
"""``review`` (the SignalReview), ``origin``, ``at``."""
