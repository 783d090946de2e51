"""The OpenAPI document describes the API: every operation, driven by schemathesis in-process
(WSGI, no network) with a bounded, derandomised number of generated requests each, answers
without a server error, with a status code and a body its schema documents."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ketacare.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ALL_ROLES = ("front_desk", "nurse", "prescriber", "medical_director", "billing", "clinic_admin")


@pytest.fixture
def in_test_transaction():
    """Requests go through the WSGI handler, which would close the connection at each request
    start and end (and with it the test's transaction on PostgreSQL); the test client does
    the same to keep it open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def everything_token(db, organisation, clinic, make_staff, patient, in_test_transaction):
    """A token of someone holding every role at the clinic, with every scope."""
    from ketacare.core.models import ApiToken, StaffMembership

    user = make_staff("medical_director", clinic, username="schemathesis")
    for role in ALL_ROLES:
        if role != "medical_director":
            StaffMembership.objects.create(
                user=user, role=role, credential="MD", organisation=organisation, clinic=clinic
            )
    return ApiToken.issue(user=user, name="schemathesis", scopes=("read", "write", "admin"))[1]


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_matches_its_schema(case, everything_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {everything_token}"}, checks=CHECKS)


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("medical_director", "put", "/api/v1/assessments/settings", "[null, null]"),
        ("prescriber", "post", "/api/v1/patients/{pid}/intake/1/sign", "5"),
    ],
    ids=["settings as a list", "sign with a number"],
)
def test_bodies_of_the_wrong_shape_are_refused(client_for, patient, role, method, path, body):
    """Two operations that used to accept them: every API body is a JSON object."""
    response = getattr(client_for(role), method)(
        path.format(pid=patient.pk), body, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "body": "The body must be a JSON object ({...}) with the fields this operation takes."
    }
