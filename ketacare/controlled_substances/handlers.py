"""What the ledger does when a session records an administration: it refuses one that was not
drawn up from the ledger (the handler runs in the session's transaction, so the administration
is not recorded either)."""

from __future__ import annotations

from ketacare.core.events import subscribe
from ketacare.sessions.events import ADMINISTRATION_RECORDED


def administration_recorded(*, session, administration, total_given_mg, origin, at, **_) -> None:
    from ketacare.controlled_substances.services.dosing import guard

    guard(session=session, administration=administration, total_given_mg=total_given_mg, at=at)


def connect() -> None:
    """Subscribe to the session events the ledger reacts to."""
    subscribe(ADMINISTRATION_RECORDED, administration_recorded)
