"""The API under /api/v1: every app mounts its router here. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from importlib import import_module

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError

from ketacare.audit.refusals import audit_refusal, refused_capability
from ketacare.clinical.common import ClinicalRuleError
from ketacare.config.mounting import api_mounts
from ketacare.core.api_auth import API_AUTH, docs_sign_in
from ketacare.core.errors import DomainError, as_domain_error
from ketacare.core.openapi import document_shared_answers
from ketacare.core.validation import human_errors


class KetacareAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's document, plus what every operation can answer (ketacare.core.openapi)."""
        return document_shared_answers(super().get_openapi_schema(*args, **kwargs))


api = KetacareAPI(
    title="Ketacare API",
    version="1",
    description="Ketamine therapy clinic: patients, intake, assessments, treatment, sessions.",
    auth=API_AUTH,
    urls_namespace="api",
    docs_decorator=docs_sign_in,
)


def _error(request, status: int, detail: str, fields=None, details=None):
    body = {"detail": detail, "fields": fields or {}, "details": details or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    """Every refusal of a service, the same way for every app (see ketacare.core.errors)."""
    if exc.status in (403, 404):
        audit_refusal(
            request, status=exc.status, reason=exc.message, capability=refused_capability(exc)
        )
    return _error(request, exc.status, exc.message, exc.fields, exc.details)


@api.exception_handler(ClinicalRuleError)
def _clinical_rule(request, exc: ClinicalRuleError):
    error = as_domain_error(exc)
    return _error(request, error.status, error.message, error.fields)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    detail = str(exc) or "Your role may not do this."
    audit_refusal(request, status=403, reason=detail, capability=refused_capability(exc))
    return _error(request, 403, detail)


@api.exception_handler(Http404)
def _not_found(request, exc):
    detail = str(exc) or "Not found."
    audit_refusal(request, status=404, reason=detail)
    return _error(request, 404, detail)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    """422 with a sentence and one human message per field (never framework wording)."""
    detail, fields = human_errors(exc.errors)
    return _error(request, 422, detail, fields)


def _mount() -> None:
    from ketacare.core.api import router as core_router

    api.add_router("/", core_router)
    for mount in api_mounts():
        api.add_router(mount.prefix, import_module(mount.module).router)


_mount()
