"""``ketacare send_assessment_reminders``: e-mail patients about due questionnaires.

Run it from cron (e.g. hourly). At most three reminders per due questionnaire, at least the
clinic's reminder interval apart; running it twice in a row sends nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from ketacare.assessments.services import reminders_send_due


class Command(BaseCommand):
    help = "E-mail reminders (up to three each) for due and overdue patient questionnaires."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend it is this ISO time (with offset); for tests.")

    def handle(self, *args, now: str | None = None, **options):
        at = None
        if now:
            try:
                at = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    "--now must be an ISO date-time such as 2026-03-01T09:00+00:00"
                ) from None
            if at.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-03-01T09:00+00:00")
        sent = reminders_send_due(now=at)
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
