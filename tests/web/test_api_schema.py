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
def everything_token(db, organisation, clinic, make_staff, patient):
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
