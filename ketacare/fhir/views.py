"""The FHIR REST endpoints: ``metadata``, search (``GET /fhir/r4/<Type>``) and read
(``GET /fhir/r4/<Type>/<id>``). Each read and search of patient data is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

import ketacare
from ketacare.audit.services import audit_record
from ketacare.core.actions import audit_read
from ketacare.core.errors import NotFound
from ketacare.fhir.access import FhirCaller, caller
from ketacare.fhir.capability import capability_statement
from ketacare.fhir.http import fhir_endpoint, fhir_response, outcome, outcome_response
from ketacare.fhir.registry import ResourceType, resource_types
from ketacare.fhir.search import Page, Query, parse_query, patients_in, read_one, run

AUDITED_PATIENTS = 200  # patient ids listed in one search's audit entry (the count is exact)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4").rstrip("/")


def only_get(request: HttpRequest) -> HttpResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    return outcome_response(
        f"{request.method} is not supported: this server is read-only (GET).",
        status=405,
        Allow="GET",
    )


def resource_type_named(name: str) -> ResourceType:
    found = resource_types().get(name)
    if found is None:
        raise NotFound(f"Resource type {name!r} is not supported here (see /fhir/r4/metadata).")
    return found


def holds_patient_data(resource_type: ResourceType) -> bool:
    return resource_type.capability is not None


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement, without sign-in."""
    refused = only_get(request)
    if refused:
        return refused
    statement = capability_statement(base_url(request), software_version=ketacare.__version__)
    return fhir_response(statement)


@fhir_endpoint
def not_supported(request: HttpRequest) -> HttpResponse:
    """Any other address under the base (``_history``, compartments, a trailing slash): a 404
    OperationOutcome rather than an HTML page."""
    raise NotFound(
        f"{request.path} is not an interaction this server offers (see /fhir/r4/metadata)."
    )


@fhir_endpoint
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    refused = only_get(request)
    if refused:
        return refused
    kind = resource_type_named(resource_type)
    who = caller(request)
    who.require_read(kind)
    resource = read_one(kind, resource_id, who.build, patient_id=who.patient_id)
    if holds_patient_data(kind):
        patients = sorted(patients_in(resource))
        audit_read(
            who.act,
            object_type=f"fhir.{kind.name}",
            object_id=resource_id,
            patient_id=patients[0] if len(patients) == 1 else None,
            summary=f"FHIR read {kind.name}/{resource_id}",
        )
    return fhir_response(resource)


@fhir_endpoint
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    refused = only_get(request)
    if refused:
        return refused
    kind = resource_type_named(resource_type)
    who = caller(request)
    who.require_read(kind)
    strict = "handling=strict" in request.META.get("HTTP_PREFER", "").replace(" ", "")
    query = parse_query(kind, request.GET, strict=strict)
    page = run(kind, query, who.build, patient_id=who.patient_id, may_read=who.may_read)
    if holds_patient_data(kind):
        _audit_search(who, kind, query, page, request)
    return fhir_response(searchset(request, kind, query, page))


def _audit_search(
    who: FhirCaller, kind: ResourceType, query: Query, page: Page, request: HttpRequest
) -> None:
    patient_ids = page.patient_ids()
    act = who.act
    audit_record(
        action="view",
        object_type=f"fhir.{kind.name}",
        clinic_id=act.clinic.pk if act.clinic else None,
        patient_id=patient_ids[0] if len(patient_ids) == 1 else None,
        summary=f"FHIR search {kind.name}: {len(page.matches)} of {page.total}"
        + (f", {len(page.included)} included" if page.included else ""),
        changes={
            "query": request.GET.urlencode()[:1000],
            "patients": len(patient_ids),
            "patient_ids": patient_ids[:AUDITED_PATIENTS],
        },
        **act.stamp,
    )


def _link(request: HttpRequest, kind: ResourceType, query: Query, offset: int) -> str:
    pairs = [*query.narrowing(), ("_count", str(query.count)), ("_offset", str(offset))]
    if query.summary_count:
        pairs.append(("_summary", "count"))
    return f"{base_url(request)}/{kind.name}?{urlencode(pairs)}"


def searchset(request: HttpRequest, kind: ResourceType, query: Query, page: Page) -> dict[str, Any]:
    base = base_url(request)
    links = [{"relation": "self", "url": _link(request, kind, query, query.offset)}]
    if not query.summary_count:
        links.append({"relation": "first", "url": _link(request, kind, query, 0)})
        if query.count and query.offset + query.count < page.total:
            links.append(
                {"relation": "next", "url": _link(request, kind, query, query.offset + query.count)}
            )
        if query.offset > 0:
            previous = max(0, query.offset - max(query.count, 1))
            links.append({"relation": "previous", "url": _link(request, kind, query, previous)})
        if query.count:
            last = max(0, (page.total - 1) // query.count * query.count)
            links.append({"relation": "last", "url": _link(request, kind, query, last)})
    entries = [
        {"fullUrl": f"{base}/{kind.name}/{identifier}", "resource": resource,
         "search": {"mode": "match"}}
        for identifier, resource in page.matches
    ]
    entries += [
        {"fullUrl": f"{base}/{included_type}/{identifier}", "resource": resource,
         "search": {"mode": "include"}}
        for included_type, identifier, resource in page.included
    ]
    if query.ignored:
        note = outcome(
            f"Ignored search parameters this server does not support for {kind.name}: "
            f"{', '.join(sorted(query.ignored))}.",
            status=400,
            severity="warning",
        )
        entries.append({"resource": note, "search": {"mode": "outcome"}})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle
