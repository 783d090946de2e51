"""``ketacare escalate_safety_alerts``: tell the medical director about unacknowledged alerts.

Run it from cron every few minutes. An alert still open at its escalation time (the clinic's
alert policy; set when the alert opened) is e-mailed to the medical director(s) once.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.alerts.services import alerts_escalate_due


class Command(BaseCommand):
    help = "Escalate open alerts past their escalation time to the medical director(s)."

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
        escalated = alerts_escalate_due(now=at or timezone.now())
        self.stdout.write(f"Escalated {len(escalated)} alert{'s' if len(escalated) != 1 else ''}.")
        for alert in escalated:
            to = ", ".join(alert.escalated_to) or "nobody: no medical director e-mail on file"
            self.stdout.write(f"  alert {alert.pk} (patient {alert.patient.mrn}) -> {to}")
