"""``ketacare send_appointment_reminders``: e-mail and text patients about coming appointments.

Run it from a scheduler every 5 to 15 minutes (docs/deployment.md has the cron line and a
systemd timer). It sends each reminder that has come due (the clinic sets the hours, e.g. 48 h
and 2 h before) once, and expires unanswered waitlist offers, offering their time to the next
patient. ``--dry-run`` lists what would be sent and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.core.commands import add_now_argument, command_now
from ketacare.scheduling.reminders import reminders_send
from ketacare.scheduling.waitlist import offers_expire


class Command(BaseCommand):
    help = "Send due appointment reminders (e-mail, SMS) and expire unanswered waitlist offers."

    def add_arguments(self, parser):
        add_now_argument(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be sent; send nothing."
        )

    def handle(self, *args, now: str | None = None, dry_run: bool = False, **options):
        at = command_now(now)
        due = reminders_send(at=at, dry_run=dry_run)
        for item in due:
            appointment = item.appointment
            local = appointment.starts_at.astimezone(appointment.clinic.zone)
            self.stdout.write(
                f"{'Would send' if dry_run else 'Sent'} {item.hours} h reminder by "
                f"{item.channel} to {appointment.patient.mrn} for {local:%Y-%m-%d %H:%M %Z}"
            )
        if dry_run:
            self.stdout.write(f"Dry run: {len(due)} reminder{'s' if len(due) != 1 else ''} due.")
            return
        expired = offers_expire(at=at)
        self.stdout.write(
            f"Sent {len(due)} reminder{'s' if len(due) != 1 else ''}; "
            f"{expired} waitlist offer{'s' if expired != 1 else ''} expired."
        )
