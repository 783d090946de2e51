"""``ketacare due_refresh``: carry every measurement plan's stored due list forward.

Run it from cron once a night. Each plan's list reaches a week ahead of when it was stored;
this stores again the plans whose list ends within two days (and any marked stale by a change
of treatment times), so the due list and the dashboard never have to do it while someone
waits, and drops the questionnaires missed since. The pages catch up by themselves when it
does not run; it only moves that work out of the day.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.assessments.services import due_refresh
from ketacare.core.commands import add_now_argument, command_now


class Command(BaseCommand):
    help = "Store again the measurement plans whose due list is stale or about to run out."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        plans = due_refresh(at=command_now(now))
        self.stdout.write(f"Stored the due list of {plans} plan{'s' if plans != 1 else ''}.")
