"""Anchors: the newest seal of each chain, written outside the database after every commit.

Someone with write access to the database but not to the anchors cannot delete the newest
entries, move a chain head back or restore an older copy without ``audit_verify`` noticing: the
anchors name a position and seal the database no longer has.

One JSON line per committed transaction that appended, to an append-only file
(``AUDIT_ANCHOR_PATH``), and the same line on the ``ketacare.audit.anchors`` logger at INFO so a
log shipper can keep a copy on another machine::

    {"at":"2026-12-03T10:00:00.000000+00:00","heads":{"clinic-3/0":[1742,"9f…"]},"kind":"heads"}

An operator who restores an older backup on purpose acknowledges the rollback
(``ketacare audit_verify --accept-rollback REASON``): a ``rollback`` line, signed with the audit
key, names the heads the chains start again from.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from ketacare.audit.keys import canonical, sign, signature_valid

logger = logging.getLogger("ketacare.audit.anchors")

Heads = dict[str, tuple[int, str]]


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_PATH)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _write(record: dict) -> None:
    """One line, one ``write`` on a file opened for appending: lines of concurrent workers never
    interleave, and nothing already written is ever rewritten."""
    line = canonical(record) + "\n"
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        if settings.AUDIT_ANCHOR_FSYNC:
            os.fsync(fd)
    finally:
        os.close(fd)
    logger.info(line.rstrip("\n"))


def anchor_heads(heads: Heads) -> None:
    """Called after a transaction that appended has committed. A failure is logged, never
    raised: the entries are committed; ``audit_verify`` reports them as not yet anchored."""
    record = {
        "kind": "heads",
        "at": _now(),
        "heads": {chain: [position, seal] for chain, (position, seal) in sorted(heads.items())},
    }
    try:
        _write(record)
    except OSError:
        logger.exception("Could not write the audit anchor to %s", anchor_path())


def anchor_rollback(heads: Heads, *, reason: str) -> None:
    """Acknowledge that the chains now restart from ``heads`` (an older backup was restored).
    Signed with the audit key, so the database alone cannot forge one."""
    body = {
        "kind": "rollback",
        "at": _now(),
        "reason": reason,
        "heads": {chain: [position, seal] for chain, (position, seal) in sorted(heads.items())},
    }
    key_id, mac = sign(body)
    _write(body | {"key_id": key_id, "mac": mac})


@dataclass(frozen=True)
class Rollback:
    at: str
    reason: str
    lost: dict[str, tuple[int, int]]  # chain -> (anchored position, restarted from)


@dataclass
class AnchorState:
    """What the anchors say each chain must contain: its newest anchored position and seal."""

    expected: Heads = field(default_factory=dict)
    earlier: list[tuple[str, int, str]] = field(default_factory=list)  # lines behind the newest
    rollbacks: list[Rollback] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # forged or unreadable lines
    lines: int = 0


def _heads(raw: dict) -> Heads:
    return {chain: (int(value[0]), str(value[1])) for chain, value in raw.items()}


def read_anchors(paths: Iterable[Path]) -> AnchorState:
    """Replay the anchor lines in order: the furthest anchor per chain wins, and a valid rollback
    line replaces everything before it with the heads it names."""
    state = AnchorState()
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                state.lines += 1
                try:
                    record = json.loads(line)
                    kind = record["kind"]
                    heads = _heads(record["heads"])
                except (ValueError, KeyError, TypeError, IndexError):
                    state.problems.append(f"{path}:{number}: not an anchor line")
                    continue
                if kind == "heads":
                    _advance(state, heads)
                elif kind == "rollback":
                    _apply_rollback(state, record, heads, f"{path}:{number}")
                else:
                    state.problems.append(f"{path}:{number}: unknown anchor kind {kind!r}")
    return state


def _advance(state: AnchorState, heads: Heads) -> None:
    """A chain's anchor only ever moves forward: a line naming an earlier position (written
    late by a slower worker, or after the newest entries were deleted and the chain grew
    again) never lowers what the database must contain. Such lines are checked too."""
    for chain, (position, seal) in heads.items():
        newest = state.expected.get(chain)
        if newest is None or position > newest[0]:
            state.expected[chain] = (position, seal)
        elif (position, seal) != newest:
            state.earlier.append((chain, position, seal))


def _apply_rollback(state: AnchorState, record: dict, heads: Heads, where: str) -> None:
    body = {k: v for k, v in record.items() if k not in ("key_id", "mac")}
    if not signature_valid(str(record.get("key_id", "")), str(record.get("mac", "")), body):
        state.problems.append(f"{where}: a rollback acknowledgement whose signature is not valid")
        return
    lost = {
        chain: (position, heads.get(chain, (0, ""))[0])
        for chain, (position, _) in state.expected.items()
        if position > heads.get(chain, (0, ""))[0]
    }
    state.rollbacks.append(Rollback(str(record.get("at", "")), str(record.get("reason", "")), lost))
    state.expected = dict(heads)
    state.earlier = []
