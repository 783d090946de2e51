"""FHIR Bulk Data export: create a job at kick-off, run it outside the request, serve its NDJSON
files until they expire.

``export_job_create`` records what was asked and returns at once; ``export_job_run`` does the
work: it claims a queued job (one runner per job, even with several workers), writes one
``<Type>.ndjson`` file per resource type under ``FHIR_EXPORT_DIR/<job id>/`` through the same
sources and builders as search (a few queries per 500 rows), and records the files and counts.
In normal serving the kick-off starts it in a background thread after the request's transaction
commits (``FHIR_EXPORT_IN_THREAD``); ``ketacare fhir_export run`` runs queued jobs from the
command line instead (and tests call ``export_job_run`` directly). ``export_files_purge``
deletes the files of jobs past ``expires_at``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.access import Access, access_for
from ketacare.core.errors import Forbidden, NotFound
from ketacare.core.roles import Capability
from ketacare.fhir.model import conformed
from ketacare.fhir.models import ExportJob
from ketacare.fhir.registry import ResourceType, resource_types
from ketacare.fhir.resources.patients import group_members
from ketacare.fhir.search import built
from ketacare.fhir.sources import Build, Resource, Source, expanded_items, narrowed, page_rows

logger = logging.getLogger(__name__)
CHUNK_ROWS = 500
Clock = Callable[[], dt.datetime]


# A run that has not written a chunk for this long is taken as dead (its worker was stopped or
# recycled) and queued again: an operational bound, far above the time one chunk takes.
STALE_AFTER = dt.timedelta(minutes=10)


class Superseded(Exception):
    """This run was declared stale and another run took the job over."""


def job_directory(job: ExportJob) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job.id)


def run_directory(job: ExportJob) -> Path:
    """Where the current run of ``job`` writes (and its finished files are served from)."""
    return job_directory(job) / str(job.attempt)


def export_job_create(
    *,
    access: Access,
    origin: RequestOrigin,
    level: str,
    types: list[str],
    since: dt.datetime | None,
    group_id: str,
    request_url: str,
    at: dt.datetime,
) -> ExportJob:
    """Queue an export of ``types`` at the clinic in use, audited as an export."""
    assert access.clinic is not None and access.user is not None
    job = ExportJob.objects.create(
        clinic=access.clinic,
        requested_by=access.user,
        level=level,
        group_id=group_id,
        types=types,
        since=since,
        request_url=request_url[:2000],
        requested_at=at,
    )
    audit_record(
        origin=origin,
        action="export",
        object_type="fhir.export",
        object_id=job.pk,
        clinic_id=access.clinic.pk,
        summary=f"FHIR bulk export requested ({level}: {', '.join(types)})"
        + (f" since {since.isoformat()}" if since else ""),
        changes={"level": level, "types": types, "group": group_id, "request": request_url},
        at=at,
    )
    return job


def export_job_get(access: Access, job_id: uuid.UUID) -> ExportJob:
    """The caller's own export job at this clinic (anyone else's is not found)."""
    job = ExportJob.objects.filter(
        pk=job_id, clinic_id=getattr(access.clinic, "pk", None), requested_by_id=access.user.pk
    ).first()
    if job is None:
        raise NotFound("No such export of yours at this clinic.")
    return job


def start_in_background(job: ExportJob) -> None:
    """Run the job in a thread once the kick-off's transaction has committed."""
    if not settings.FHIR_EXPORT_IN_THREAD:
        return
    job_id = job.pk

    def run() -> None:
        try:
            export_job_run(job_id=job_id)
        finally:
            connection.close()  # the thread's own connection

    transaction.on_commit(
        lambda: threading.Thread(target=run, name=f"fhir-export-{job_id}", daemon=True).start()
    )


def start_queued_in_background() -> None:
    """Start a runner for every queued job (after a stalled run was queued again)."""
    for job in ExportJob.objects.filter(status=ExportJob.Status.QUEUED):
        start_in_background(job)


def _claim(job_id: uuid.UUID, at: dt.datetime) -> ExportJob | None:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=at, heartbeat_at=at, progress="started",
        attempt=F("attempt") + 1,
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related("clinic", "requested_by").get(pk=job_id)


def export_job_run(*, job_id: uuid.UUID, clock: Clock = timezone.now) -> ExportJob | None:
    """Run one queued job to the end (or to a recorded failure); None when another runner has
    it already. The requester's roles are checked again: a role lost since the kick-off ends
    the job as failed."""
    job = _claim(job_id, clock())
    if job is None:
        return None
    directory = run_directory(job)
    this_run = ExportJob.objects.filter(
        pk=job.pk, status=ExportJob.Status.RUNNING, attempt=job.attempt
    )

    def beat(progress: str | None = None) -> None:
        fields = {"heartbeat_at": clock()} | ({"progress": progress} if progress else {})
        if not this_run.update(**fields):
            raise Superseded  # cancelled, or declared stale and run again

    try:
        access = access_for(job.requested_by, clinic_id=job.clinic_id)
        if access.clinic is None or access.clinic.pk != job.clinic_id or not access.can(
            Capability.FHIR_EXPORT
        ):
            raise Forbidden("The requester no longer holds the role that may export.")
        build = Build(access=access, now=clock())
        directory.mkdir(parents=True, exist_ok=True)
        output = []
        types = resource_types()
        for name in job.types:
            beat(f"exporting {name}")
            count = _write(directory / f"{name}.ndjson", _resources(types[name], job, build), beat)
            if count:
                output.append({"type": name, "file": f"{name}.ndjson", "count": count})
            else:
                (directory / f"{name}.ndjson").unlink(missing_ok=True)
        finished = clock()
        this_run.update(
            status=ExportJob.Status.COMPLETED,
            finished_at=finished,
            expires_at=finished + dt.timedelta(hours=settings.FHIR_EXPORT_TTL_HOURS),
            output=output,
            progress="done",
        )
    except Superseded:
        shutil.rmtree(directory, ignore_errors=True)
    except Exception as error:
        logger.exception("FHIR export %s failed", job.pk)
        shutil.rmtree(directory, ignore_errors=True)
        message = str(error) if isinstance(error, Forbidden) else "The export failed; see the log."
        this_run.update(
            status=ExportJob.Status.FAILED, finished_at=clock(), error=message, progress=""
        )
    return ExportJob.objects.get(pk=job.pk)


def _resources(resource_type: ResourceType, job: ExportJob, build: Build) -> Iterator[Resource]:
    members = (
        group_members(build.access, job.group_id or "all")
        if job.level != ExportJob.Level.SYSTEM
        else None
    )
    for source in resource_type.sources:
        rows, left = narrowed(source, [], build, since=job.since)
        if rows is None:
            continue
        if members is not None:
            if source.patient is None:
                continue
            rows = rows.filter(**{f"{source.patient}__in": members})
        yield from _source_resources(source, rows, left, build)


def _source_resources(source: Source, rows, left, build: Build) -> Iterator[Resource]:
    if source.expand is not None:
        for _, resource in expanded_items(source, rows, left, build):
            yield conformed(resource)
        return
    ordered = page_rows(rows, source)
    start = 0
    while True:
        chunk = list(ordered[start : start + CHUNK_ROWS])
        for row in chunk:
            yield built(source, row, build)[1]
        if len(chunk) < CHUNK_ROWS:
            return
        start += CHUNK_ROWS


def _write(path: Path, resources: Iterator[Resource], beat: Callable[[], None]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for resource in resources:
            out.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False))
            out.write("\n")
            count += 1
            if count % CHUNK_ROWS == 0:
                beat()
    return count


def export_jobs_requeue_stale(*, at: dt.datetime) -> list[uuid.UUID]:
    """Queue again the running jobs whose run stopped beating (a stopped or recycled worker);
    a late beat of the old run finds itself superseded and stops."""
    stale = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, heartbeat_at__lt=at - STALE_AFTER
    )
    ids = list(stale.values_list("pk", flat=True))
    ExportJob.objects.filter(pk__in=ids, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.QUEUED, progress="queued again after a stalled run"
    )
    for job_id in ids:
        logger.warning("FHIR export %s stalled; queued again", job_id)
    return ids


def export_job_cancel(*, job: ExportJob, origin: RequestOrigin, at: dt.datetime) -> ExportJob:
    """Stop a job (a running one stops before its next type) and delete its files."""
    ExportJob.objects.filter(pk=job.pk).exclude(
        status__in=(ExportJob.Status.CANCELLED, ExportJob.Status.EXPIRED)
    ).update(status=ExportJob.Status.CANCELLED, finished_at=at, progress="")
    shutil.rmtree(job_directory(job), ignore_errors=True)
    audit_record(
        origin=origin,
        action="update",
        object_type="fhir.export",
        object_id=job.pk,
        clinic_id=job.clinic_id,
        summary="FHIR bulk export cancelled; its files deleted",
        at=at,
    )
    return ExportJob.objects.get(pk=job.pk)


def export_files_purge(*, at: dt.datetime) -> int:
    """Delete the files of completed jobs past their expiry; the rows stay, marked expired."""
    expired = list(
        ExportJob.objects.filter(status=ExportJob.Status.COMPLETED, expires_at__lte=at)
    )
    for job in expired:
        shutil.rmtree(job_directory(job), ignore_errors=True)
    ExportJob.objects.filter(pk__in=[job.pk for job in expired]).update(
        status=ExportJob.Status.EXPIRED
    )
    return len(expired)


def queued_jobs() -> list[uuid.UUID]:
    return list(
        ExportJob.objects.filter(status=ExportJob.Status.QUEUED)
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )
