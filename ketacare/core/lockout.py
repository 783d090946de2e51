"""Brute-force protection that a stranger cannot turn against the clinician on duty.

Failed sign-ins are counted per account **and client** (django-axes calls this module through
``AXES_HANDLER``):

- a browser that signed in to the account before carries a signed device cookie; its failures
  are its own, so nobody else's guessing ever slows it down;
- any other client counts per address (as the audit trail sees it, ``TRUST_X_FORWARDED_FOR``),
  and all of them together count once more with a four times larger allowance, so guessing from
  many addresses is slowed too — but only for clients the account never used.

After ``AXES_FAILURE_LIMIT`` failures a client waits 30 s before the next attempt, then twice as
long after every further failure (60 s, 2 min, …) up to ``AXES_COOLOFF_HOURS``; an attempt
during the wait is refused (429, ``Retry-After``) without checking the password and without
counting. A successful sign-in clears the client's count; counts are forgotten after a day
without failures. A clinic admin or medical director unlocks a person from the staff page; an
operator with ``ketacare unlock_sign_in USERNAME``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass

from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.models import SignInThrottle

DEVICE_COOKIE = "kc_device"
DEVICE_SALT = "ketacare.sign-in.device"
DEVICE_MAX_AGE = dt.timedelta(days=365)
FIRST_DELAY = dt.timedelta(seconds=30)
UNKNOWN_CLIENTS_FACTOR = 4
FORGET_AFTER = dt.timedelta(hours=24)
_purged_at = 0.0


@dataclass(frozen=True)
class Limit:
    key: str
    client: str
    free_failures: int


def username_of(credentials: dict | None) -> str:
    return str((credentials or {}).get("username") or "").strip().lower()[:150]


def client_address(request: HttpRequest) -> str | None:
    """The client address as the audit trail records it (also ``AXES_CLIENT_IP_CALLABLE``)."""
    return RequestOrigin.from_request(request).ip_address


def _device(request: HttpRequest, username: str) -> str | None:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    return value.get("d") if value.get("u") == username else None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def limits_for(request: HttpRequest, username: str) -> list[Limit]:
    free = settings.AXES_FAILURE_LIMIT
    device = _device(request, username)
    if device is not None:
        return [Limit(_digest(username, "device", device), "device", free)]
    address = client_address(request) or "unknown"
    return [
        Limit(_digest(username, "ip", address), f"ip:{address}", free),
        Limit(_digest(username, "unknown"), "unknown devices", free * UNKNOWN_CLIENTS_FACTOR),
    ]


def delay_after(failures: int, free_failures: int) -> dt.timedelta | None:
    """30 s at the limit, doubling with each failure after it, capped at the cool-off."""
    if failures < free_failures:
        return None
    cap = dt.timedelta(hours=settings.AXES_COOLOFF_HOURS)
    doublings = min(failures - free_failures, 32)
    return min(FIRST_DELAY * 2**doublings, cap)


def retry_after(request: HttpRequest, username: str, now: dt.datetime) -> dt.timedelta:
    """How long this client must wait before it may try this account again (zero: now)."""
    keys = [limit.key for limit in limits_for(request, username)]
    until = (
        SignInThrottle.objects.filter(key__in=keys, blocked_until__gt=now)
        .order_by("-blocked_until")
        .values_list("blocked_until", flat=True)
        .first()
    )
    return until - now if until else dt.timedelta(0)


def record_failure(request: HttpRequest, username: str, now: dt.datetime) -> dt.timedelta:
    """Count a failure for every limit of this client; the wait it starts, if any."""
    _purge_forgotten(now)
    wait = dt.timedelta(0)
    with transaction.atomic():
        for limit in limits_for(request, username):
            row, _ = SignInThrottle.objects.select_for_update().get_or_create(
                key=limit.key,
                defaults={"username": username, "client": limit.client, "last_failure_at": now},
            )
            if now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            row.failures = F("failures") + 1 if row.failures else 1
            row.last_failure_at = now
            row.save(update_fields=["failures", "last_failure_at"])
            row.refresh_from_db(fields=["failures"])
            delay = delay_after(row.failures, limit.free_failures)
            if delay is not None:
                SignInThrottle.objects.filter(pk=row.pk).update(blocked_until=now + delay)
                wait = max(wait, delay)
    return wait


def record_success(request: HttpRequest, username: str) -> None:
    """The client proved itself: its own count goes (the count of unknown clients stays)."""
    own = limits_for(request, username)[0]
    SignInThrottle.objects.filter(key=own.key).delete()


def unlock(username: str) -> int:
    """Clear every count of the account (an admin's unlock); how many there were."""
    deleted, _ = SignInThrottle.objects.filter(username=username.strip().lower()).delete()
    return deleted


def paused_clients(username: str, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Where the account must wait now, in words, with until when (for the staff page)."""
    rows = SignInThrottle.objects.filter(
        username=username.strip().lower(), blocked_until__gt=now
    ).order_by("-blocked_until")
    words = {"device": "a browser they signed in with before", "unknown devices": "new devices"}
    return [
        (words.get(row.client, f"address {row.client.removeprefix('ip:')}"), row.blocked_until)
        for row in rows
    ]


def sign_in_unlock(*, user, clinic_id: int | None, origin: RequestOrigin, at: dt.datetime) -> int:
    """An admin lets ``user`` sign in again at once, from everywhere (audited)."""
    cleared = unlock(user.get_username())
    audit_record(
        origin=origin,
        action="update",
        object_type="user",
        object_id=user.pk,
        clinic_id=clinic_id,
        summary=f"Sign-in of {user.get_username()} unlocked ({cleared} counts cleared)",
        at=at,
    )
    return cleared


def _purge_forgotten(now: dt.datetime) -> None:
    global _purged_at
    if time.monotonic() - _purged_at < 60:
        return
    _purged_at = time.monotonic()
    SignInThrottle.objects.filter(last_failure_at__lt=now - FORGET_AFTER).delete()


def device_cookie(request: HttpRequest, username: str) -> str:
    """The signed cookie that makes this browser a known client of the account."""
    device = _device(request, username.lower()) or secrets.token_urlsafe(12)
    return signing.dumps({"u": username.lower(), "d": device}, salt=DEVICE_SALT)


def set_device_cookie(response: HttpResponse, request: HttpRequest, username: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(request, username),
        max_age=int(DEVICE_MAX_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _refuse(request: HttpRequest, credentials: dict | None, wait: dt.timedelta) -> None:
    request.axes_locked_out = True
    request.axes_credentials = credentials
    request.sign_in_retry_after = wait


class ProgressiveLockoutHandler(AbstractAxesHandler, AxesBaseHandler):
    """django-axes' handler interface over ``SignInThrottle`` (see the module's description)."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return retry_after(request, username_of(credentials), timezone.now()) > dt.timedelta(0)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        keys = [limit.key for limit in limits_for(request, username_of(credentials))]
        counts = SignInThrottle.objects.filter(key__in=keys).values_list("failures", flat=True)
        return max(counts, default=0)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            return
        username, now = username_of(credentials), timezone.now()
        wait = retry_after(request, username, now)
        if wait > dt.timedelta(0):  # refused during a wait: not checked, not counted
            _refuse(request, credentials, wait)
            return
        wait = record_failure(request, username, now)
        if wait > dt.timedelta(0):
            _refuse(request, credentials, wait)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        if request is not None:
            record_success(request, user.get_username().lower())

    def user_logged_out(self, sender, request, user, **kwargs) -> None:
        return None

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """``ketacare axes_reset_username`` and friends."""
        rows = SignInThrottle.objects.all()
        if username:
            rows = rows.filter(username=username.strip().lower())
        if ip_address:
            rows = rows.filter(client=f"ip:{ip_address}")
        deleted, _ = rows.delete()
        return deleted


def _wait_words(wait: dt.timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with how long to wait."""
    wait = getattr(request, "sign_in_retry_after", None) or retry_after(
        request, username_of(credentials), timezone.now()
    )
    response = render(request, "core/locked_out.html", {"wait": _wait_words(wait)}, status=429)
    response["Retry-After"] = str(max(1, int(wait.total_seconds() + 0.999)))
    return response
