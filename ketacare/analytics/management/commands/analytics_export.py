"""``ketacare analytics_export --deidentified --out DIR``: the research export (Parquet).

``--identified --by USERNAME`` writes the clinic's own identified export instead (a medical
director only; audited). ``--clinic SLUG`` (repeatable) limits it to some clinics.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.analytics import services
from ketacare.audit.services import RequestOrigin
from ketacare.core.errors import DomainError
from ketacare.core.models import Clinic, User


class Command(BaseCommand):
    help = "Export cohort tables as Parquet: de-identified (Safe Harbor) or identified."

    def add_arguments(self, parser):
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--deidentified", action="store_true", help="HIPAA Safe Harbor export")
        kind.add_argument("--identified", action="store_true", help="with identities (director)")
        parser.add_argument("--out", required=True, help="an empty or new directory")
        parser.add_argument("--clinic", action="append", default=[], help="clinic slug")
        parser.add_argument("--by", default="", help="username of the medical director")

    def handle(
        self, *args, deidentified: bool, identified: bool, out: str, clinic, by: str, **options
    ):
        clinics = (
            list(Clinic.objects.filter(slug__in=clinic)) if clinic else list(Clinic.objects.all())
        )
        unknown = sorted(set(clinic) - {c.slug for c in clinics})
        if unknown:
            raise CommandError(f"No clinic with slug {', '.join(unknown)}.")
        if not clinics:
            raise CommandError("There is no clinic to export.")
        at = timezone.now()
        try:
            if identified:
                user = User.objects.filter(username=by).first() if by else None
                if user is None:
                    raise CommandError("--identified needs --by USERNAME of a medical director.")
                origin = RequestOrigin(actor=user, actor_label=f"{user.username} (command)")
                summary = services.export_identified(
                    clinics=clinics, out_dir=out, by=user, origin=origin, at=at
                )
            else:
                origin = RequestOrigin.system("ketacare analytics_export")
                summary = services.export_deidentified(
                    clinics=clinics, out_dir=out, origin=origin, at=at
                )
        except DomainError as refused:
            raise CommandError(str(refused)) from None
        kind = "Identified" if summary.identified else "De-identified"
        counts = ", ".join(f"{table} {n}" for table, n in summary.rows.items())
        self.stdout.write(self.style.SUCCESS(f"{kind} export written to {summary.directory}"))
        self.stdout.write(f"Rows: {counts}. Data dictionary: {services.DICTIONARY_FILE}")
