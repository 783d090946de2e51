"""What every operation can answer, whatever its app: documented once in the OpenAPI document.

Authentication (401), ``X-Ketacare-Clinic`` (400, 403), token scopes and roles (403), the request
guard (422 for NUL characters and numbers past 2^63, 413 for a body over the limit, 404 for an
id in the path past 2^63) and ``Idempotency-Key`` (422 when reused for another request) apply to
every operation before its own code runs, so ``ketacare.config.api`` adds them here to every
operation, with the two headers, instead of each app repeating them.
"""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
SHARED = {
    "400": "The request is malformed (X-Ketacare-Clinic that is not a clinic id).",
    "401": "No valid credentials: a bearer token (unexpired, not revoked) or a signed-in session.",
    "403": "The role at this clinic, or the token's scopes, do not allow it; or no role at the "
    "clinic named by X-Ketacare-Clinic.",
    "404": "No such record in the caller's clinic.",
    "422": "The input cannot be accepted as given; one message per field.",
}
TOO_LARGE = "The request body is larger than the server accepts (REQUEST_MAX_MB)."
CLINIC_HEADER = {
    "name": "X-Ketacare-Clinic",
    "in": "header",
    "required": False,
    "description": "The id of the clinic to act in (one where the caller holds a role).",
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key with the same request to have it run once: a repeat gets "
    "the first answer again (Idempotent-Replayed: true); the key with another request is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document_shared_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Add the shared answers and headers to every operation of ``document`` (in place)."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in SHARED.items():
                responses.setdefault(status, _error(description))
            if "requestBody" in operation:
                responses.setdefault("413", _error(TOO_LARGE))
            parameters = operation.setdefault("parameters", [])
            names = {p.get("name") for p in parameters}
            extra = [CLINIC_HEADER] + ([IDEMPOTENCY_HEADER] if method == "post" else [])
            parameters.extend(dict(p) for p in extra if p["name"] not in names)
    return document
