"""``ketacare escalate_safety_alerts``: tell the medical director about unacknowledged alerts.

Run it from cron every few minutes. An alert still open at its escalation time (the clinic's
alert policy; set when the alert opened) is e-mailed to the medical director(s) once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.alerts.services import alerts_escalate_due
from ketacare.core.commands import add_now_argument, command_now


class Command(BaseCommand):
    help = "Escalate open alerts past their escalation time to the medical director(s)."

    def add_arguments(self, parser):
        add_now_argument(parser)

    def handle(self, *args, now: str | None = None, **options):
        at = command_now(now)
        escalated = alerts_escalate_due(now=at)
        self.stdout.write(f"Escalated {len(escalated)} alert{'s' if len(escalated) != 1 else ''}.")
        for alert in escalated:
            to = ", ".join(alert.escalated_to) or "nobody: no medical director e-mail on file"
            self.stdout.write(f"  alert {alert.pk} (patient {alert.patient.mrn}) -> {to}")
