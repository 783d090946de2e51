"""One family of domain errors, mapped to HTTP once for the API and once for pages.

Services raise these (or ``ClinicalRuleError`` from the clinical core); they never build HTTP
responses. ``ketacare.config.api`` turns them into JSON with one exception handler and
``ketacare.core.pages.page_errors`` turns them into a re-rendered page, so a refusal answers the
same status everywhere:

=================  ======  ==================================================================
error              status  meaning
=================  ======  ==================================================================
``Refused``        409     the record's state does not allow it now (a step out of order, a
                           signed record, a double booking, a balance below zero)
``Invalid``        422     the input as given cannot be accepted; ``fields`` names the fields
``ClinicalRuleError`` 422  a clinical rule refuses the input (same mapping as ``Invalid``)
``NotFound``       404     no such record in the caller's clinic (also for another clinic's)
``Forbidden``      403     the caller's role may not do this
``BadRequest``     400     the request itself is malformed (a header that is not an id)
=================  ======  ==================================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from ketacare.clinical.common import ClinicalRuleError


class DomainError(Exception):
    """A refusal with a message for the person acting. ``fields`` maps input fields to messages;
    ``details`` carries machine-readable facts for the screen (e.g. when an order was reached)."""

    status: ClassVar[int] = 409

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


class Refused(DomainError):
    """The record's current state does not allow this (HTTP 409)."""

    status = 409


class Invalid(DomainError):
    """Input that cannot be accepted as given (HTTP 422), with one message per field."""

    status = 422

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        """The common case: one field is wrong, and the message says how to fix it."""
        return cls(message, fields={name: message})


class NotFound(DomainError):
    """No such record in the caller's clinic (HTTP 404); another clinic's record is not found."""

    status = 404


class Forbidden(DomainError):
    """The caller's role may not do this here (HTTP 403)."""

    status = 403


class BadRequest(DomainError):
    """The request is malformed beyond one input field, e.g. a header (HTTP 400)."""

    status = 400


def status_of(error: Exception) -> int:
    """The HTTP status of a domain or clinical error (``ClinicalRuleError`` is an input refusal)."""
    if isinstance(error, DomainError):
        return error.status
    if isinstance(error, ClinicalRuleError):
        return 422
    raise TypeError(f"{type(error).__name__} is not a domain error")


def as_domain_error(error: Exception) -> DomainError:
    """A ``ClinicalRuleError`` from the core as the ``Invalid`` the adapters answer with."""
    if isinstance(error, DomainError):
        return error
    if isinstance(error, ClinicalRuleError):
        return Invalid(str(error))
    raise TypeError(f"{type(error).__name__} is not a domain error")


DOMAIN_ERRORS: tuple[type[Exception], ...] = (DomainError, ClinicalRuleError)
