"""Reactions to other apps' events: the ledger's take-home dispensing is checked against the
prescriber's limit in its own transaction (refusing rolls it back), and new sessions, ledger
corrections, dispensings and at-home logs sync the patient's signals after they commit."""

from __future__ import annotations

from ketacare.controlled_substances.events import ENTRY_RECORDED
from ketacare.core.events import subscribe
from ketacare.longterm import services
from ketacare.sessions.events import AT_HOME_LOGGED, SESSION_SIGNED


def ledger_entry_recorded(*, entry, origin, at, **_) -> None:
    if entry.patient_id is None:
        return
    if entry.kind == "dispense":
        services.dispensing_checked(entry=entry, origin=origin, at=at)
    if entry.kind in ("dispense", "correction"):
        services.signals_sync_after_commit(entry.patient_id, "long-term safety (ledger)", at=at)


def session_signed(*, session, at, **_) -> None:
    services.signals_sync_after_commit(session.patient_id, "long-term safety (session)", at=at)


def at_home_logged(*, at_home, at, **_) -> None:
    services.signals_sync_after_commit(at_home.patient_id, "long-term safety (at-home log)", at=at)


def connect() -> None:
    subscribe(ENTRY_RECORDED, ledger_entry_recorded)
    subscribe(SESSION_SIGNED, session_signed)
    subscribe(AT_HOME_LOGGED, at_home_logged)
