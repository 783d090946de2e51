"""Esketamine prior authorisation: what a payer's decision covers, and the warnings billing staff
need before sessions are booked beyond it.

The reference (§9) says only that prior authorisation is common for the esketamine G-codes
[S124][S125][S126]; statuses, periods and units are what payers' decisions state. An authorised
period includes its first and last day. Units are counted as treatment sessions (one G2082/G2083
visit each), the unit payers usually authorise for the visit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ketacare.clinical.common import ClinicalRuleError, Provenance

PRIOR_AUTHORISATION_PROVENANCE = Provenance(
    ("S124", "S125", "S126"), note="prior authorisation is common for the esketamine G-codes"
)


class AuthorisationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DENIED = "denied"
    APPEALED = "appealed"


# Which status may follow which: an appeal answers a denial; an appeal is decided either way.
NEXT_STATUSES: dict[AuthorisationStatus, tuple[AuthorisationStatus, ...]] = {
    AuthorisationStatus.SUBMITTED: (AuthorisationStatus.APPROVED, AuthorisationStatus.DENIED),
    AuthorisationStatus.DENIED: (AuthorisationStatus.APPEALED,),
    AuthorisationStatus.APPEALED: (AuthorisationStatus.APPROVED, AuthorisationStatus.DENIED),
    AuthorisationStatus.APPROVED: (),
}


def check_transition(current: AuthorisationStatus | str, to: AuthorisationStatus | str) -> None:
    """Refuse a status change the payer's process does not have (approved is final: a renewal
    is a new authorisation)."""
    current, to = AuthorisationStatus(current), AuthorisationStatus(to)
    if to not in NEXT_STATUSES[current]:
        allowed = ", ".join(s.value for s in NEXT_STATUSES[current]) or "nothing (final)"
        raise ClinicalRuleError(
            f"An authorisation that is {current.value} cannot become {to.value}; "
            f"it can become {allowed}"
        )


@dataclass(frozen=True)
class Approval:
    """What the payer approved: ``units`` sessions from ``starts_on`` to ``ends_on`` inclusive."""

    starts_on: date
    ends_on: date
    units: int

    def __post_init__(self) -> None:
        if isinstance(self.units, bool) or not isinstance(self.units, int) or self.units < 1:
            raise ClinicalRuleError(
                f"Approved units must be a whole number of sessions of at least 1 "
                f"(got {self.units!r})"
            )
        if self.ends_on < self.starts_on:
            raise ClinicalRuleError(
                f"The authorised period ends ({self.ends_on:%Y-%m-%d}) before it starts "
                f"({self.starts_on:%Y-%m-%d})"
            )

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class WarningKind(StrEnum):
    PENDING = "pending"
    DENIED = "denied"
    EXPIRED = "expired"
    EXPIRING = "expiring"
    BOOKED_AFTER_PERIOD = "booked_after_period"
    BOOKED_BEFORE_PERIOD = "booked_before_period"
    UNITS_EXCEEDED = "units_exceeded"


@dataclass(frozen=True)
class AuthorisationWarning:
    kind: WarningKind
    message: str
    dates: tuple[date, ...] = field(default_factory=tuple)


def _dates(days: Sequence[date]) -> str:
    return ", ".join(f"{d:%a %d %b %Y}" for d in days)


def authorisation_warnings(
    *,
    status: AuthorisationStatus | str,
    approval: Approval | None,
    used_units: int,
    booked: Sequence[date],
    today: date,
    warn_days: int,
) -> tuple[AuthorisationWarning, ...]:
    """What billing must act on for one authorisation, given the sessions already given inside
    its period (``used_units``) and the dates of sessions still booked (``booked``).

    ``warn_days``: how many days before the end of the period to warn (renewals take time).
    """
    status = AuthorisationStatus(status)
    if warn_days < 0 or used_units < 0:
        raise ClinicalRuleError("Warning days and used units cannot be negative")
    upcoming = tuple(sorted(d for d in booked if d >= today))
    if status is not AuthorisationStatus.APPROVED:
        if status is AuthorisationStatus.DENIED:
            text = "The payer denied this authorisation"
            kind = WarningKind.DENIED
        else:
            text = f"Awaiting the payer's decision ({status.value})"
            kind = WarningKind.PENDING
        if upcoming:
            text += f"; {len(upcoming)} session(s) booked without cover: {_dates(upcoming)}"
        return (AuthorisationWarning(kind, text, upcoming),)
    if approval is None:
        raise ClinicalRuleError("An approved authorisation needs its period and units")
    warnings: list[AuthorisationWarning] = []
    end = approval.ends_on
    if today > end:
        warnings.append(AuthorisationWarning(
            WarningKind.EXPIRED, f"The authorisation expired on {end:%a %d %b %Y}", (end,)))
    elif (end - today).days <= warn_days:
        days = (end - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        warnings.append(AuthorisationWarning(
            WarningKind.EXPIRING, f"The authorisation ends {when} ({end:%a %d %b %Y}): "
            "request a renewal before booking further sessions", (end,)))
    after = tuple(d for d in upcoming if d > end)
    if after:
        warnings.append(AuthorisationWarning(
            WarningKind.BOOKED_AFTER_PERIOD,
            f"{len(after)} booked session(s) fall after the authorised period ends on "
            f"{end:%a %d %b %Y}: {_dates(after)}", after))
    before = tuple(d for d in upcoming if d < approval.starts_on)
    if before:
        warnings.append(AuthorisationWarning(
            WarningKind.BOOKED_BEFORE_PERIOD,
            f"{len(before)} booked session(s) fall before the authorised period starts on "
            f"{approval.starts_on:%a %d %b %Y}: {_dates(before)}", before))
    inside = [d for d in upcoming if approval.covers(d)]
    left = approval.units - used_units
    if len(inside) > max(left, 0):
        over = tuple(inside[max(left, 0):])
        warnings.append(AuthorisationWarning(
            WarningKind.UNITS_EXCEEDED,
            f"{approval.units} session(s) approved, {used_units} used, {len(inside)} booked in "
            f"the period: {len(over)} booked session(s) beyond the approved units: {_dates(over)}",
            over))
    return tuple(warnings)
