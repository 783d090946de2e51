"""Domain errors on pages: a refusal re-renders the page with its message, never a traceback.

``page_errors(render)`` wraps a page view; ``render(request, error, *view_args, **view_kwargs)``
draws the page again with ``error.status`` (409/422) and ``error.fields`` beside their inputs.
Without a ``render`` (or for errors it does not take), ``DomainErrorMiddleware`` answers: 403 and
404 through Django's handlers (so they look like every other 403/404 page), 409/422 with the
shared error page and a way back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render as render_template
from django.views.decorators.http import require_POST

from ketacare.core.access import require_capability
from ketacare.core.errors import DOMAIN_ERRORS, DomainError, Forbidden, NotFound, as_domain_error
from ketacare.core.roles import Capability

Renderer = Callable[..., HttpResponse]


def posted(request: HttpRequest, *names: str) -> dict[str, str]:
    """The named fields of a form's POST, blank where missing: ``service(**posted(request, "a",
    "b"))`` passes ``a=request.POST.get("a", ""), b=...``."""
    return {name: request.POST.get(name, "") for name in names}


def form_post(
    capability: Capability, render: Renderer | None = None
) -> Callable[[Callable], Callable]:
    """Page decorator for a form's POST: ``require_POST``, ``require_capability(capability)`` and
    ``page_errors(render)``, in that order."""

    def decorator(view: Callable) -> Callable:
        return require_POST(require_capability(capability)(page_errors(render)(view)))

    return decorator


def page_errors(render: Renderer | None = None) -> Callable[[Callable], Callable]:
    """Page decorator: Refused/Invalid (and ClinicalRuleError) → ``render`` with the status."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DOMAIN_ERRORS as raised:
                error = as_domain_error(raised)
                if render is None or isinstance(error, Forbidden | NotFound):
                    raise error from raised
                return render(request, error, *args, **kwargs)

        return wrapped

    return decorator


def flash_back(target: Callable[..., str]) -> Renderer:
    """A ``page_errors`` render for post-redirect actions: the refusal becomes a message on the
    page the form came from. ``target(request, *view_args, **view_kwargs)`` gives its URL."""

    def render(request: HttpRequest, error: DomainError, *args: Any, **kwargs: Any) -> HttpResponse:
        messages.error(request, error.message)
        return redirect(target(request, *args, **kwargs))

    return render


def error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The shared page for a refusal no view handled itself: the message and a way back."""
    back = request.META.get("HTTP_REFERER") or "/"
    return render_template(
        request,
        "core/error.html",
        {"error": error, "fields": error.fields, "back": back},
        status=error.status,
    )


class DomainErrorMiddleware:
    """Turns a domain error escaping a page view into the matching page (API errors are mapped
    by the API's own exception handler and never reach here)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DOMAIN_ERRORS):
            return None
        error = as_domain_error(exception)
        if isinstance(error, Forbidden):
            raise PermissionDenied(error.message) from exception
        if isinstance(error, NotFound):
            raise Http404(error.message) from exception
        return error_page(request, error)
