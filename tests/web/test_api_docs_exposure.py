"""In production the API's description needs sign-in: it maps every operation."""

from __future__ import annotations

import pytest
from django.test import Client

from ketacare.core.models import ApiToken

pytestmark = pytest.mark.django_db

DOCS, SCHEMA = "/api/v1/docs", "/api/v1/openapi.json"


@pytest.fixture
def docs_private(settings):
    settings.API_DOCS_PUBLIC = False  # production's default


def test_anonymous_callers_get_neither_the_docs_nor_the_schema(docs_private):
    schema = Client().get(SCHEMA)
    docs = Client().get(DOCS)

    assert schema.status_code == 401
    assert schema.json()["detail"] == "Sign in, or send an API token, to read the API description."
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/?next=")


def test_signed_in_staff_read_both(docs_private, client_for):
    nurse = client_for("nurse")

    assert nurse.get(SCHEMA).status_code == 200
    assert nurse.get(DOCS).status_code == 200


def test_an_api_token_reads_the_schema_and_a_revoked_one_does_not(docs_private, staff):
    from django.utils import timezone

    row, token = ApiToken.issue(user=staff["nurse"], name="client-generator")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get(SCHEMA, **headers).status_code == 200

    ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())

    assert Client().get(SCHEMA, **headers).status_code == 401


def test_a_patients_portal_account_does_not_read_them(docs_private, patient):
    from ketacare.core.models import User

    account = User.objects.create_user("portal-user", password="portal-password-1")
    patient.portal_user = account
    patient.save(update_fields=["portal_user"])
    portal = Client()
    portal.force_login(account)

    assert portal.get(SCHEMA).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "public"),
    [({}, "False"), ({"API_DOCS_PUBLIC": "true"}, "True")],
    ids=["production default", "opened on purpose"],
)
def test_production_keeps_the_description_private_unless_told(tmp_path, overrides, public):
    from tests.web.test_production import _production_env, _python

    script = "from django.conf import settings; print(settings.API_DOCS_PUBLIC)"
    result = _python(["-c", script], _production_env(tmp_path, **overrides))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == public
