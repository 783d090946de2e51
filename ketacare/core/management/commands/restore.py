"""``ketacare restore FILE --yes``: replace the whole database with a backup, then prove it.

After restoring it verifies the audit trail against its anchors (outside the database) and,
where the controlled-substance ledger is installed, runs ``ledger_verify``. A backup older than
the newest anchors is a rollback: the entries written since are gone. The command then exits
non-zero until the rollback is acknowledged (``--accept-rollback REASON`` here, or
``ketacare audit_verify --accept-rollback REASON``). See docs/deployment.md.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from ketacare.audit.services import RequestOrigin, acknowledge_rollback, audit_record
from ketacare.audit.verify import VerifyReport, verify_trail
from ketacare.core.backup import check_backup, database_restore
from ketacare.core.commands import add_now_argument, command_now
from ketacare.core.errors import DomainError


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by 'ketacare backup', then verify it."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="Really replace everything in the database."
        )
        parser.add_argument(
            "--accept-rollback",
            metavar="REASON",
            help="The backup is older than the audit anchors on purpose: continue the audit "
            "trail from it (recorded, signed, in the anchors file and the trail).",
        )
        add_now_argument(parser)

    def handle(self, *args, file: Path, yes: bool, accept_rollback: str | None, **options):
        at = command_now(options.get("now"))
        try:
            manifest = check_backup(file)
            if not yes:
                raise CommandError(
                    "This replaces everything in the database with the backup. Stop the "
                    "server, then run again with --yes."
                )
            database_restore(file)
        except DomainError as error:
            raise CommandError(error.message) from None
        made = f"made {manifest.created_at}" if manifest else "without a manifest"
        self.stdout.write(f"Restored {file} ({made}).")
        report = verify_trail()
        if accept_rollback and report.only_rollback:
            acknowledge_rollback(reason=accept_rollback, origin_label="ketacare restore")
            report = verify_trail()
        audit_record(
            origin=RequestOrigin.system("ketacare restore"),
            action="update",
            object_type="database",
            summary=f"Database restored from a backup ({made})"[:300],
            changes={"file": str(file.resolve()), "audit_breaks": len(report.breaks)},
            at=at,
        )
        self._ledger()
        self._judge(report)

    def _ledger(self) -> None:
        if "ledger_verify" not in get_commands():
            return
        out = io.StringIO()
        try:
            call_command("ledger_verify", stdout=out)
        except CommandError as error:
            raise CommandError(
                f"Restored, but the controlled-substance ledger is not: {error}"
            ) from None
        self.stdout.write(out.getvalue().strip().splitlines()[-1])

    def _judge(self, report: VerifyReport) -> None:
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        if report.only_rollback:
            for item in report.breaks:
                self.stderr.write(str(item))
            raise CommandError(
                "Restored, but this backup is older than the audit anchors: what was recorded "
                "after it is gone (a rollback, not the real history). If that is intended, run "
                "'ketacare audit_verify --accept-rollback REASON' before serving again."
            )
        if report.breaks:
            for item in report.breaks:
                self.stderr.write(str(item))
            raise CommandError(
                f"Restored, but the audit trail is broken in {len(report.breaks)} place(s): do "
                "not serve from it; investigate (docs/deployment.md, section 7)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.entries} entries in {report.chains} chains, "
                "consistent with the anchors."
            )
        )
