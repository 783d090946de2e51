from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_issued_token_works_until_revoked(client, staff, patient):
    out = io.StringIO()
    call_command(
        "api_token", "issue", staff["nurse"].username, "script", stdout=out, stderr=io.StringIO()
    )
    token = out.getvalue().strip()
    assert (
        client.get(
            f"/api/v1/patients/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 200
    )
    with pytest.raises(CommandError, match="already has an active token"):
        call_command("api_token", "issue", staff["nurse"].username, "script", stdout=io.StringIO())
    call_command("api_token", "revoke", staff["nurse"].username, "script", stdout=io.StringIO())
    assert (
        client.get(
            f"/api/v1/patients/{patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 401
    )
    with pytest.raises(CommandError, match="no active token"):
        call_command("api_token", "revoke", staff["nurse"].username, "script", stdout=io.StringIO())


def test_unknown_user_is_refused():
    with pytest.raises(CommandError, match="No active user"):
        call_command("api_token", "issue", "nobody", "x", stdout=io.StringIO())
