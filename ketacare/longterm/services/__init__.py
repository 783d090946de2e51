"""Every write of long-term safety: one transaction each, audited, with ``at`` passed in, one
module per subject (``signals``: raising, syncing, reviewing, addenda, the nightly scan;
``records``: urinary checks, cognitive screens, liver results; ``decisions``: continuation
reviews, take-home limits and their check on the ledger's dispensing).

Signals are raised once per fact (``Signal`` is unique per patient, kind and key), so syncing
again, or a retried request, never raises one twice. Reviews, checks and results are written
once; corrections are addenda.
"""

from ketacare.longterm.services.decisions import (
    continuation_review_sign,
    dispensing_checked,
    dispensing_limit_set,
)
from ketacare.longterm.services.records import (
    cognitive_screen_record,
    liver_result_record,
    urinary_check_record,
)
from ketacare.longterm.services.signals import (
    addendum_add,
    overview_synced,
    signal_raise,
    signal_review,
    signals_scan,
    signals_sync,
    signals_sync_after_commit,
)

__all__ = [
    "addendum_add",
    "cognitive_screen_record",
    "continuation_review_sign",
    "dispensing_checked",
    "dispensing_limit_set",
    "liver_result_record",
    "overview_synced",
    "signal_raise",
    "signal_review",
    "signals_scan",
    "signals_sync",
    "signals_sync_after_commit",
    "urinary_check_record",
]
