"""What the controlled-substance ledger tells other apps (``ketacare.core.events``)."""

from __future__ import annotations

ENTRY_RECORDED = "controlled_substances.entry_recorded"
"""``entry`` (the LedgerEntry just appended), ``origin``, ``at``."""

DISCREPANCY_OPENED = "controlled_substances.discrepancy_opened"
"""``discrepancy``, ``origin``, ``at``: a count differed from the ledger."""
