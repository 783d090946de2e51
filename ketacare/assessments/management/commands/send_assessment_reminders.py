"""``ketacare send_assessment_reminders``: e-mail patients about due questionnaires.

Run it from cron (e.g. hourly). At most three reminders per due questionnaire, at least the
clinic's reminder interval apart; running it twice in a row sends nothing new.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.assessments.services import reminders_send_due
from ketacare.core.commands import add_now_argument, command_now


class Command(BaseCommand):
    help = "E-mail reminders (up to three each) for due and overdue patient questionnaires."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        at = command_now(now)
        sent = reminders_send_due(at=at)
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
