"""Request context: idle timeout, the clinic in use and two-factor enforcement."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from ketacare.core.access import access_for_request

SESSION_CLINIC_KEY = "ketacare_clinic_id"
SESSION_ACTIVITY_KEY = "ketacare_last_activity"

# Paths reachable without a verified second factor.
TWO_FACTOR_EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/api/",
    "/intake/",
    "/q/",
)


# The stored activity time (and with it the session row) is written at most this often: a page
# view within a minute of the last write only reads the session. The idle timeout is therefore
# exact to within this many seconds (a 15-minute limit ends a session after 15 to 16 minutes).
ACTIVITY_WRITE_SECONDS = 60


class IdleTimeoutMiddleware:
    """Ends a session after a period of inactivity (staff: 15 min by default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(SESSION_ACTIVITY_KEY)
            idle = None if last is None else now - last
            if idle is not None and idle > _shortest_limit() and idle > _idle_limit(user):
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                if not request.path.startswith("/api/"):
                    return redirect(f"{reverse('login')}?next={request.path}")
            elif idle is None or idle >= ACTIVITY_WRITE_SECONDS:
                request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)


def _shortest_limit() -> int:
    return min(settings.STAFF_IDLE_TIMEOUT_SECONDS, settings.PATIENT_IDLE_TIMEOUT_SECONDS)


def _idle_limit(user) -> int:
    """The patient limit for a patient with no staff role; the staff limit for everyone else.
    Asked only once a session has been idle longer than the shorter of the two."""
    if hasattr(user, "patient_profile") and not user.memberships.exists():
        return settings.PATIENT_IDLE_TIMEOUT_SECONDS
    return settings.STAFF_IDLE_TIMEOUT_SECONDS


class ClinicContextMiddleware:
    """Attaches ``request.access`` and enforces two-factor where it is set up or required."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        clinic_id = request.session.get(SESSION_CLINIC_KEY) if hasattr(request, "session") else None
        request.access = SimpleLazyObject(
            lambda: access_for_request(request, request.user, clinic_id=clinic_id)
        )
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_EXEMPT_PREFIXES)
            and needs_second_factor(request)
        ):
            return redirect(f"{reverse('two_factor')}?next={request.path}")
        # One time zone per clinic, for every time a page shows (header, dashboard, schedule,
        # alerts, audit log): the clinic in use for staff, their clinic's for patients.
        zone = request.access.time_zone if user.is_authenticated else None
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def needs_second_factor(request) -> bool:
    """True when a staff member has not yet confirmed a TOTP code in this session but must."""
    from django_otp import user_has_device

    user = request.user
    if getattr(user, "is_verified", lambda: False)():
        return False
    # Loaded with the user by ketacare.core.auth_backend; asked here for any other user object.
    has_device = getattr(user, "has_confirmed_device", None)
    if has_device is None:
        has_device = user_has_device(user, confirmed=True)
    if has_device:
        return True
    access = request.access
    return any(c.require_two_factor for c in access.clinics)
