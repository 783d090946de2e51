"""Retries never write twice: ``Idempotency-Key`` on every POST, and one-time tokens in forms.

For every app, without code of its own:

- **API** (any POST with an ``Idempotency-Key`` header): the first request runs and its answer is
  kept for a day; the same caller sending the same key with the same method, path and body gets
  that answer again (``Idempotent-Replayed: true``) and nothing is written twice. The same key
  with a different request answers 422. Answers that depend on the moment (401, 403, 429, 5xx)
  are not kept, so a retry runs again.
- **Pages**: ``{% csrf_token %}`` also renders a hidden ``form_token``, new at every render
  (``ketacare.core.templatetags.form_token``), and a POST carrying one is treated the same way
  when it wrote something: a double click replays the first answer (usually the redirect)
  instead of saving twice. A form that only previews (writes nothing) can be sent again.

A request and its record are one transaction: a concurrent duplicate waits on the record's
unique key until the first commits, then replays it; if the first fails (5xx) everything it did
is rolled back and the duplicate runs. The caller is the bearer token or the signed-in session
(never an anonymous request), so one caller can never replay another's answer; a session's CSRF
token is checked before any answer is replayed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from ketacare.core.errors import Invalid
from ketacare.core.models import IdempotencyRecord
from ketacare.core.request_guard import is_api, refusal_response
from ketacare.core.templatetags.form_token import FORM_TOKEN_FIELD

HEADER = "HTTP_IDEMPOTENCY_KEY"
KEPT_FOR = dt.timedelta(hours=24)
NOT_KEPT = frozenset({401, 403, 407, 408, 429})
REPLAYED_HEADERS = (
    "Location",
    "Content-Disposition",
    "HX-Redirect",
    "HX-Location",
    "HX-Refresh",
    "HX-Trigger",
    "HX-Retarget",
    "HX-Reswap",
)
# Statements that do not make a form "written": the record itself, audit entries of a read.
_BOOKKEEPING = ('"core_idempotencyrecord"', '"audit_auditentry"', '"audit_auditchainhead"')
_IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken", FORM_TOKEN_FIELD})
_purged_at = 0.0


def _principal(request: HttpRequest) -> str | None:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization[:7].lower() == "bearer ":
        return "token:" + hashlib.sha256(authorization[7:].strip().encode()).hexdigest()
    user = getattr(request, "user", None)
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and user.is_authenticated and session_key:
        return "session:" + hashlib.sha256(session_key.encode()).hexdigest()
    return None


def _csrf_passes(request: HttpRequest) -> bool:
    """The session's CSRF check, run before anything is replayed to it (the view checks again)."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, _checked, (), {}) is None


def _checked(request):  # stands in for the view while the CSRF check runs
    return None


def _body_fingerprint(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            return json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            return request.body.decode("utf-8", "replace")
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = sorted(
            (name, value)
            for name, values in request.POST.lists()
            if name not in _IGNORED_FIELDS
            for value in values
        )
        files = []
        for name, upload in sorted(request.FILES.items()):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            files.append((name, upload.name, upload.size, digest.hexdigest()))
        return json.dumps([fields, files])
    return request.body.decode("utf-8", "replace")


def fingerprint(request: HttpRequest) -> str:
    parts = [request.method, request.path, request.META.get("QUERY_STRING", "")]
    return hashlib.sha256("\n".join([*parts, _body_fingerprint(request)]).encode()).hexdigest()


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and key.isascii() and key.isprintable()


def _claim(principal: str, key: str, print_: str) -> tuple[IdempotencyRecord, bool]:
    """Insert the record, or (after waiting for whoever inserted it first) read theirs."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                principal=principal, key=key, fingerprint=print_, created_at=timezone.now()
            )
            return record, True
    except IntegrityError:
        record = IdempotencyRecord.objects.select_for_update().get(principal=principal, key=key)
        return record, False


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type or None
    )
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _keep(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.status = response.status_code
    record.content_type = response.get("Content-Type", "")
    record.headers = {
        name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
    }
    record.body = response.content
    record.save(update_fields=["status", "content_type", "headers", "body"])


class _WriteCounter:
    """Counts the statements of the request that change data (bookkeeping left out)."""

    def __init__(self) -> None:
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip()[:120]
        if head[:6].upper() in ("INSERT", "UPDATE", "DELETE") and not any(
            table in head for table in _BOOKKEEPING
        ):
            self.writes += 1
        return execute(sql, params, many, context)


def _purge_expired() -> None:
    """Drop kept answers older than a day (at most once a minute per process)."""
    global _purged_at
    if time.monotonic() - _purged_at < 60:
        return
    _purged_at = time.monotonic()
    IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()


class IdempotencyMiddleware:
    """Replays the first answer to a repeated POST (see the module's description)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        header_key = request.META.get(HEADER)
        key = header_key if header_key is not None else request.POST.get(FORM_TOKEN_FIELD)
        principal = _principal(request) if key is not None else None
        if principal is None or (principal.startswith("session:") and not _csrf_passes(request)):
            return self.get_response(request)
        if not _valid_key(key):
            name = "Idempotency-Key" if header_key is not None else FORM_TOKEN_FIELD
            message = f"{name} must be 1 to 255 visible ASCII characters."
            return refusal_response(request, Invalid(message, fields={name: message}))
        return self._once(request, principal, key, always_keep=header_key is not None)

    def _once(self, request, principal: str, key: str, *, always_keep: bool) -> HttpResponse:
        print_ = fingerprint(request)
        _purge_expired()
        with transaction.atomic():
            record, created = _claim(principal, key, print_)
            if not created:
                if record.fingerprint != print_:
                    return refusal_response(request, _reused(request))
                return _replay(record)
            counter = _WriteCounter()
            with connection.execute_wrapper(counter):
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # the duplicate, when it comes, runs afresh
            elif (
                response.status_code in NOT_KEPT
                or response.streaming
                or not (always_keep or counter.writes)
            ):
                record.delete()
            else:
                _keep(record, response)
        return response


def _reused(request: HttpRequest) -> Invalid:
    if is_api(request):
        message = (
            "This Idempotency-Key was already used for a different request (another body or "
            "path); use a new key for a new request."
        )
        return Invalid(message, fields={"Idempotency-Key": message})
    message = "This form was already sent with other values. Reload the page to send it again."
    return Invalid(message, fields={FORM_TOKEN_FIELD: message})
