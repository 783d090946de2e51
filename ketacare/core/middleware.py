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

from ketacare.core.access import access_for

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


class IdleTimeoutMiddleware:
    """Ends a session after a period of inactivity (staff: 15 min by default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(SESSION_ACTIVITY_KEY)
            limit = (
                settings.PATIENT_IDLE_TIMEOUT_SECONDS
                if hasattr(user, "patient_profile") and not user.memberships.exists()
                else settings.STAFF_IDLE_TIMEOUT_SECONDS
            )
            if last is not None and now - last > limit:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                if not request.path.startswith("/api/"):
                    return redirect(f"{reverse('login')}?next={request.path}")
            else:
                request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)


class ClinicContextMiddleware:
    """Attaches ``request.access`` and enforces two-factor where it is set up or required."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        clinic_id = request.session.get(SESSION_CLINIC_KEY) if hasattr(request, "session") else None
        request.access = SimpleLazyObject(lambda: access_for(request.user, clinic_id=clinic_id))
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
    if user_has_device(user, confirmed=True):
        return True
    access = request.access
    return any(c.require_two_factor for c in access.clinics)
