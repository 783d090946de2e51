"""Brute-force protection per account and client, with progressive waits, that a stranger cannot
use to lock out the clinician on duty, and that an admin can lift."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.core.lockout import DEVICE_COOKIE
from ketacare.core.models import SignInThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests/conftest.py make_staff
LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.7"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(username: str, times: int, *, ip: str = "10.0.0.9", client: Client | None = None):
    for _ in range(times):
        _login(client or Client(), username, "wrong password", ip)


def _wait_is_over(username: str) -> None:
    """Move every wait of the account into the past (instead of sleeping)."""
    SignInThrottle.objects.filter(username=username).update(
        blocked_until=timezone.now() - dt.timedelta(seconds=1)
    )


def _waits(username: str, client: str) -> dt.timedelta:
    row = SignInThrottle.objects.get(username=username, client=client)
    return row.blocked_until - row.last_failure_at


def test_the_wait_starts_at_the_limit_and_doubles_with_each_further_failure(staff):
    nurse = staff["nurse"].username
    _fail(nurse, 2)
    assert not SignInThrottle.objects.filter(blocked_until__isnull=False).exists()

    seen = []
    for _ in range(3):
        response = _login(Client(), nurse, "wrong password", "10.0.0.9")
        seen.append(_waits(nurse, "ip:10.0.0.9"))
        assert response.status_code == 429
        _wait_is_over(nurse)

    assert seen == [dt.timedelta(seconds=30), dt.timedelta(seconds=60), dt.timedelta(seconds=120)]


def test_the_wait_is_capped_at_the_cool_off(staff, axes_on):
    axes_on.AXES_COOLOFF_HOURS = 0.01  # 36 s
    nurse = staff["nurse"].username
    for _ in range(5):
        _fail(nurse, 1)
        _wait_is_over(nurse)
    _fail(nurse, 1)  # the 6th failure: 30 s × 2³ would be 240 s

    assert _waits(nurse, "ip:10.0.0.9") == dt.timedelta(seconds=36)


def test_during_the_wait_even_the_right_password_is_refused_and_not_counted(staff):
    nurse = staff["nurse"].username
    _fail(nurse, 3)
    failures = SignInThrottle.objects.get(username=nurse, client="ip:10.0.0.9").failures

    response = _login(Client(), nurse, PASSWORD, "10.0.0.9")

    assert response.status_code == 429
    assert b"Try again in 30 seconds" in response.content
    assert 25 <= int(response["Retry-After"]) <= 30
    assert SignInThrottle.objects.get(username=nurse, client="ip:10.0.0.9").failures == failures


def test_a_stranger_cannot_lock_out_the_clinicians_own_browser(staff):
    director = staff["medical_director"].username
    workstation = Client()
    assert _login(workstation, director, PASSWORD, "10.0.0.1").status_code == 302
    assert DEVICE_COOKIE in workstation.cookies
    workstation.post("/accounts/logout/")

    _fail(director, 40, ip="10.0.0.1")  # behind the same proxy, every allowance used up
    assert _login(Client(), director, PASSWORD, "10.0.0.1").status_code == 429

    assert _login(workstation, director, PASSWORD, "10.0.0.1").status_code == 302


def test_the_clinicians_browser_counts_its_own_failures(staff):
    nurse = staff["nurse"].username
    own = Client()
    _login(own, nurse, PASSWORD)
    own.post("/accounts/logout/")

    _fail(nurse, 3, client=own)

    assert _login(own, nurse, PASSWORD).status_code == 429
    assert _login(Client(), nurse, PASSWORD, "10.0.0.8").status_code == 302  # others unaffected


def test_a_device_cookie_of_one_account_does_not_vouch_for_another(staff):
    browser = Client()
    _login(browser, staff["nurse"].username, PASSWORD)
    browser.post("/accounts/logout/")
    prescriber = staff["prescriber"].username

    _fail(prescriber, 3, client=browser, ip="10.0.0.7")

    assert _login(browser, prescriber, PASSWORD, "10.0.0.7").status_code == 429


def test_guessing_from_many_addresses_pauses_new_devices_only(staff):
    nurse = staff["nurse"].username
    for n in range(12):  # four allowances of 3, each from its own address
        _fail(nurse, 1, ip=f"192.0.2.{n}")

    assert _login(Client(), nurse, PASSWORD, "198.51.100.1").status_code == 429
    assert _login(Client(), staff["prescriber"].username, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_clients_count(staff):
    nurse = staff["nurse"].username
    _fail(nurse, 2, ip="10.0.0.7")

    assert _login(Client(), nurse, PASSWORD, "10.0.0.7").status_code == 302
    assert not SignInThrottle.objects.filter(username=nurse, client="ip:10.0.0.7").exists()


def test_a_clinic_admin_sees_the_pause_and_unlocks_it(staff, client_for):
    nurse = staff["nurse"]
    _fail(nurse.username, 3)
    admin = client_for("clinic_admin")

    page = admin.get(f"/clinic/staff/{nurse.pk}/").content.decode()
    assert "Sign-in paused" in page and "address 10.0.0.9" in page

    response = admin.post(f"/clinic/staff/{nurse.pk}/unlock-sign-in/")

    assert response.status_code == 302
    assert not SignInThrottle.objects.filter(username=nurse.username).exists()
    assert _login(Client(), nurse.username, PASSWORD, "10.0.0.9").status_code == 302
    entry = AuditEntry.objects.filter(object_type="user", action="update").latest("sequence")
    assert entry.summary == f"Sign-in of {nurse.username} unlocked (2 counts cleared)"


@pytest.mark.parametrize("role", ["nurse", "front_desk", "prescriber", "billing"])
def test_only_clinic_managers_unlock(staff, client_for, role):
    _fail(staff["nurse"].username, 3)

    response = client_for(role).post(f"/clinic/staff/{staff['nurse'].pk}/unlock-sign-in/")

    assert response.status_code == 403
    assert SignInThrottle.objects.filter(username=staff["nurse"].username).exists()


def test_staff_of_another_clinic_cannot_be_unlocked_from_here(client_for, make_staff, other_clinic):
    elsewhere = make_staff("nurse", other_clinic)
    _fail(elsewhere.username, 3)

    response = client_for("clinic_admin").post(f"/clinic/staff/{elsewhere.pk}/unlock-sign-in/")

    assert response.status_code == 404
    assert SignInThrottle.objects.filter(username=elsewhere.username).exists()


def test_the_unlock_command(staff):
    nurse = staff["nurse"].username
    _fail(nurse, 3)
    out = io.StringIO()

    call_command("unlock_sign_in", nurse, stdout=out)

    assert out.getvalue().strip() == f"{nurse} can sign in again (2 counts cleared)."
    assert _login(Client(), nurse, PASSWORD, "10.0.0.9").status_code == 302
