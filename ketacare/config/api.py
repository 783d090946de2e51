"""The API under /api/v1: every app mounts its router here. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError

from ketacare.core.api_auth import API_AUTH

api = NinjaAPI(
    title="Ketacare API",
    version="1",
    description="Ketamine therapy clinic: patients, intake, assessments, treatment, sessions.",
    auth=API_AUTH,
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    """422 with one message per field: ``{"detail": [...], "fields": {"body.payload.x": …}}``."""
    fields = {}
    for error in exc.errors:
        key = ".".join(str(part) for part in error.get("loc", ()))
        fields.setdefault(key, str(error.get("msg", "invalid")).removeprefix("Value error, "))
    return api.create_response(request, {"detail": exc.errors, "fields": fields}, status=422)


def _mount() -> None:
    from ketacare.audit.api import router as audit_router
    from ketacare.core.api import router as core_router
    from ketacare.patients.api import router as patients_router

    api.add_router("/", core_router)
    api.add_router("/patients", patients_router)
    api.add_router("/audit", audit_router)
    for module in ("assessments", "treatment", "sessions", "alerts"):
        try:
            router = __import__(f"ketacare.{module}.api", fromlist=["router"]).router
        except ModuleNotFoundError as missing:
            if missing.name != f"ketacare.{module}.api":
                raise
            continue
        api.add_router(f"/{module}", router)


_mount()
