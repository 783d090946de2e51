"""Bulk Data endpoints: kick-off (``$export``, ``Patient/$export``, ``Group/[id]/$export``), the
status endpoint the kick-off names in ``Content-Location``, and the NDJSON files.

The kick-off needs ``Prefer: respond-async``, the ``fhir.export`` capability (medical director)
and, on a token, the ``system/*.read`` scope; it answers 202 at once. The status endpoint answers
202 (with ``X-Progress`` and ``Retry-After``) while the job runs, then the manifest; ``DELETE``
cancels. Only the requester may poll, download or cancel; files expire
(``FHIR_EXPORT_TTL_HOURS``) and are then gone (404).
"""

from __future__ import annotations

import uuid

from django.http import FileResponse, HttpRequest, HttpResponse

from ketacare.audit.services import audit_record
from ketacare.core.errors import BadRequest, Forbidden, NotFound
from ketacare.core.roles import Capability
from ketacare.fhir import export
from ketacare.fhir.access import FhirCaller, caller
from ketacare.fhir.http import FHIR_NDJSON, fhir_endpoint, fhir_response, outcome
from ketacare.fhir.models import ExportJob
from ketacare.fhir.params import bad, parse_instant
from ketacare.fhir.registry import resource_types
from ketacare.fhir.resources.patients import GROUPS
from ketacare.fhir.search import instant
from ketacare.fhir.views import base_url, only_get

OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
UNSUPPORTED = ("_typeFilter", "_elements", "patient", "includeAssociatedData")
RETRY_SECONDS = 5


def _exporter(request: HttpRequest) -> FhirCaller:
    who = caller(request)
    if who.patient_id is not None:
        raise Forbidden("Bulk export is for staff; a patient reads their record by search.")
    if who.access.clinic is None or not who.access.can(Capability.FHIR_EXPORT):
        raise Forbidden(
            "Your role at this clinic may not run a bulk export (fhir.export: medical director)."
        )
    if not who.may_export:
        raise Forbidden("Bulk export needs a token with the system/*.read scope.")
    return who


def _kick_off(request: HttpRequest, level: str, group_id: str = "") -> HttpResponse:
    refused = only_get(request)
    if refused:
        return refused
    who = _exporter(request)
    if "respond-async" not in request.META.get("HTTP_PREFER", ""):
        raise BadRequest(
            "A bulk export runs in the background: send 'Prefer: respond-async'.",
            fields={"Prefer": "respond-async"},
        )
    query = request.GET
    for name in UNSUPPORTED:
        if name in query:
            raise bad(name, "is not supported by this server's bulk export.")
    output_format = query.get("_outputFormat", "application/fhir+ndjson")
    if output_format not in OUTPUT_FORMATS:
        raise bad("_outputFormat", "only application/fhir+ndjson is offered.")
    since = parse_instant("_since", query["_since"]) if query.get("_since") else None
    types = _types(who, level, query.get("_type", ""))
    job = export.export_job_create(
        access=who.access,
        origin=who.act.origin,
        level=level,
        types=types,
        since=since,
        group_id=group_id,
        request_url=request.build_absolute_uri(),
        at=who.act.at,
    )
    export.start_in_background(job)
    status_url = f"{base_url(request)}/$export-status/{job.pk}"
    body = outcome(
        f"Export of {', '.join(types)} accepted; poll {status_url}.",
        status=202,
        severity="information",
    )
    body["issue"][0]["code"] = "informational"
    return fhir_response(body, status=202, Content_Location=status_url)


def _types(who: FhirCaller, level: str, asked: str) -> list[str]:
    """The types to export: as asked (each offered and readable), or every readable type of
    the level (the patient compartment for Patient and Group exports)."""
    types = resource_types()
    offered = [
        name
        for name, kind in sorted(types.items())
        if level == ExportJob.Level.SYSTEM or kind.patient_export
    ]
    if not asked:
        return [name for name in offered if who.may_read(types[name])]
    wanted = [name.strip() for name in asked.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in offered]
    if unknown:
        raise bad("_type", f"not offered at this level: {', '.join(unknown)}.")
    refused = [name for name in wanted if not who.may_read(types[name])]
    if refused:
        raise Forbidden(f"Your role may not read {', '.join(refused)}.")
    return list(dict.fromkeys(wanted))


@fhir_endpoint
def export_system(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportJob.Level.SYSTEM)


@fhir_endpoint
def export_patients(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportJob.Level.PATIENT)


@fhir_endpoint
def export_group(request: HttpRequest, group_id: str) -> HttpResponse:
    if group_id not in GROUPS:
        raise NotFound(f"Group/{group_id} is not known here (groups: {', '.join(GROUPS)}).")
    return _kick_off(request, ExportJob.Level.GROUP, group_id)


@fhir_endpoint
def export_status(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    who = caller(request)
    at = who.act.at
    export.export_files_purge(at=at)
    if export.export_jobs_requeue_stale(at=at):
        export.start_queued_in_background()
    job = export.export_job_get(who.access, job_id)
    if request.method == "DELETE":
        export.export_job_cancel(job=job, origin=who.act.origin, at=at)
        return fhir_response(
            outcome("The export is cancelled.", status=202, severity="information"), status=202
        )
    refused = only_get(request)
    if refused:
        return refused
    if job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
        return HttpResponse(
            status=202,
            headers={"X-Progress": job.progress or job.status, "Retry-After": str(RETRY_SECONDS)},
        )
    if job.status == ExportJob.Status.FAILED:
        return fhir_response(outcome(job.error or "The export failed.", status=500), status=500)
    if job.status != ExportJob.Status.COMPLETED:
        raise NotFound(f"This export is {job.get_status_display().lower()}.")
    files = f"{base_url(request)}/$export-file/{job.pk}"
    manifest = {
        "transactionTime": instant(job.requested_at),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": out["type"], "url": f"{files}/{out['file']}", "count": out["count"]}
            for out in job.output
        ],
        "error": [],
    }
    response = fhir_response(manifest)
    response["Content-Type"] = "application/json"
    response["Expires"] = job.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@fhir_endpoint
def export_file(request: HttpRequest, job_id: uuid.UUID, name: str) -> HttpResponse:
    refused = only_get(request)
    if refused:
        return refused
    who = caller(request)
    export.export_files_purge(at=who.act.at)
    job = export.export_job_get(who.access, job_id)
    listed = {out["file"]: out for out in job.output}
    path = export.run_directory(job) / name
    if job.status != ExportJob.Status.COMPLETED or name not in listed or not path.is_file():
        raise NotFound("No such file in this export (expired files are deleted).")
    audit_record(
        origin=who.act.origin,
        action="export",
        object_type="fhir.export",
        object_id=job.pk,
        clinic_id=job.clinic_id,
        summary=f"FHIR bulk export file downloaded: {name} ({listed[name]['count']} resources)",
        at=who.act.at,
    )
    return FileResponse(path.open("rb"), content_type=FHIR_NDJSON)
