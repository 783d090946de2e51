"""API authentication: bearer tokens or the browser session, with the same access context.

``X-Ketacare-Clinic: <id>`` picks the clinic in use. A value that is not a clinic id answers 400;
a clinic where the caller holds no role answers 403 (and is audited as a refused attempt). It
never falls back to another clinic: a write meant for one clinic must not land in another.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from ketacare.core.access import Access, access_for_request
from ketacare.core.errors import BadRequest, Forbidden
from ketacare.core.middleware import (
    ACTIVITY_WRITE_SECONDS,
    SESSION_CLINIC_KEY,
    needs_second_factor,
)
from ketacare.core.models import ApiToken
from ketacare.core.tokens import require_method_scope

CLINIC_HEADER = "HTTP_X_KETACARE_CLINIC"
MAX_ID_DIGITS = 18  # below 2**63: a larger number is no clinic id


def clinic_from_header(request) -> int | None:
    """The clinic id the caller asked for, None without the header; BadRequest for garbage."""
    raw = request.META.get(CLINIC_HEADER, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS):
        raise BadRequest(
            f"X-Ketacare-Clinic must be the id of a clinic (a whole number), not {raw[:40]!r}.",
            fields={"X-Ketacare-Clinic": "Send the number of a clinic you work at."},
        )
    return int(raw)


def _access(request, user, *, fallback_clinic_id: int | None) -> Access:
    wanted = clinic_from_header(request)
    access = access_for_request(request, user, clinic_id=wanted or fallback_clinic_id)
    request.access = access
    if wanted is not None and wanted not in access.clinic_ids:
        raise Forbidden(f"You have no role at clinic {wanted} (X-Ketacare-Clinic).")
    return access


def token_user(request, token: str):
    """The active user of a live bearer ``token``, or None. Sets ``request.user``,
    ``request.token_scopes`` and ``request.access`` (X-Ketacare-Clinic applied); the caller
    checks the scopes it needs (the API: ``read``/``write``; the FHIR server: its own)."""
    now = timezone.now()
    live = ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    api_token = (
        live.select_related("user", "user__patient_profile", "user__patient_profile__clinic")
        .filter(token_sha256=ApiToken.digest(token))
        .first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    _mark_used(api_token, now)
    request.user = api_token.user
    request.token_scopes = api_token.scope_list
    _access(request, api_token.user, fallback_clinic_id=None)
    return api_token.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kc_…``: active, unexpired, of an active user, scoped."""

    def authenticate(self, request, token: str):
        user = token_user(request, token)
        if user is not None:
            require_method_scope(request.token_scopes, request.method)
        return user


def _mark_used(api_token: ApiToken, now: dt.datetime) -> None:
    """Record when the token was last used, to the minute: a busy client's calls within a minute
    of the last write only read the token (a write per call would queue them on SQLite)."""
    last = api_token.last_used_at
    if last is None or now - last >= dt.timedelta(seconds=ACTIVITY_WRITE_SECONDS):
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)


def session_user(request):
    """The signed-in user of the browser session once any required second factor is confirmed,
    or None; sets ``request.access`` (X-Ketacare-Clinic applied). No CSRF check: for reads."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or needs_second_factor(request):
        return None
    _access(request, user, fallback_clinic_id=request.session.get(SESSION_CLINIC_KEY))
    return user


class VerifiedSessionAuth(SessionAuth):
    """The browser session (CSRF-checked), only once any required second factor is confirmed."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None:
            return None
        return session_user(request)


API_AUTH = [TokenAuth(), VerifiedSessionAuth()]


def _may_read_docs(request) -> bool:
    """Staff signed in (second factor confirmed where needed), or any valid bearer token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return request.access.is_staff_member and not needs_second_factor(request)
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization[:7].lower() != "bearer ":
        return False
    return ApiToken.objects.filter(
        token_sha256=ApiToken.digest(authorization[7:].strip()),
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        user__is_active=True,
    ).exists()


def docs_sign_in(view):
    """The API's description (``/api/v1/docs``, ``/api/v1/openapi.json``) only for those who may
    use the API, unless ``API_DOCS_PUBLIC`` (off in production): it maps every operation."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.API_DOCS_PUBLIC or _may_read_docs(request):
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            detail = "Sign in, or send an API token, to read the API description."
            return JsonResponse({"detail": detail, "fields": {}, "details": {}}, status=401)
        return redirect_to_login(request.get_full_path())

    return wrapped
