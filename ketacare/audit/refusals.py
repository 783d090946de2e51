"""Refused attempts go to the audit trail: a record of another clinic asked for (404), an action
the role may not take or a clinic the caller has no role at (403).

Called by the API's error handlers (``ketacare.config.api``) and, for pages, by
``RefusalAuditMiddleware``, so every app's refusals are recorded without code of its own.
Anonymous requests are not recorded here (sign-in failures have their own entries).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Forbidden, NotFound

CLINIC_HEADER = "HTTP_X_KETACARE_CLINIC"


def audit_refusal(
    request: HttpRequest, *, status: int, reason: str, capability: str | None = None
) -> None:
    """``capability``: the code of what the role was refused, for the entry (not the page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    access = getattr(request, "access", None)
    clinic = getattr(access, "clinic", None) if access is not None else None
    changes = {"method": request.method, "path": request.path, "status": status}
    if capability:
        changes["capability"] = capability
    if request.META.get(CLINIC_HEADER):
        changes["clinic_header"] = request.META[CLINIC_HEADER][:40]
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="denied",
        object_type="request",
        clinic_id=clinic.pk if clinic is not None else None,
        summary=(
            f"Refused ({status}) {request.method} {request.path}: {reason}"
            + (f" [{capability}]" if capability else "")
        )[:300],
        changes=changes,
    )


def refused_capability(exception: Exception) -> str | None:
    """The capability code a refusal names, if any (``CapabilityDenied`` or a ``Forbidden``'s
    details)."""
    if isinstance(exception, Forbidden):
        return (exception.details or {}).get("capability")
    return getattr(exception, "capability", None)


class RefusalAuditMiddleware:
    """Records a page's 403/404 refusal (raised by a view) before the next handler answers it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied | Forbidden):
            audit_refusal(
                request,
                status=403,
                reason=str(exception) or "not allowed",
                capability=refused_capability(exception),
            )
        elif isinstance(exception, Http404 | NotFound):
            audit_refusal(request, status=404, reason=str(exception) or "not found")
        return None
