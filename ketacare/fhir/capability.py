"""The CapabilityStatement (``GET /fhir/r4/metadata``), read from the registry: exactly the
types, interactions, search parameters, includes and operations the server answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketacare.fhir.registry import ResourceType, resource_types

FHIR_VERSION = "4.0.1"
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
PREFILL = "urn:ketacare:operation:prefill"  # Ketacare's own: no published definition
# When this statement last changed (a FHIR dateTime; the server's features change with releases).
PUBLISHED = dt.date(2026, 12, 3)
COMMON_SEARCH = (
    {
        "name": "_id",
        "type": "token",
        "definition": "http://hl7.org/fhir/SearchParameter/Resource-id",
        "documentation": "The resource's id.",
    },
    {
        "name": "_lastUpdated",
        "type": "date",
        "definition": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        "documentation": "When it last changed, with prefixes; types whose records keep no "
        "such time (CarePlan, Appointment, MedicationRequest, the directory) are not narrowed "
        "by it.",
    },
)


def _resource(resource_type: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": resource_type.name,
        "documentation": resource_type.description,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [*COMMON_SEARCH, *(p.as_capability() for p in resource_type.params)],
    }
    if resource_type.profiles:
        entry["supportedProfile"] = list(resource_type.profiles)
    if resource_type.includes:
        entry["searchInclude"] = [
            f"{resource_type.name}:{include.param}" for include in resource_type.includes
        ]
    if resource_type.operations:
        entry["operation"] = [
            {"name": name, "definition": definition}
            for name, definition in resource_type.operations
        ]
    return entry


def capability_statement(base_url: str, *, software_version: str) -> dict[str, Any]:
    types = sorted(resource_types().values(), key=lambda r: r.name)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED.isoformat(),
        "publisher": "Ketacare",
        "kind": "instance",
        "instantiates": [BULK_DATA],
        "software": {"name": "Ketacare", "version": software_version},
        "implementation": {
            "description": "Ketacare FHIR R4 server: the clinic's record, read and search, "
            "bulk export, and a registration pre-fill from a Bundle",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read and search (resources are not written; $prefill makes "
                "a draft for staff). Results come in pages (_count, at most "
                "1000; next/previous links); _include as listed per type; unknown parameters "
                "are ignored and reported unless the request says Prefer: handling=strict.",
                "security": {
                    "cors": False,
                    "description": "Bearer tokens (Authorization: Bearer <token>) issued with "
                    "'ketacare api_token issue' carrying the SMART scopes user/*.read, "
                    "system/*.read (also bulk export) or patient/*.read (a patient's own "
                    "token). X-Ketacare-Clinic: <id> picks the clinic. Roles apply: a type "
                    "the role may not read answers 403.",
                },
                "resource": [_resource(r) for r in types],
                "operation": [
                    {"name": "export", "definition": EXPORT},
                    {
                        "name": "prefill",
                        "definition": PREFILL,
                        "documentation": "POST a Bundle of one Patient with Conditions, "
                        "MedicationStatements and AllergyIntolerances: a registration draft "
                        "for staff to review (nothing saved until they confirm); needs a token "
                        "with the write scope.",
                    },
                ],
            }
        ],
    }
