"""What an API bearer token may do: its scopes and its lifetime.

A token acts with its user's roles, narrowed by its scopes:

- ``read``  — ``GET``/``HEAD``/``OPTIONS``;
- ``write`` — ``POST``/``PUT``/``PATCH``/``DELETE``;
- ``admin`` — additionally needed for the clinic-administration and audit operations
  (``ADMIN_CAPABILITIES``), with ``read`` or ``write`` for the method;
- ``patient/*.read``, ``user/*.read``, ``system/*.read`` — the SMART on FHIR scopes the FHIR
  server (``/fhir/r4/``) asks for instead of ``read``: a patient's own record, what the user's
  roles may read, and the same plus bulk export. They open nothing on
  ``/api/v1``.

Every token expires (``expires_at``; at most ``MAX_LIFETIME_DAYS`` after issue). The browser
session is not narrowed: scopes belong to tokens.
"""

from __future__ import annotations

import datetime as dt

from ketacare.core.errors import Forbidden, Invalid
from ketacare.core.roles import Capability

READ, WRITE, ADMIN = "read", "write", "admin"
PATIENT_READ, USER_READ, SYSTEM_READ = "patient/*.read", "user/*.read", "system/*.read"
FHIR_SCOPES = (PATIENT_READ, USER_READ, SYSTEM_READ)
SCOPES = (READ, WRITE, ADMIN, *FHIR_SCOPES)
DEFAULT_SCOPES = (READ,)
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 366
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_CAPABILITIES = frozenset(
    {Capability.AUDIT_VIEW, Capability.CLINIC_MANAGE, Capability.PROTOCOL_EDIT}
)


def parse_scopes(text: str) -> tuple[str, ...]:
    """``"read,write"`` → ``("read", "write")`` in canonical order; Invalid for anything else."""
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown or not wanted:
        raise Invalid.field(
            "scopes", f"Scopes are a comma-separated choice of {', '.join(SCOPES)}."
        )
    return tuple(scope for scope in SCOPES if scope in wanted)


def expiry(*, issued_at: dt.datetime, days: int) -> dt.datetime:
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise Invalid.field(
            "expires_in_days", f"A token lives from 1 to {MAX_LIFETIME_DAYS} days, not {days}."
        )
    return issued_at + dt.timedelta(days=days)


def require_method_scope(scopes: tuple[str, ...], method: str) -> None:
    needed = READ if method.upper() in SAFE_METHODS else WRITE
    if needed not in scopes:
        raise Forbidden(
            f"This API token lacks the '{needed}' scope ({', '.join(scopes)} only); "
            f"issue one with --scopes {','.join((*scopes, needed))}."
        )


def require_token_scope(request, capability: Capability) -> None:
    """Forbidden when the request came with a token whose scopes do not cover ``capability``."""
    scopes = getattr(request, "token_scopes", None)
    if scopes is not None and capability in ADMIN_CAPABILITIES and ADMIN not in scopes:
        raise Forbidden(
            f"This API token lacks the 'admin' scope needed for {capability} "
            f"({', '.join(scopes)} only)."
        )
