"""``ketacare fhir_export run`` runs the queued FHIR bulk exports (for deployments that run them
from a timer or a worker rather than in the web server's threads); ``ketacare fhir_export purge``
deletes the files of expired exports; ``ketacare fhir_export list`` shows recent jobs."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from ketacare.fhir.export import (
    export_files_purge,
    export_job_run,
    export_jobs_requeue_stale,
    queued_jobs,
)
from ketacare.fhir.models import ExportJob


class Command(BaseCommand):
    help = "Run queued FHIR bulk exports, purge expired export files, or list recent exports."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run", "purge", "list"])

    def handle(self, *args, action: str, **options):
        if action == "list":
            for job in ExportJob.objects.select_related("requested_by")[:50]:
                self.stdout.write(
                    f"{job.pk}\t{job.status}\t{job.level}\t{job.requested_by.username}\t"
                    f"{job.requested_at:%Y-%m-%d %H:%M}\t{','.join(job.types)}"
                )
            return
        purged = export_files_purge(at=timezone.now())
        if action == "purge":
            self.stdout.write(f"Deleted the files of {purged} expired export(s).")
            return
        export_jobs_requeue_stale(at=timezone.now())
        for job_id in queued_jobs():
            job = export_job_run(job_id=job_id)
            if job is not None:
                self.stdout.write(f"{job.pk}: {job.status} {job.error}".rstrip())
