"""What scheduled commands share: the ``--now`` option that pins their clock (for tests)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone


def add_now_argument(parser: CommandParser) -> None:
    parser.add_argument("--now", help="Pretend it is this ISO time (with offset); for tests.")


def command_now(text: str | None) -> dt.datetime:
    """The moment a command acts at: ``--now`` if given (must carry an offset), else now."""
    if not text:
        return timezone.now()
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            "--now must be an ISO date-time such as 2026-03-01T09:00+00:00"
        ) from None
    if at.tzinfo is None:
        raise CommandError("--now needs a UTC offset, e.g. 2026-03-01T09:00+00:00")
    return at
