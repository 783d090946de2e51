"""``ketacare audit_verify``: check every chain's seals and links, its head and the anchors.

Exits non-zero and lists every break. ``--anchors FILE`` checks against a copy of the anchors
(for example one kept on another machine) instead of ``AUDIT_ANCHOR_PATH``.
``--accept-rollback REASON`` acknowledges, after an older backup was restored on purpose, that
the chains now continue from the restored heads (a signed line in the anchors file).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ketacare.audit.anchors import anchor_path
from ketacare.audit.services import acknowledge_rollback
from ketacare.audit.verify import VerifyReport, verify_trail


def write_report(command: BaseCommand, report: VerifyReport) -> None:
    for note in report.notes:
        command.stdout.write(f"note: {note}")
    for item in report.breaks:
        command.stderr.write(str(item))


class Command(BaseCommand):
    help = "Verify the audit trail (seals, links, heads, anchors); lists every break."

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors",
            action="append",
            type=Path,
            help="Anchor file(s) to check against (default: AUDIT_ANCHOR_PATH).",
        )
        parser.add_argument(
            "--accept-rollback",
            metavar="REASON",
            help="After restoring an older backup on purpose: continue the trail from the "
            "restored heads (recorded, signed, in the anchors file).",
        )

    def handle(self, *args, anchors: list[Path] | None, accept_rollback: str | None, **options):
        paths = anchors or [anchor_path()]
        report = verify_trail(anchor_paths=paths)
        if accept_rollback and report.breaks:
            if not report.only_rollback:
                write_report(self, report)
                raise CommandError(
                    "Refused: the trail has breaks other than a rollback; investigate them first."
                )
            acknowledge_rollback(reason=accept_rollback, origin_label="ketacare audit_verify")
            report = verify_trail(anchor_paths=paths)
        write_report(self, report)
        if report.breaks:
            raise CommandError(
                f"The audit trail is broken in {len(report.breaks)} place(s) "
                f"({report.entries} entries, {report.chains} chains)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.entries} entries in {report.chains} chains "
                f"verified against {report.anchor_lines} anchor lines."
            )
        )
