"""Login hardening: lockout, Argon2, TOTP two-factor, idle timeout, CSRF, CSP, cookies, API tokens.

Each test drives the real middleware and views through Django's test client; settings that are
decided when the settings module is imported (hashers, cookie flags) are checked in a fresh
interpreter with the environment a server would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.core.middleware import SESSION_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"  # tests/conftest.py make_staff
LOGIN_URL = "/accounts/login/"
TWO_FACTOR_URL = "/accounts/two-factor/"


# --- helpers ------------------------------------------------------------------------------------


def _login(client: Client, username: str, password: str, *, ip: str = "10.0.0.7"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _code(device, steps_off: int = 0) -> str:
    """The 6-digit code the device shows now (``steps_off`` time steps away)."""
    from django_otp.oath import totp

    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_off)
    return f"{value:0{device.digits}d}"


def _current_code(device) -> str:
    return _code(device)


def _totp_codes(device) -> set[str]:
    """Every code the device accepts right now (its drift ± its tolerance)."""
    return {_code(device, d) for d in range(-device.tolerance, device.tolerance + 1)}


def _wrong_code(device) -> str:
    accepted = _totp_codes(device)
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)


def _settings_probe(tmp_path: Path, **env: str) -> dict:
    """Import the settings in a fresh interpreter with ``env`` and report what they decided."""
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.auth.hashers import make_password\n"
        "print(json.dumps({\n"
        "    'hashers': settings.PASSWORD_HASHERS,\n"
        "    'hash_algorithm': make_password('a long passphrase').split('$')[0],\n"
        "    'session_cookie_secure': settings.SESSION_COOKIE_SECURE,\n"
        "    'csrf_cookie_secure': settings.CSRF_COOKIE_SECURE,\n"
        "    'session_cookie_httponly': settings.SESSION_COOKIE_HTTPONLY,\n"
        "}))\n"
    )
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "ketacare.config.settings",
        "KETACARE_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=base | env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


PRODUCTION_ENV = {
    "KETACARE_ENV": "production",
    "SECRET_KEY": "k" * 20 + "production-secret-for-tests-only-0123456789",
    "AUDIT_KEYS": "test1:" + "a" * 40,
    "ALLOWED_HOSTS": "clinic.example.org",
    "PUBLIC_BASE_URL": "https://clinic.example.org",
}


# --- lockout after repeated failures ------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    """tests/conftest.py turns django-axes off for speed; these tests need it on."""
    settings.AXES_ENABLED = True
    return settings


def test_login_locks_out_after_the_failure_limit(axes_on, staff):
    nurse = staff["nurse"]
    limit = axes_on.AXES_FAILURE_LIMIT
    assert limit >= 2
    client = Client()

    for _ in range(limit - 1):
        response = _login(client, nurse.username, "wrong password")
        assert response.status_code == 200
        assert b"did not match" in response.content

    response = _login(client, nurse.username, "wrong password")  # the limit-th failure
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content

    response = _login(client, nurse.username, PASSWORD)  # even the right password now
    assert response.status_code == 429
    assert not _signed_in(client)


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(axes_on, staff):
    nurse = staff["nurse"]
    client = Client()
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        _login(client, nurse.username, "wrong password")

    response = _login(client, nurse.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)


def test_lockout_holds_one_user_name_from_one_address(axes_on, staff):
    nurse, prescriber = staff["nurse"], staff["prescriber"]
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        _login(Client(), nurse.username, "wrong password", ip="10.0.0.7")
    assert _login(Client(), nurse.username, PASSWORD, ip="10.0.0.7").status_code == 429

    colleague = Client()
    assert _login(colleague, prescriber.username, PASSWORD, ip="10.0.0.7").status_code == 302
    assert _signed_in(colleague)
    elsewhere = Client()
    assert _login(elsewhere, nurse.username, PASSWORD, ip="10.0.0.8").status_code == 302
    assert _signed_in(elsewhere)


def test_failed_sign_ins_are_not_counted_while_axes_is_off(settings, staff):
    assert settings.AXES_ENABLED is False  # the suite's default (tests/conftest.py)
    nurse = staff["nurse"]
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _login(Client(), nurse.username, "wrong password")

    assert _login(Client(), nurse.username, PASSWORD).status_code == 302


# --- password hashing ---------------------------------------------------------------------------


def test_production_hashes_passwords_with_argon2_first(tmp_path):
    decided = _settings_probe(tmp_path, **PRODUCTION_ENV)

    assert decided["hashers"] == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert decided["hash_algorithm"] == "argon2"


def test_development_also_hashes_with_argon2(tmp_path):
    decided = _settings_probe(tmp_path, KETACARE_ENV="development")

    assert decided["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert decided["hash_algorithm"] == "argon2"


def test_only_the_test_environment_puts_a_fast_hasher_first(tmp_path):
    decided = _settings_probe(tmp_path, KETACARE_ENV="test")

    assert decided["hashers"][0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert decided["hashers"][1] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- TOTP two-factor ----------------------------------------------------------------------------


@pytest.fixture
def two_factor_clinic(clinic):
    clinic.require_two_factor = True
    clinic.save(update_fields=["require_two_factor"])
    return clinic


@pytest.fixture
def unverified_nurse(make_staff, two_factor_clinic):
    """A nurse of a clinic that requires two-factor, signed in with a password only."""
    nurse = make_staff("nurse", two_factor_clinic)
    client = Client()
    client.force_login(nurse)
    return nurse, client


def test_required_two_factor_sends_staff_to_set_it_up(unverified_nurse):
    _, client = unverified_nurse

    response = client.get("/patients/")

    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR_URL}?next=/patients/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Set up two-factor sign-in" in page.content


def test_a_correct_totp_code_lets_staff_through(unverified_nurse):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse, client = unverified_nurse
    client.get(TWO_FACTOR_URL)  # creates the unconfirmed device and shows its key
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)

    response = client.post(TWO_FACTOR_URL, {"code": _current_code(device), "next": "/patients/"})

    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200


def test_a_wrong_totp_code_is_refused(unverified_nurse):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse, client = unverified_nurse
    client.get(TWO_FACTOR_URL)
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)

    response = client.post(TWO_FACTOR_URL, {"code": _wrong_code(device), "next": "/patients/"})

    assert response.status_code == 400
    assert b"That code is not valid" in response.content
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/patients/")["Location"] == f"{TWO_FACTOR_URL}?next=/patients/"


def test_a_confirmed_device_is_asked_for_even_where_the_clinic_does_not_require_it(
    make_staff, clinic
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not clinic.require_two_factor
    nurse = make_staff("nurse", clinic)
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    client = Client()
    client.force_login(nurse)

    assert client.get("/")["Location"] == f"{TWO_FACTOR_URL}?next=/"
    page = client.get(TWO_FACTOR_URL)
    assert b"Two-factor verification" in page.content
    assert b"Set up two-factor" not in page.content  # no new key is shown to a verified device
    assert client.post(TWO_FACTOR_URL, {"code": _current_code(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_any_clinic_requiring_two_factor_binds_the_staff_member_everywhere(
    make_staff, clinic, other_clinic
):
    from ketacare.core.models import StaffMembership

    other_clinic.require_two_factor = True
    other_clinic.save(update_fields=["require_two_factor"])
    nurse = make_staff("nurse", clinic)
    StaffMembership.objects.create(
        user=nurse, role="nurse", organisation=clinic.organisation, clinic=other_clinic
    )
    client = Client()
    client.force_login(nurse)

    assert client.get("/patients/")["Location"] == f"{TWO_FACTOR_URL}?next=/patients/"


def test_staff_without_a_device_or_a_requirement_are_not_asked(client_for):
    assert client_for("nurse").get("/patients/").status_code == 200


def test_api_session_auth_refuses_an_unverified_user_of_a_two_factor_clinic(unverified_nurse):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse, client = unverified_nurse

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/patients").status_code == 401

    client.get(TWO_FACTOR_URL)
    device = TOTPDevice.objects.get(user=nurse)
    assert client.post(TWO_FACTOR_URL, {"code": _current_code(device)}).status_code == 302
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == nurse.username


# --- idle timeout -------------------------------------------------------------------------------


def _idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[SESSION_ACTIVITY_KEY] = time.time() - seconds
    session.save()


@pytest.fixture
def idle_limits(settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 600
    settings.PATIENT_IDLE_TIMEOUT_SECONDS = 1800
    return settings


def test_staff_are_signed_out_after_the_idle_timeout(idle_limits, client_for):
    client = client_for("nurse")
    assert client.get("/patients/").status_code == 200  # records the activity

    _idle_for(client, idle_limits.STAFF_IDLE_TIMEOUT_SECONDS + 5)
    response = client.get("/patients/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/patients/"
    assert not _signed_in(client)
    sign_in = client.get(response["Location"])
    assert b"You were signed out after a period of inactivity." in sign_in.content
    assert client.get("/patients/")["Location"].startswith(LOGIN_URL)


def test_activity_within_the_idle_timeout_keeps_staff_signed_in(idle_limits, client_for):
    client = client_for("nurse")
    client.get("/patients/")

    _idle_for(client, idle_limits.STAFF_IDLE_TIMEOUT_SECONDS - 5)

    assert client.get("/patients/").status_code == 200
    assert _signed_in(client)
    assert time.time() - client.session[SESSION_ACTIVITY_KEY] < 5  # the clock restarted


def test_an_idle_staff_session_no_longer_authenticates_the_api(idle_limits, client_for):
    client = client_for("nurse")
    assert client.get("/api/v1/me").status_code == 200

    _idle_for(client, idle_limits.STAFF_IDLE_TIMEOUT_SECONDS + 5)

    assert client.get("/api/v1/me").status_code == 401
    assert not _signed_in(client)


def test_patients_get_the_longer_portal_timeout(idle_limits, patient):
    from ketacare.core.models import User

    account = User.objects.create_user(username="jane.portal", password=PASSWORD)
    patient.portal_user = account
    patient.save(update_fields=["portal_user"])
    client = Client()
    client.force_login(account)
    assert client.get("/portal/").status_code == 200

    _idle_for(client, idle_limits.STAFF_IDLE_TIMEOUT_SECONDS + 5)  # past the staff limit
    assert client.get("/portal/").status_code == 200

    _idle_for(client, idle_limits.PATIENT_IDLE_TIMEOUT_SECONDS + 5)
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/portal/"


# --- CSRF ---------------------------------------------------------------------------------------


def _csrf_client(user) -> tuple[Client, str]:
    """A client that enforces CSRF like a browser, signed in, holding a CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/patients/new/").status_code == 200  # renders {% csrf_token %}
    return client, client.cookies["csrftoken"].value


def test_a_page_post_without_a_csrf_token_is_refused(staff, patient):
    from ketacare.patients.models import IntakeLink

    client, token = _csrf_client(staff["front_desk"])
    url = f"/patients/{patient.pk}/intake/send-link/"

    assert client.post(url).status_code == 403
    assert client.post(url, {"csrfmiddlewaretoken": "x" * 32}).status_code == 403
    assert IntakeLink.objects.count() == 0
    assert mail.outbox == []

    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert IntakeLink.objects.filter(patient=patient).count() == 1
    assert len(mail.outbox) == 1


def test_an_api_post_on_the_session_without_a_csrf_token_is_refused(staff, clinic):
    from ketacare.patients.models import Patient

    client, token = _csrf_client(staff["front_desk"])
    body = json.dumps(
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1990-01-02",
            "sex_at_birth": "female",
        }
    )

    response = client.post("/api/v1/patients", body, content_type="application/json")
    assert response.status_code == 403
    assert Patient.objects.count() == 0

    response = client.post(
        "/api/v1/patients", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
    assert Patient.objects.filter(clinic=clinic, last_name="Lee").count() == 1


def test_the_login_form_requires_a_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)

    response = _login(client, staff["nurse"].username, PASSWORD)

    assert response.status_code == 403
    assert not _signed_in(client)


# --- Content-Security-Policy and other headers --------------------------------------------------

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_the_sign_in_page_carries_the_content_security_policy(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert _csp(response) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/patients/", "/patients/{pid}/", "/patients/{pid}/intake/"])
def test_staff_pages_carry_the_content_security_policy(client_for, patient, path):
    response = client_for("nurse").get(path.format(pid=patient.pk))

    assert response.status_code == 200
    assert _csp(response) == EXPECTED_CSP
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


# --- cookie flags -------------------------------------------------------------------------------


def test_cookies_are_secure_when_secure_cookies_is_on(settings, staff):
    settings.SESSION_COOKIE_SECURE = True  # what SECURE_COOKIES=true sets
    settings.CSRF_COOKIE_SECURE = True
    client = Client()

    csrf = client.get(LOGIN_URL).cookies["csrftoken"]
    session = _login(client, staff["nurse"].username, PASSWORD).cookies["sessionid"]

    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_cookies_are_not_marked_secure_when_secure_cookies_is_off(settings, staff):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    client = Client()

    csrf = client.get(LOGIN_URL).cookies["csrftoken"]
    session = _login(client, staff["nurse"].username, PASSWORD).cookies["sessionid"]

    assert not csrf["secure"]
    assert not session["secure"]
    assert session["httponly"] is True  # never readable from scripts


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({**PRODUCTION_ENV}, True),
        ({**PRODUCTION_ENV, "SECURE_COOKIES": "false"}, False),
        ({"KETACARE_ENV": "development"}, False),
        ({"KETACARE_ENV": "development", "SECURE_COOKIES": "true"}, True),
    ],
    ids=["production default", "production off", "development default", "development on"],
)
def test_secure_cookies_follows_the_environment(tmp_path, env, secure):
    decided = _settings_probe(tmp_path, **env)

    assert decided["session_cookie_secure"] is secure
    assert decided["csrf_cookie_secure"] is secure
    assert decided["session_cookie_httponly"] is True


# --- bearer tokens ------------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_bearer_token_authenticates_api_calls(staff, clinic):
    from ketacare.core.models import ApiToken

    api_token, token = ApiToken.issue(user=staff["nurse"], name="integration")
    assert api_token.last_used_at is None

    response = Client().get("/api/v1/me", **_bearer(token))

    assert response.status_code == 200
    assert response.json()["username"] == staff["nurse"].username
    assert response.json()["roles"] == ["nurse"]
    assert response.json()["clinic"]["id"] == clinic.pk
    api_token.refresh_from_db()
    assert api_token.last_used_at is not None


def test_a_bearer_token_carries_its_users_permissions(staff, patient):
    from ketacare.core.models import ApiToken

    _, front_desk = ApiToken.issue(user=staff["front_desk"], name="desk")
    _, nurse = ApiToken.issue(user=staff["nurse"], name="ward")
    url = f"/api/v1/patients/{patient.pk}/intake/versions"

    assert Client().get(url, **_bearer(front_desk)).status_code == 403  # no chart.view
    assert Client().get(url, **_bearer(nurse)).status_code == 200


def test_a_bearer_token_needs_no_csrf_token(staff):
    from ketacare.core.models import ApiToken

    _, token = ApiToken.issue(user=staff["front_desk"], name="desk", scopes=("read", "write"))
    body = {
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": "1990-01-02",
        "sex_at_birth": "female",
    }

    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/patients", json.dumps(body), content_type="application/json", **_bearer(token)
    )

    assert response.status_code == 201


def test_a_revoked_token_is_refused(staff):
    from ketacare.core.models import ApiToken

    api_token, token = ApiToken.issue(user=staff["nurse"], name="integration")
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 200

    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])

    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(staff):
    from ketacare.core.models import ApiToken

    nurse = staff["nurse"]
    _, token = ApiToken.issue(user=nurse, name="integration")
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])

    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer kc_not-a-token"}, {"HTTP_AUTHORIZATION": "Basic abc"}],
    ids=["none", "unknown token", "wrong scheme"],
)
def test_the_api_refuses_calls_without_valid_credentials(db, headers):
    assert Client().get("/api/v1/me", **headers).status_code == 401
