"""What the long-term rules hand to the prescriber: a finding to review (with its evidence) or
an item that is due. Both say what they rest on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ketacare.clinical.common import Provenance


class Category(StrEnum):
    EXPOSURE = "exposure"
    URINARY = "urinary"
    COGNITION = "cognition"
    LIVER = "liver"
    MISUSE = "misuse"


@dataclass(frozen=True)
class Finding:
    """One signal for the prescriber to review. ``key`` identifies it within its kind for the
    patient, so finding it again never raises it twice."""

    category: Category
    kind: str
    key: str
    at: dt.datetime
    summary: str
    evidence: dict[str, Any]
    provenance: Provenance


class DueStatus(StrEnum):
    DUE = "due"
    NOT_DUE = "not_due"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Due:
    """Whether a check is due now; ``not_configured`` when the clinic has not set what it needs
    (no prompt is raised then, and the screen says so)."""

    item: str  # urinary_check, cognitive_screen, liver_tests, continuation_review
    label: str
    status: DueStatus
    reason: str
    last_at: dt.datetime | None = None
    next_due_at: dt.datetime | None = None
    provenance: Provenance = field(default_factory=lambda: Provenance(()))

    @property
    def is_due(self) -> bool:
        return self.status is DueStatus.DUE


def interval_due(
    *,
    item: str,
    label: str,
    last_at: dt.datetime | None,
    interval_days: int | None,
    at: dt.datetime,
    provenance: Provenance,
    missing: str,
    setting_label: str,
) -> Due:
    """Due when never done, or when the clinic's interval has passed since the last one."""
    if interval_days is None:
        return Due(
            item,
            label,
            DueStatus.NOT_CONFIGURED,
            f"Not configured: the clinic has not set “{setting_label}”",
            last_at,
            provenance=provenance,
        )
    if last_at is None:
        return Due(item, label, DueStatus.DUE, missing, None, at, provenance)
    next_at = last_at + dt.timedelta(days=interval_days)
    if next_at <= at:
        return Due(
            item,
            label,
            DueStatus.DUE,
            f"Last done {last_at:%Y-%m-%d}; the clinic repeats it every {interval_days} days",
            last_at,
            next_at,
            provenance,
        )
    return Due(
        item, label, DueStatus.NOT_DUE, f"Next due {next_at:%Y-%m-%d}", last_at, next_at, provenance
    )
