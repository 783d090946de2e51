"""Verifying the audit trail: every chain's seals and links, its head, and the external anchors.

A break is evidence of tampering (or of a restored older copy): an entry whose content does not
match its seal, a missing position, a link to the wrong predecessor, a head that disagrees with
its chain, an anchored entry the database no longer has. Notes are not breaks: entries committed
after the newest anchor (the anchor is written just after the commit, so a crash in between
leaves a few), and rollbacks an operator acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ketacare.audit.anchors import AnchorState, anchor_path, read_anchors
from ketacare.audit.chain import GENESIS_HASH, sealed_content
from ketacare.audit.keys import known_key, seal
from ketacare.audit.models import AuditChainHead, AuditEntry

LEGACY_CHAIN = "legacy"  # entries from before chains, keys and anchors (migration 0003)


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    position: int
    problem: str
    # "rollback": the database is behind the anchors (an older copy restored, or the newest
    # entries removed); "tamper": anything else.
    kind: str = "tamper"

    def __str__(self) -> str:
        return f"{self.chain} #{self.position}: {self.problem}"


@dataclass
class VerifyReport:
    entries: int = 0
    chains: int = 0
    anchor_lines: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def only_rollback(self) -> bool:
        """Behind the anchors, but every entry it has is sound: an older copy, not an edit."""
        return bool(self.breaks) and all(b.kind == "rollback" for b in self.breaks)


@dataclass
class _Walk:
    """One chain as it is read, in position order."""

    chain: str
    position: int = 0
    previous_hash: str = GENESIS_HASH
    anchor_seen: bool = False


def _check_entry(walk: _Walk, entry: AuditEntry, report: VerifyReport) -> None:
    expected = walk.position + 1
    if entry.position != expected:
        missing = (
            f"{expected}" if entry.position == expected + 1 else f"{expected}–{entry.position - 1}"
        )
        report.breaks.append(ChainBreak(walk.chain, expected, f"entries {missing} are missing"))
    if entry.previous_hash != walk.previous_hash:
        report.breaks.append(
            ChainBreak(walk.chain, entry.position, "does not follow the previous entry's seal")
        )
    if entry.key_id and not known_key(entry.key_id):
        report.breaks.append(
            ChainBreak(
                walk.chain,
                entry.position,
                f"sealed with key {entry.key_id!r}, which is not in the keyring "
                "(AUDIT_KEYS): keep retired keys in the ring",
            )
        )
    elif seal(entry.key_id, entry.previous_hash, sealed_content(entry)) != entry.entry_hash:
        report.breaks.append(
            ChainBreak(walk.chain, entry.position, "content does not match its seal (altered)")
        )
    walk.position = entry.position
    walk.previous_hash = entry.entry_hash


def _check_anchor(
    walk: _Walk, entry: AuditEntry, anchors: AnchorState, earlier: dict, report
) -> None:
    expected_seal = earlier.get((walk.chain, entry.position))
    if expected_seal is not None and expected_seal != entry.entry_hash:
        report.breaks.append(
            ChainBreak(
                walk.chain,
                entry.position,
                "differs from an anchored seal (replaced, or written after a rollback)",
                kind="rollback",
            )
        )
    anchored = anchors.expected.get(walk.chain)
    if anchored is None or entry.position != anchored[0]:
        return
    walk.anchor_seen = True
    if entry.entry_hash != anchored[1]:
        report.breaks.append(
            ChainBreak(
                walk.chain,
                entry.position,
                "differs from the anchored seal (replaced, or written after a rollback)",
                kind="rollback",
            )
        )


def _finish(walk: _Walk, heads: dict[str, int], anchors: AnchorState, report) -> None:
    head = heads.get(walk.chain)
    if head is not None and head > walk.position:
        report.breaks.append(
            ChainBreak(
                walk.chain,
                walk.position + 1,
                f"the newest entries are missing (the head says {head}, the last entry is "
                f"{walk.position})",
            )
        )
    elif head is not None and head < walk.position:
        report.breaks.append(
            ChainBreak(walk.chain, head, f"the head was moved back from {walk.position} to {head}")
        )
    anchored = anchors.expected.get(walk.chain)
    if anchored is not None and not walk.anchor_seen:
        report.breaks.append(
            ChainBreak(
                walk.chain,
                anchored[0],
                f"anchored entry {anchored[0]} is missing: the newest entries were deleted, or "
                "an older copy of the database was restored (a rollback)",
                kind="rollback",
            )
        )
    unanchored = walk.position - (anchored[0] if anchored else 0)
    if unanchored > 0 and walk.chain != LEGACY_CHAIN:
        report.notes.append(f"{walk.chain}: {unanchored} newest entries are not anchored yet")


def verify_trail(
    *, anchor_paths: Iterable[Path] | None = None, batch_size: int = 5000
) -> VerifyReport:
    """Walk every chain once, in order, and check it against its head and the anchors."""
    anchors = read_anchors(list(anchor_paths) if anchor_paths is not None else [anchor_path()])
    report = VerifyReport(anchor_lines=anchors.lines)
    report.breaks += [ChainBreak("anchors", 0, problem) for problem in anchors.problems]
    heads = dict(AuditChainHead.objects.values_list("chain", "last_position"))
    earlier = {(chain, position): seal for chain, position, seal in anchors.earlier}
    walk: _Walk | None = None
    seen: set[str] = set()
    entries = AuditEntry.objects.order_by("chain", "position")
    for entry in entries.iterator(chunk_size=batch_size):
        if walk is None or entry.chain != walk.chain:
            if walk is not None:
                _finish(walk, heads, anchors, report)
            walk = _Walk(entry.chain)
            seen.add(entry.chain)
        _check_entry(walk, entry, report)
        _check_anchor(walk, entry, anchors, earlier, report)
        report.entries += 1
    if walk is not None:
        _finish(walk, heads, anchors, report)
    # Chains that have a head or an anchor but no entry at all.
    for chain in sorted((set(heads) | set(anchors.expected)) - seen):
        _finish(_Walk(chain), heads, anchors, report)
    report.chains = len(seen)
    for rollback in anchors.rollbacks:
        lost = sum(anchored - kept for anchored, kept in rollback.lost.values())
        report.notes.append(
            f"rollback acknowledged at {rollback.at} ({rollback.reason}): {lost} entries of "
            f"{len(rollback.lost)} chains were lost"
        )
    return report
