from django.core.management.base import BaseCommand, CommandError

from ketacare.audit.models import AuditEntry
from ketacare.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero and lists every break."

    def handle(self, *args, **options):
        breaks = list(audit_verify_chain())
        total = AuditEntry.objects.count()
        if breaks:
            for item in breaks:
                self.stderr.write(f"entry {item.sequence}: {item.problem}")
            raise CommandError(f"The audit chain is broken in {len(breaks)} place(s) of {total}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} entries verified."))
