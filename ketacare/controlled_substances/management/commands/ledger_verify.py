from django.core.management.base import BaseCommand, CommandError

from ketacare.controlled_substances.models import LedgerEntry, LedgerHead
from ketacare.controlled_substances.services import ledger_check
from ketacare.core.models import Clinic


class Command(BaseCommand):
    help = (
        "Verify every clinic's controlled-substance ledger: recompute each balance from the "
        "entries and check the hash chain; exits non-zero naming the first inconsistency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="Only this clinic (its slug).")

    def handle(self, *args, clinic=None, **options):
        clinics = Clinic.objects.order_by("pk")
        if clinic:
            clinics = clinics.filter(slug=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic with the slug {clinic!r}")
        with_ledger = set(LedgerEntry.objects.values_list("clinic_id", flat=True).distinct())
        with_ledger |= set(LedgerHead.objects.values_list("clinic_id", flat=True))
        total = 0
        for row in clinics:
            if row.pk not in with_ledger:
                continue
            first = next(ledger_check(row.pk), None)
            if first is not None:
                raise CommandError(f"{row.name} ({row.slug}): {first}")
            count = LedgerEntry.objects.filter(clinic=row).count()
            total += count
            self.stdout.write(
                f"{row.name}: {count} entries, every balance recomputed, chain intact"
            )
        self.stdout.write(self.style.SUCCESS(f"Ledger verified: {total} entries."))
