"""Oversight deadlines: theft or significant loss (Form 106), inventories, retention and the DEA
registration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ketacare.clinical.common import ConfigurableDefault, Provenance
from ketacare.clinical.controlled_substances.sources import (
    BIENNIAL_INVENTORY,
    BIENNIAL_YEARS,
    FORM_106_DAYS,
    INITIAL_INVENTORY,
    LOSS_NOTICE_BUSINESS_DAYS,
    LOSS_REPORTING,
    OPERATIONAL_DEFAULT,
    RETENTION,
    RETENTION_MINIMUM_YEARS,
    SCHEDULE,
    LedgerRefused,
)


@dataclass(frozen=True)
class LossStep:
    id: str
    label: str
    due_on: dt.date
    provenance: Provenance


def next_business_day(day: dt.date, count: int = 1) -> dt.date:
    """``count`` business days (Monday to Friday) after ``day``. Public holidays are not skipped:
    the deadline can only come earlier than the rule's, never later (the safer reading)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def significant_loss_steps(discovered_on: dt.date) -> tuple[LossStep, ...]:
    """What a registrant does after discovering a theft or significant loss, with deadlines:
    written notice to the local DEA Field Division within 1 business day of discovery, and DEA
    Form 106 completed electronically within 45 days (paper no longer accepted). source: S22, S23
    """
    return (
        LossStep(
            "field_division_notice",
            "Written notice to the local DEA Field Division",
            next_business_day(discovered_on, LOSS_NOTICE_BUSINESS_DAYS),
            LOSS_REPORTING,
        ),
        LossStep(
            "form_106",
            "DEA Form 106 completed electronically (DEA Diversion website)",
            discovered_on + dt.timedelta(days=FORM_106_DAYS),
            LOSS_REPORTING,
        ),
    )


def step_status(step: LossStep, *, done_on: dt.date | None, today: dt.date) -> str:
    """``done``, ``done_late``, ``overdue`` or ``due``."""
    if done_on is not None:
        return "done" if done_on <= step.due_on else "done_late"
    return "overdue" if today > step.due_on else "due"


# --- inventories, retention, registration -------------------------------------------------------


def add_years(day: dt.date, years: int) -> dt.date:
    """The same date ``years`` later; 29 February becomes 28 February (earlier, so safer)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class InventoryKind(StrEnum):
    INITIAL = "initial"
    BIENNIAL = "biennial"


@dataclass(frozen=True)
class InventoryDue:
    kind: InventoryKind
    due_on: dt.date | None  # None: nothing handled yet, so no inventory is due
    provenance: Provenance

    def days_left(self, today: dt.date) -> int | None:
        return None if self.due_on is None else (self.due_on - today).days

    def is_overdue(self, today: dt.date) -> bool:
        return self.due_on is not None and today > self.due_on


def inventory_due(first_handled_on: dt.date | None, taken_on: Iterable[dt.date]) -> InventoryDue:
    """The next inventory: the initial one on the day controlled substances are first handled
    (S119), then each within 24 months of the one before (S119, S120)."""
    latest = max(taken_on, default=None)
    if latest is None:
        return InventoryDue(InventoryKind.INITIAL, first_handled_on, INITIAL_INVENTORY)
    return InventoryDue(
        InventoryKind.BIENNIAL, add_years(latest, BIENNIAL_YEARS), BIENNIAL_INVENTORY
    )


INVENTORY_REMINDER_DAYS: Final = ConfigurableDefault[int](
    "inventory_reminder_days", "Remind of the next inventory this many days before it is due",
    60, "days", OPERATIONAL_DEFAULT, 1, 365,
)  # fmt: skip
REGISTRATION_WARNING_DAYS: Final = ConfigurableDefault[int](
    "registration_warning_days", "Warn this many days before the DEA registration expires",
    90, "days", OPERATIONAL_DEFAULT, 1, 365,
)  # fmt: skip
RETENTION_YEARS: Final = ConfigurableDefault[int](
    "retention_years", "Keep controlled-substance records at least", RETENTION_MINIMUM_YEARS,
    "years", RETENTION, RETENTION_MINIMUM_YEARS, None,
)  # fmt: skip


def retained_until(recorded_on: dt.date, years: int = RETENTION_MINIMUM_YEARS) -> dt.date:
    """The first day a record may be purged: at least 2 years after it (S21); a state may ask
    for more (the clinic's setting), never less."""
    return add_years(recorded_on, max(years, RETENTION_MINIMUM_YEARS))


def check_purge(
    recorded_on: dt.date, *, today: dt.date, years: int = RETENTION_MINIMUM_YEARS
) -> None:
    """Refuse to purge a record inside its retention period."""
    until = retained_until(recorded_on, years)
    if today < until:
        raise LedgerRefused(
            f"This record must be kept until {until.isoformat()} (at least {max(years, 2)} years, "
            "S21) and cannot be purged before"
        )


@dataclass(frozen=True)
class RegistrationStatus:
    valid: bool
    warning: bool
    days_left: int
    message: str


def registration_status(
    expires_on: dt.date, *, today: dt.date, warn_days: int
) -> RegistrationStatus:
    """Whether the DEA registration is in force, and whether its expiry is near."""
    days_left = (expires_on - today).days
    if days_left < 0:
        return RegistrationStatus(
            False, True, days_left, f"The DEA registration expired on {expires_on.isoformat()}"
        )
    warning = days_left <= warn_days
    message = f"The DEA registration expires on {expires_on.isoformat()} ({days_left} days)"
    return RegistrationStatus(True, warning, days_left, message)


def check_registration(
    *, expires_on: dt.date | None, schedules: Iterable[str], today: dt.date
) -> None:
    """Stock may be received or given only under a registration in force for Schedule III."""
    if expires_on is None:
        raise LedgerRefused("Record the clinic's DEA registration before handling ketamine")
    if today > expires_on:
        raise LedgerRefused(
            f"The clinic's DEA registration expired on {expires_on.isoformat()}: controlled "
            "substances cannot be received, administered or dispensed until it is renewed"
        )
    if SCHEDULE not in set(schedules):
        raise LedgerRefused("The clinic's DEA registration does not cover Schedule III")
