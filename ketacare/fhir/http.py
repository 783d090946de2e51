"""FHIR answers: ``application/fhir+json`` bodies, and every error as an OperationOutcome.

``fhir_endpoint`` wraps each view of the server: the project's domain errors (``Forbidden``,
``NotFound``, ``Invalid``, ``BadRequest``, ``Refused``) keep their statuses, refusals (403, 404)
are recorded in the audit trail as they are for the API, missing credentials answer 401 with
``WWW-Authenticate: Bearer``, and anything unexpected a 500 OperationOutcome (logged).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ketacare.audit.refusals import audit_refusal
from ketacare.core.errors import DOMAIN_ERRORS, as_domain_error
from ketacare.fhir.access import Unauthenticated

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
logger = logging.getLogger(__name__)

# OperationOutcome issue codes (http://hl7.org/fhir/issue-type) by HTTP status.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "not-found",
    422: "processing",
    500: "exception",
}


def fhir_response(body: dict[str, Any], *, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(
    message: str, *, status: int, severity: str = "error", fields: dict[str, str] | None = None
) -> dict[str, Any]:
    """An OperationOutcome with one issue per field (or one for the message)."""
    code = ISSUE_CODES.get(status, "processing")
    issues = [
        {"severity": severity, "code": code, "diagnostics": text, "expression": [name]}
        for name, text in (fields or {}).items()
        if name and not name.startswith(("X-", "Prefer"))
    ] or [{"severity": severity, "code": code, "diagnostics": message}]
    if fields and issues[0]["diagnostics"] != message:
        issues.insert(0, {"severity": severity, "code": code, "diagnostics": message})
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(message: str, *, status: int, **headers: str) -> HttpResponse:
    return fhir_response(outcome(message, status=status), status=status, **headers)


def fhir_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A FHIR view: errors as OperationOutcomes, refusals audited. Bearer-token clients send no
    CSRF token, and every operation here that changes anything (an export's cancellation) is
    checked against the caller who owns it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Unauthenticated as missing:
            return outcome_response(
                str(missing), status=401, WWW_Authenticate='Bearer realm="fhir"'
            )
        except DOMAIN_ERRORS as raised:
            error = as_domain_error(raised)
            if error.status in (403, 404):
                audit_refusal(request, status=error.status, reason=error.message)
            body = outcome(error.message, status=error.status, fields=error.fields)
            return fhir_response(body, status=error.status)
        except PermissionDenied as refused:
            message = str(refused) or "Your role may not do this."
            audit_refusal(request, status=403, reason=message)
            return outcome_response(message, status=403)
        except Http404 as missing:
            message = str(missing) or "Not found."
            audit_refusal(request, status=404, reason=message)
            return outcome_response(message, status=404)
        except Exception:
            logger.exception("FHIR request failed: %s %s", request.method, request.path)
            return outcome_response(
                "The server could not answer this request; it has been logged.", status=500
            )

    return csrf_exempt(wrapped)
