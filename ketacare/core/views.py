"""Sign-in, second factor, health check, the home page and the clinic switcher."""

from __future__ import annotations

import base64
import io

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.core.lockout import set_device_cookie
from ketacare.core.middleware import SESSION_CLINIC_KEY


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise. No login."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        """Signed in: this browser becomes a known client of the account (ketacare.core.lockout),
        which nobody else's failed attempts can slow down."""
        response = super().form_valid(form)
        set_device_cookie(response, self.request, form.get_user().get_username())
        return response


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _qr_data_uri(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=5, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """Confirm a TOTP code, or set one up first when the clinic requires it."""
    user = request.user
    has_device = user_has_device(user, confirmed=True)
    if has_device:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    else:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "").replace(" ", "")
        if code.isdigit() and device.verify_token(code):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Two-factor verification confirmed.")
            return redirect(_safe_next(request))
        error = "That code is not valid. Enter the 6-digit code your authenticator app shows now."
    context = {
        "setting_up": not has_device,
        "error": error,
        "next": _safe_next(request),
        "secret": base64.b32encode(device.bin_key).decode() if not has_device else "",
        "qr": _qr_data_uri(device.config_url) if not has_device else "",
    }
    return render(request, "core/two_factor.html", context, status=400 if error else 200)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = request.access
    if access.is_staff_member:
        from ketacare.core.dashboard import dashboard_context

        return render(request, "core/home.html", dashboard_context(request))
    if access.is_patient:
        return redirect("portal:home")
    raise PermissionDenied("This account has no role at any clinic yet. Ask your clinic admin.")


@login_required
@require_POST
def switch_clinic(request: HttpRequest) -> HttpResponse:
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        clinic_id = 0
    if clinic_id not in request.access.clinic_ids:
        raise PermissionDenied("You have no role at that clinic.")
    request.session[SESSION_CLINIC_KEY] = clinic_id
    return redirect("home")
