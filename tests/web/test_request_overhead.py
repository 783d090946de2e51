"""What every request pays before its view: one user query, one membership query, and writes
only when the stored activity time or the token's last use is over a minute old."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.core.middleware import ACTIVITY_WRITE_SECONDS, SESSION_ACTIVITY_KEY
from ketacare.core.models import ApiToken


def _sql(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def _writes_to(table: str, statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("UPDATE") and f'"{table}"' in s]


def _set_activity(client: Client, seconds_ago: float) -> None:
    session = client.session
    session[SESSION_ACTIVITY_KEY] = time.time() - seconds_ago
    session.save()


def test_a_page_view_within_a_minute_of_the_last_activity_does_not_write_the_session(
    client_for,
):
    client = client_for("nurse")
    client.get("/patients/")
    _set_activity(client, 5)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/patients/").status_code == 200

    assert _writes_to("django_session", _sql(queries)) == []


def test_the_activity_time_is_written_again_once_it_is_a_minute_old(client_for):
    client = client_for("nurse")
    client.get("/patients/")
    _set_activity(client, ACTIVITY_WRITE_SECONDS + 1)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/patients/").status_code == 200

    assert len(_writes_to("django_session", _sql(queries))) == 1
    assert time.time() - client.session[SESSION_ACTIVITY_KEY] < 5


def test_the_user_profile_and_authenticator_come_in_one_query_and_roles_in_one_more(client_for):
    client = client_for("nurse")
    client.get("/patients/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/patients/").status_code == 200

    statements = _sql(queries)
    user_queries = [s for s in statements if 'FROM "core_user"' in s]
    assert len(user_queries) == 1
    assert '"otp_totp_totpdevice"' in user_queries[0]  # the two-factor gate's question
    assert '"patients_patient"' in user_queries[0]  # the idle timeout's question
    assert len([s for s in statements if '"otp_totp_totpdevice"' in s]) == 1
    assert len([s for s in statements if 'FROM "core_staffmembership"' in s]) == 1
    assert not [s for s in statements if 'FROM "core_clinic"' in s]


def test_a_token_used_again_within_a_minute_is_not_written(staff):
    api_token, token = ApiToken.issue(user=staff["nurse"], name="integration")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/me", **bearer).status_code == 200
    api_token.refresh_from_db()
    first_use = api_token.last_used_at
    assert first_use is not None

    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/api/v1/me", **bearer).status_code == 200

    assert _writes_to("core_apitoken", _sql(queries)) == []
    api_token.refresh_from_db()
    assert api_token.last_used_at == first_use


def test_a_token_last_used_over_a_minute_ago_is_written_again(staff):
    api_token, token = ApiToken.issue(user=staff["nurse"], name="integration")
    long_ago = timezone.now() - dt.timedelta(seconds=ACTIVITY_WRITE_SECONDS + 1)
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=long_ago)

    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    api_token.refresh_from_db()
    assert api_token.last_used_at > long_ago


def test_every_sign_in_names_a_backend_that_is_configured(settings):
    """A session signed in through a backend no longer listed is anonymous on its next request."""
    from pathlib import Path

    import ketacare
    from ketacare.core.auth_backend import PATH

    assert PATH in settings.AUTHENTICATION_BACKENDS
    root = Path(ketacare.__file__).parent
    stale = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "django.contrib.auth.backends.ModelBackend" in path.read_text()
    ]
    assert stale == [], f"sign in with ketacare.core.auth_backend.PATH instead: {stale}"


def test_a_page_reads_the_clinics_protocol_settings_once(client_for, patient):
    """The chart, its panels and the services they call all read the clinic's protocol: one
    query per request; a change in the same request is read again (the settings API answers
    the new value)."""
    client = client_for("prescriber")
    client.get(f"/patients/{patient.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/patients/{patient.pk}/").status_code == 200
    reads = [s for s in _sql(queries) if 'FROM "clinic_settings_clinicsetting"' in s]
    assert len(reads) == 1, reads
    director = client_for("medical_director")
    key = "treatment.dosing.iv.max_mg_per_kg"
    response = director.put(
        "/api/v1/clinic-settings", data={"values": {key: 0.8}}, content_type="application/json"
    )
    assert response.status_code == 200
    assert {r["key"]: r["value"] for r in response.json()["settings"]}[key] == 0.8
