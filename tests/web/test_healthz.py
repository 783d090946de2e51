"""GET /healthz: 200 when the database answers, 503 when it does not, never behind a login."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import DatabaseError, OperationalError
from django.db.backends.utils import CursorWrapper

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("error", [DatabaseError("gone"), OperationalError("connection refused")])
def test_healthz_answers_503_when_the_database_fails(client, error):
    with mock.patch.object(CursorWrapper, "execute", side_effect=error) as execute:
        response = client.get("/healthz")

    execute.assert_called_once_with("SELECT 1")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


def test_healthz_recovers_once_the_database_answers_again(client):
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("down")):
        assert client.get("/healthz").status_code == 503

    assert client.get("/healthz").status_code == 200


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_not_held_back_by_a_required_second_factor(make_staff, clinic):
    """A signed-in but unverified staff member of a two-factor clinic still reaches /healthz."""
    from django.test import Client

    clinic.require_two_factor = True
    clinic.save()
    c = Client()
    c.force_login(make_staff("nurse", clinic))

    assert c.get("/").status_code == 302  # every page waits for the second factor ...
    response = c.get("/healthz")  # ... the health check does not
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
