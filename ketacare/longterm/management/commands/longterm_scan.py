"""``ketacare longterm_scan``: raise the long-term safety signals the records hold, for every
patient who has had a dose or dispensing (exposure limits crossed, substance use at pre-checks,
early take-home requests, at-home doses above the order or beyond what was dispensed, ledger
corrections).

Run it from cron once a night so the prescribers' dashboard lists every open signal without
anyone opening each chart; opening a chart or the API raises them too. Running it twice raises
nothing twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.core.commands import add_now_argument, command_now
from ketacare.longterm.services import signals_scan


class Command(BaseCommand):
    help = "Raise the long-term safety signals the records hold, for every treated patient."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        patients, raised = signals_scan(at=command_now(now))
        self.stdout.write(f"Scanned {patients} patient(s); raised {raised} new signal(s).")
