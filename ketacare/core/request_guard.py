"""Requests no view should see, refused the same way for every app; no response is cached.

``RequestGuardMiddleware`` runs before any view (and before CSRF reads a form) and answers:

- **413** when the body is larger than ``REQUEST_MAX_BYTES`` (``Content-Length``), before it is
  read;
- **422** when text contains a NUL character (``\\u0000``, ``%00``) in the query string, a form
  field or a JSON body: PostgreSQL cannot store one;
- **422** when a number is too large for the database: a JSON integer, or a page number or id in
  the query string, beyond 2^63 − 1;
- **422** when an API body is JSON but not an object (a list, a bare number);

as JSON on the API (``{"detail", "fields", "details"}``, like every other error) and as the error
page elsewhere. On the way out it marks every response ``Cache-Control: no-store`` (with
``private, no-cache, must-revalidate, max-age=0``): pages and API answers carry patient data, and
neither the browser nor a proxy may keep them. Static files never reach this middleware
(WhiteNoise answers them first, cached for a year under hashed names).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from ketacare.core.errors import DomainError, Invalid, NotFound
from ketacare.core.pages import error_page

MAX_BIGINT = 2**63 - 1
# Query parameters that name a page or a record: a huge number there is a wrong number.
NUMBER_PARAMETERS = frozenset({"page", "page_size", "limit", "offset", "per_page"})
_SUSPICIOUS_JSON = re.compile(rb"\\u0000|\x00|\d{19}")
NUL_MESSAGE = "Text may not contain NUL characters (\\u0000); remove them and send it again."


class TooLarge(DomainError):
    """The request body is over the limit (HTTP 413)."""

    status = 413


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refusal_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The error as the API's JSON body or as the error page, by where the request went."""
    if is_api(request):
        body = {"detail": error.message, "fields": error.fields, "details": error.details}
        return JsonResponse(body, status=error.status)
    return error_page(request, error)


def _too_large(request: HttpRequest) -> TooLarge | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django treats an unreadable length as an empty body
    limit = settings.REQUEST_MAX_BYTES
    if length <= limit:
        return None
    return TooLarge(
        f"The request is too large ({length / 1_000_000:.1f} MB); the limit is "
        f"{limit / 1_000_000:.1f} MB.",
        details={"limit_bytes": limit, "content_length": length},
    )


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every key and leaf of a JSON document with its dotted path (list items by index)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, value


def _problem(value: Any) -> str | None:
    if isinstance(value, str) and "\x00" in value:
        return NUL_MESSAGE
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_BIGINT:
        return f"This number is too large; the largest accepted is {MAX_BIGINT}."
    return None


def _json_problems(request: HttpRequest) -> dict[str, str]:
    body = request.body
    if not _SUSPICIOUS_JSON.search(body):
        return {}
    try:
        document = json.loads(body)
    except ValueError:
        return {}  # malformed JSON: the API's own validation answers it
    return {
        path or "body": message for path, value in _walk(document) if (message := _problem(value))
    }


def _form_problems(request: HttpRequest) -> dict[str, str]:
    problems = {}
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for source in sources:
        for name, values in source.lists():
            for value in values:
                if "\x00" in value or "\x00" in name:
                    problems[name] = NUL_MESSAGE
                elif (name in NUMBER_PARAMETERS or name.endswith("id")) and _huge(value):
                    problems[name] = f"{name} is too large; the largest accepted is {MAX_BIGINT}."
    return problems


def _huge(value: str) -> bool:
    digits = value.strip().lstrip("+-")
    return digits.isascii() and digits.isdigit() and int(digits) > MAX_BIGINT


def _not_an_object(request: HttpRequest) -> Invalid | None:
    """Every API operation takes a JSON object (or nothing): a list or a bare value is refused
    before a view could read it as something else."""
    start = request.body.lstrip()[:4]
    if not start or start == b"null" or start.startswith(b"{"):
        return None
    message = "The body must be a JSON object ({...}) with the fields this operation takes."
    return Invalid(message, fields={"body": message})


def _invalid_input(request: HttpRequest) -> Invalid | None:
    problems = _form_problems(request)
    if request.content_type == "application/json" and request.method in ("POST", "PUT", "PATCH"):
        if is_api(request) and (wrong_shape := _not_an_object(request)):
            return wrong_shape
        problems |= _json_problems(request)
    if not problems:
        return None
    first = next(iter(problems.values()))
    named = ", ".join(problems)
    return Invalid(f"{first} ({named})", fields=problems)


class RequestGuardMiddleware:
    """Refuses oversized, NUL-carrying and out-of-range requests; marks responses no-store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        error = _too_large(request) or _invalid_input(request)
        response = refusal_response(request, error) if error else self.get_response(request)
        add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """An id in the path beyond the database's range names no record: 404, not a crash."""
        for value in (*view_args, *view_kwargs.values()):
            too_large = abs(value) > MAX_BIGINT if isinstance(value, int) else None
            if too_large or (isinstance(value, str) and _huge(value)):
                if is_api(request):
                    return refusal_response(request, NotFound("No such record."))
                raise Http404("No such record.")
        return None
