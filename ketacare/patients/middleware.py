"""Kiosk mode on a handed-over tablet: only the patient's own portal pages open, and the tablet
returns to the locked screen when the patient finishes or leaves it idle."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.patients.kiosk import (
    KIOSK_ACTIVITY_KEY,
    KIOSK_SESSION_KEY,
    kiosk_end,
    kiosk_open,
)

# What a kiosk may show: portal pages of any app (/portal/, /treatment/portal/, ...), the kiosk's
# own pages and static files. Everything else goes back to the portal's front page.
KIOSK_PREFIXES = ("/kiosk/", "/static/", "/portal/")


def kiosk_path_allowed(path: str) -> bool:
    return path.startswith(KIOSK_PREFIXES) or "/portal/" in path


def lock(request, *, kiosk_id: int | None, reason: str):
    """End the kiosk session, sign the tablet out and show the locked screen."""
    if kiosk_id:
        kiosk_end(
            kiosk_id=kiosk_id,
            reason=reason,
            origin=RequestOrigin.from_request(request),
            at=timezone.now(),
        )
    logout(request)
    return redirect("kiosk_locked")


class KioskMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.kiosk = None
        session = getattr(request, "session", None)
        kiosk_id = session.get(KIOSK_SESSION_KEY) if session is not None else None
        if kiosk_id is None:
            return self.get_response(request)
        kiosk = kiosk_open(kiosk_id, request.user) if request.user.is_authenticated else None
        if kiosk is None:
            return lock(request, kiosk_id=kiosk_id, reason="finished")
        now = time.time()
        last = session.get(KIOSK_ACTIVITY_KEY)
        if last is not None and now - last > settings.KIOSK_IDLE_TIMEOUT_SECONDS:
            return lock(request, kiosk_id=kiosk.pk, reason="idle")
        session[KIOSK_ACTIVITY_KEY] = now
        if not kiosk_path_allowed(request.path):
            return redirect("portal:home")
        request.kiosk = kiosk
        return self.get_response(request)
