"""``ketacare setup`` on an empty database: what it creates, what it refuses, and a second run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.audit.models import AuditEntry
from ketacare.core.models import Clinic, Organisation, StaffMembership, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-clinic-passphrase"
FLAGS = {
    "organisation": "Harbor Health",
    "clinic": "Harbor Clinic",
    "time_zone": "America/Chicago",
    "admin_email": "Ada@Example.org",
}


def run(*args: str, **flags) -> str:
    out = io.StringIO()
    call_command("setup", *args, stdout=out, stderr=io.StringIO(), **flags)
    return out.getvalue()


@pytest.fixture
def admin_password(monkeypatch):
    monkeypatch.setenv("KETACARE_ADMIN_PASSWORD", PASSWORD)


def nothing_created() -> bool:
    return not (Organisation.objects.exists() or Clinic.objects.exists() or User.objects.exists())


def test_setup_creates_the_organisation_clinic_and_administrator(admin_password, client):
    out = run("--no-input", **FLAGS)
    clinic = Clinic.objects.get()
    assert clinic.organisation.name == "Harbor Health"
    assert (clinic.name, clinic.time_zone, clinic.mrn_prefix) == (
        "Harbor Clinic",
        "America/Chicago",
        "HC",
    )
    admin = User.objects.get()
    assert admin.username == "ada@example.org" and admin.email == "Ada@Example.org"
    roles = set(
        StaffMembership.objects.filter(user=admin, clinic=clinic).values_list("role", flat=True)
    )
    assert roles == {"clinic_admin", "medical_director"}
    assert "Sign in at" in out and "ada@example.org" in out.lower()
    assert client.login(username="ada@example.org", password=PASSWORD)
    assert client.get("/clinic/settings/").status_code == 200
    assert AuditEntry.objects.filter(object_type="clinic", action="create").exists()


def test_unknown_time_zone_is_refused_and_nothing_is_created(admin_password):
    with pytest.raises(
        CommandError,
        match=r"'America/Chicgo' is not a known IANA time zone.*"
        r"Did you mean America/Chicago",
    ):
        run("--no-input", **(FLAGS | {"time_zone": "America/Chicgo"}))
    assert nothing_created()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (None, "Set KETACARE_ADMIN_PASSWORD"),
        ("short", "This password is too short"),
        ("password123", "too common"),
    ],
)
def test_a_missing_or_weak_password_is_refused(monkeypatch, env, message):
    if env is None:
        monkeypatch.delenv("KETACARE_ADMIN_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("KETACARE_ADMIN_PASSWORD", env)
    with pytest.raises(CommandError, match=message):
        run("--no-input", **FLAGS)
    assert nothing_created()


def test_no_input_needs_every_option(admin_password):
    with pytest.raises(CommandError, match="--no-input needs --time-zone, --admin-email"):
        run("--no-input", organisation="Harbor Health", clinic="Harbor Clinic")
    assert nothing_created()


def test_bad_email_is_refused(admin_password):
    with pytest.raises(CommandError, match="is not an e-mail address"):
        run("--no-input", **(FLAGS | {"admin_email": "ada-at-example"}))
    assert nothing_created()


def test_a_second_run_refuses_unless_asked_to_add_a_clinic(admin_password):
    run("--no-input", **FLAGS)
    with pytest.raises(CommandError, match=r"already set up.*--add-clinic"):
        run("--no-input", **(FLAGS | {"clinic": "Hill Clinic"}))
    assert Clinic.objects.count() == 1

    out = run(
        "--no-input",
        "--add-clinic",
        **(FLAGS | {"clinic": "Hill Clinic", "time_zone": "America/Denver"}),
    )
    hill = Clinic.objects.get(name="Hill Clinic")
    admin = User.objects.get()  # the same account, now administrator of both clinics
    assert hill.organisation == Organisation.objects.get()
    assert StaffMembership.objects.filter(user=admin, clinic=hill).count() == 2
    assert "(new account)" not in out

    with pytest.raises(CommandError, match="already has a clinic named Hill Clinic"):
        run("--no-input", "--add-clinic", **(FLAGS | {"clinic": "hill clinic"}))
    with pytest.raises(CommandError, match="no organisation named 'Other'"):
        run("--no-input", "--add-clinic", **(FLAGS | {"organisation": "Other", "clinic": "X"}))


def test_add_clinic_before_any_setup_is_refused(admin_password):
    with pytest.raises(CommandError, match="no organisation to add a clinic to"):
        run("--no-input", "--add-clinic", **FLAGS)
    assert nothing_created()


def test_interactive_setup_asks_for_what_is_missing(monkeypatch):
    monkeypatch.delenv("KETACARE_ADMIN_PASSWORD", raising=False)
    answers = iter(
        ["Harbor Health", "Harbor Clinic", "Europe/Lodnon", "Europe/London", "ada@example.org"]
    )
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    passwords = iter(["mismatch-one-here", "mismatch-two-here", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    run()
    clinic = Clinic.objects.get()
    assert clinic.time_zone == "Europe/London"
    assert User.objects.get().check_password(PASSWORD)
