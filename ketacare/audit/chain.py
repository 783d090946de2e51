"""Appending to the audit chains without making concurrent requests wait for each other.

Entries of one clinic go to the chains of that clinic's scope (``clinic-<id>``; entries without a
clinic, such as sign-ins, to ``system``). A scope has ``AUDIT_CHAIN_LANES`` chains ("lanes"), each
with a head row. An append locks the lowest lane no other transaction holds (PostgreSQL
``FOR UPDATE SKIP LOCKED``), so audited requests of the same clinic, and of every clinic of a
network, append side by side; a transaction that appends again keeps its lane. Only when every
lane of a scope is held does an append wait, for one lane. SQLite has one writer at a time
anyway, so there an append always takes lane 0.

The global ``sequence`` comes from a PostgreSQL sequence (never blocks; may leave gaps) or, on
SQLite, from the highest one plus one inside the writer's transaction.

After the transaction commits, one anchor line records the committed head of every chain it
appended to (``ketacare.audit.anchors``).
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max

from ketacare.audit.anchors import anchor_heads
from ketacare.audit.keys import current_key_id, seal
from ketacare.audit.models import AuditChainHead, AuditEntry

logger = logging.getLogger(__name__)

SYSTEM_SCOPE = "system"
GENESIS_HASH = "0" * 64
SEQUENCE_NAME = "audit_entry_sequence"  # created by migration 0003 on PostgreSQL


def scope_for(clinic_id: int | None) -> str:
    return SYSTEM_SCOPE if clinic_id is None else f"clinic-{clinic_id}"


def sealed_content(entry: AuditEntry) -> dict:
    """What an entry's seal covers. Entries from before the keys (``key_id`` empty) were hashed
    without their chain fields."""
    content = {
        "sequence": entry.sequence,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "ip_address": entry.ip_address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "clinic_id": entry.clinic_id,
        "patient_id": entry.patient_id,
        "summary": entry.summary,
        "changes": entry.changes,
    }
    if entry.key_id:
        content |= {"chain": entry.chain, "position": entry.position, "key_id": entry.key_id}
    return content


class _Transaction:
    """What the current database transaction appended to: the lane it holds in each scope, and
    the chains whose heads are anchored once it commits."""

    def __init__(self) -> None:
        self.lanes: dict[str, str] = {}
        self.chains: set[str] = set()

    def flush(self) -> None:
        """After the commit: anchor the committed head of every chain appended to. Read back
        rather than remembered, so appends undone with a savepoint are never anchored."""
        try:
            heads = {
                chain: (position, entry_hash)
                for chain, position, entry_hash in AuditChainHead.objects.filter(
                    chain__in=self.chains
                ).values_list("chain", "last_position", "last_hash")
            }
        except DatabaseError:
            logger.exception("Could not read the audit heads to anchor them")
            return
        anchor_heads(heads)


def _current_transaction() -> _Transaction:
    """The state of the transaction in progress, alive while its flush waits for the commit (a
    commit runs the on-commit hooks, a rollback drops them; so does rolling back the savepoint
    of the append that registered it, and the next append then starts afresh)."""
    state = getattr(connection, "_ketacare_audit_transaction", None)
    if state is None or not any(hook[1] == state.flush for hook in connection.run_on_commit):
        state = _Transaction()
        connection._ketacare_audit_transaction = state
        transaction.on_commit(state.flush)
    return state


def create_lanes(scope: str) -> None:
    """The lanes of ``scope`` (those that do not exist yet). Done when a clinic is created
    (``ketacare.audit.signals``): created by a first append, they would stay invisible to other
    transactions, which would wait for them, until that append's transaction ends."""
    AuditChainHead.objects.bulk_create(
        [
            AuditChainHead(chain=f"{scope}/{lane}", scope=scope, lane=lane)
            for lane in range(settings.AUDIT_CHAIN_LANES)
        ],
        ignore_conflicts=True,
    )


def _lock_lane(scope: str, state: _Transaction) -> AuditChainHead:
    free = AuditChainHead.objects.select_for_update(skip_locked=True)
    held = state.lanes.get(scope)
    if held is not None:
        head = free.filter(chain=held).first()  # our own lock is never skipped
        if head is not None:
            return head
    head = free.filter(scope=scope).order_by("lane").first()
    if head is None:
        create_lanes(scope)  # a scope without lanes yet, or more lanes configured
        head = free.filter(scope=scope).order_by("lane").first()
    if head is None:  # every lane is held by another transaction: wait for one
        lane = os.getpid() % settings.AUDIT_CHAIN_LANES
        head = AuditChainHead.objects.select_for_update().get(scope=scope, lane=lane)
    return head


def _next_sequence() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
            return cursor.fetchone()[0]
    return (AuditEntry.objects.aggregate(n=Max("sequence"))["n"] or 0) + 1


def append(entry: AuditEntry, *, savepoint: bool = True) -> AuditEntry:
    """Seal ``entry`` (its content already set) onto a chain of its clinic's scope and save it,
    inside the caller's transaction when there is one (``savepoint=False``: a caller appending
    several entries at once, whose whole transaction fails if one does)."""
    with transaction.atomic(savepoint=savepoint):
        state = _current_transaction()
        scope = scope_for(entry.clinic_id)
        head = _lock_lane(scope, state)
        entry.sequence = _next_sequence()
        entry.chain = head.chain
        entry.position = head.last_position + 1
        entry.key_id = current_key_id()
        entry.previous_hash = head.last_hash
        entry.entry_hash = seal(entry.key_id, entry.previous_hash, sealed_content(entry))
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_position=entry.position, last_hash=entry.entry_hash
        )
        state.lanes[scope] = head.chain
        state.chains.add(head.chain)
    return entry
