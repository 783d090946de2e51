"""Reads of one request are appended to the audit trail together, in one transaction.

A page shows several apps' panels and each records its read (the chart: the chart, long-term
safety, outcomes…). Appended one by one, each read is its own transaction: a commit, a lock of
the clinic's chain head and an anchor line each, on the way to every page. ``AuditReadBatch``
middleware holds a request's reads and appends them in one transaction once the view has
answered and before the answer leaves: a read is never served without its entry (a failed append
turns the answer into a server error), and nothing is deferred past the request. Writes are
never held: they are appended inside their own transaction, as before.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.db import transaction

from ketacare.audit.chain import append
from ketacare.audit.models import AuditEntry

_held: ContextVar[list[AuditEntry] | None] = ContextVar("audit_reads_held", default=None)


def hold(entry: AuditEntry) -> bool:
    """Keep ``entry`` (a read) for the request's one append; False outside a request."""
    held = _held.get()
    if held is None:
        return False
    held.append(entry)
    return True


def append_all(entries: list[AuditEntry]) -> None:
    if entries:
        with transaction.atomic():
            for entry in entries:
                append(entry, savepoint=False)  # one fails, none is kept: the answer is an error


class AuditReadBatchMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _held.set([])
        try:
            response = self.get_response(request)
            entries = _held.get() or []
        finally:
            _held.reset(token)
        append_all(entries)  # raises (a server error) rather than serve an unrecorded read
        return response
