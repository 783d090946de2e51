"""``ketacare backup FILE``: a consistent copy of the whole database, safe while serving.

SQLite through its online backup API, PostgreSQL through ``pg_dump --format=custom``; a manifest
(``FILE.json``: engine, time, size, SHA-256) is written beside it. See docs/deployment.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.backup import database_backup
from ketacare.core.commands import add_now_argument, command_now
from ketacare.core.errors import DomainError


class Command(BaseCommand):
    help = "Back up the whole database to FILE (with FILE.json, its manifest)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        add_now_argument(parser)

    def handle(self, *args, file: Path, **options):
        at = command_now(options.get("now"))
        # Recorded first, so that the backup holds its own entry: restoring it right away is
        # then no rollback.
        audit_record(
            origin=RequestOrigin.system("ketacare backup"),
            action="export",
            object_type="database",
            summary=f"Database backup to {file.name}",
            changes={"file": str(file.resolve())},
            at=at,
        )
        try:
            manifest = database_backup(file, at=at)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up to {file} ({manifest.size_bytes:,} bytes, sha256 {manifest.sha256})."
            )
        )
