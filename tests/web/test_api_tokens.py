"""Bearer tokens carry scopes and expire; X-Ketacare-Clinic never falls back to another clinic."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.core.models import ApiToken
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1990-01-02",
    "sex_at_birth": "female",
}


def _bearer(token: str, **headers) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}


def _post(token: str, path: str, body: dict, **headers):
    return Client().post(
        path, json.dumps(body), content_type="application/json", **_bearer(token, **headers)
    )


# --- scopes ---------------------------------------------------------------------------------------


def test_a_read_token_reads_but_may_not_write(staff, patient):
    _, token = ApiToken.issue(user=staff["front_desk"], name="desk")

    assert Client().get(f"/api/v1/patients/{patient.pk}", **_bearer(token)).status_code == 200
    response = _post(token, "/api/v1/patients", NEW_PATIENT)

    assert response.status_code == 403
    assert "lacks the 'write' scope" in response.json()["detail"]
    assert not Patient.objects.filter(last_name="Lee").exists()


def test_a_write_token_writes_but_may_not_read(staff):
    _, token = ApiToken.issue(user=staff["front_desk"], name="desk", scopes=("write",))

    assert _post(token, "/api/v1/patients", NEW_PATIENT).status_code == 201
    assert Client().get("/api/v1/patients", **_bearer(token)).status_code == 403


def test_the_audit_trail_needs_the_admin_scope(staff):
    director = staff["medical_director"]
    _, reader = ApiToken.issue(user=director, name="reader")
    _, admin = ApiToken.issue(user=director, name="admin", scopes=("read", "admin"))

    refused = Client().get("/api/v1/audit", **_bearer(reader))

    assert refused.status_code == 403 and "'admin' scope" in refused.json()["detail"]
    assert Client().get("/api/v1/audit", **_bearer(admin)).status_code == 200


def test_scopes_never_widen_the_users_roles(staff, patient):
    _, token = ApiToken.issue(user=staff["front_desk"], name="desk", scopes=("read", "admin"))

    assert Client().get("/api/v1/audit", **_bearer(token)).status_code == 403


def test_fhir_scopes_open_nothing_on_the_rest_api(staff, patient):
    row, token = ApiToken.issue(
        user=staff["nurse"], name="fhir", scopes=("patient/*.read", "user/*.read", "system/*.read")
    )

    refused = Client().get(f"/api/v1/patients/{patient.pk}", **_bearer(token))

    assert row.scopes == "patient/*.read,user/*.read,system/*.read"
    assert refused.status_code == 403 and "lacks the 'read' scope" in refused.json()["detail"]


def test_an_expired_token_is_refused(staff):
    row, token = ApiToken.issue(user=staff["nurse"], name="script")
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 200

    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("scopes", "days", "field"),
    [
        (("read", "delete"), 90, "scopes"),
        ((), 90, "scopes"),
        (("read",), 0, "expires_in_days"),
        (("read",), 367, "expires_in_days"),
    ],
)
def test_tokens_are_issued_only_with_known_scopes_and_a_bounded_life(staff, scopes, days, field):
    from ketacare.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        ApiToken.issue(user=staff["nurse"], name="x", scopes=scopes, expires_in_days=days)
    assert list(refused.value.fields) == [field]


# --- the api_token command ------------------------------------------------------------------------


def test_the_command_issues_scoped_expiring_tokens_and_lists_them(staff):
    nurse = staff["nurse"].username
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "api_token",
        "issue",
        nurse,
        "sync",
        "--scopes",
        "read,write",
        "--expires-in-days",
        "30",
        stdout=out,
        stderr=err,
    )

    row = ApiToken.objects.get(name="sync")
    assert row.scopes == "read,write"
    assert (
        dt.timedelta(days=29, hours=23) < row.expires_at - row.created_at <= dt.timedelta(days=30)
    )
    assert "Scopes read,write; expires" in err.getvalue()
    listed = io.StringIO()
    call_command("api_token", "list", nurse, stdout=listed)
    assert listed.getvalue().split("\t")[:3] == ["sync", "active", "read,write"]
    assert AuditEntry.objects.filter(
        object_type="api_token", summary__contains="read,write"
    ).exists()


def test_the_command_defaults_to_a_read_token_and_refuses_unknown_scopes(staff):
    nurse = staff["nurse"].username
    call_command("api_token", "issue", nurse, "ro", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.get(name="ro").scopes == "read"

    with pytest.raises(CommandError, match="comma-separated choice of read, write, admin"):
        call_command(
            "api_token",
            "issue",
            nurse,
            "bad",
            "--scopes",
            "everything",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    with pytest.raises(CommandError, match="from 1 to 366 days"):
        call_command(
            "api_token",
            "issue",
            nurse,
            "bad",
            "--expires-in-days",
            "1000",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


# --- X-Ketacare-Clinic ----------------------------------------------------------------------------


@pytest.fixture
def desk_token(staff):
    return ApiToken.issue(user=staff["front_desk"], name="desk", scopes=("read", "write"))[1]


@pytest.mark.parametrize("header", ["garbage", "-1", "1.5", "9223372036854775808", "٣"])
def test_a_clinic_header_that_is_no_clinic_id_is_a_bad_request(desk_token, header):
    response = _post(desk_token, "/api/v1/patients", NEW_PATIENT, HTTP_X_KETACARE_CLINIC=header)

    assert response.status_code == 400
    assert "X-Ketacare-Clinic must be the id of a clinic" in response.json()["detail"]
    assert not Patient.objects.exists()


def test_a_clinic_without_a_role_there_is_refused_not_replaced(desk_token, other_clinic):
    response = _post(
        desk_token, "/api/v1/patients", NEW_PATIENT, HTTP_X_KETACARE_CLINIC=str(other_clinic.pk)
    )

    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == f"You have no role at clinic {other_clinic.pk} (X-Ketacare-Clinic)."
    )
    assert not Patient.objects.exists()
    refusal = AuditEntry.objects.get(action="denied")
    assert refusal.changes["clinic_header"] == str(other_clinic.pk)


def test_the_session_api_refuses_a_foreign_clinic_header_too(client_for, other_clinic):
    response = client_for("nurse").get("/api/v1/me", HTTP_X_KETACARE_CLINIC=str(other_clinic.pk))

    assert response.status_code == 403


def test_a_clinic_where_the_caller_works_is_used(make_staff, clinic, other_clinic, organisation):
    from ketacare.core.models import StaffMembership

    desk = make_staff("front_desk", clinic)
    StaffMembership.objects.create(
        user=desk, role="front_desk", organisation=organisation, clinic=other_clinic
    )
    _, token = ApiToken.issue(user=desk, name="desk", scopes=("write",))

    response = _post(
        token, "/api/v1/patients", NEW_PATIENT, HTTP_X_KETACARE_CLINIC=str(other_clinic.pk)
    )

    assert response.status_code == 201
    assert Patient.objects.get(last_name="Lee").clinic == other_clinic
