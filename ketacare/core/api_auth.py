"""API authentication: bearer tokens or the browser session, with the same access context."""

from __future__ import annotations

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from ketacare.core.access import access_for
from ketacare.core.middleware import SESSION_CLINIC_KEY, needs_second_factor
from ketacare.core.models import ApiToken

CLINIC_HEADER = "HTTP_X_KETACARE_CLINIC"


def _clinic_from_header(request) -> int | None:
    raw = request.META.get(CLINIC_HEADER)
    return int(raw) if raw and raw.isdigit() else None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kc_…``; ``X-Ketacare-Clinic: <id>`` picks the clinic in use."""

    def authenticate(self, request, token: str):
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(token_sha256=ApiToken.digest(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.user = api_token.user
        request.access = access_for(api_token.user, clinic_id=_clinic_from_header(request))
        return api_token.user


class VerifiedSessionAuth(SessionAuth):
    """The browser session (CSRF-checked), only once any required second factor is confirmed."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or needs_second_factor(request):
            return None
        clinic_id = _clinic_from_header(request) or request.session.get(SESSION_CLINIC_KEY)
        request.access = access_for(user, clinic_id=clinic_id)
        return user


API_AUTH = [TokenAuth(), VerifiedSessionAuth()]
