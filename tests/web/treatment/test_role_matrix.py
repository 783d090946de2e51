"""Every treatment page and API endpoint against every role, the denials included.

The expected outcome comes from the permission matrix (ketacare.core.roles); each case names the
capability it needs.
"""

from __future__ import annotations

import json

import pytest

from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES, base_world, from_module_world
from tests.web.expected_status import signed_out, success
from tests.web.treatment.conftest import (
    new_booked_course,
    new_eligible_course,
    require_trd_trials,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_data):
    """Built once for the module: a course with a draft IV order, a booked treatment, and a
    consent the patient signed (the ``world`` of the treatment tests)."""
    with module_data.building():
        base = base_world()
        clinic, staff, patient = base["clinic"], base["staff"], base["patient"]
        require_trd_trials(clinic, staff["medical_director"])
        course = new_eligible_course(patient, prescriber=staff["prescriber"])
        world = new_booked_course(course, staff=staff, patient=patient, clinic=clinic)
        return base | {"world": world}


organisation, clinic, staff, patient, world = from_module_world(
    "organisation", "clinic", "staff", "patient", "world"
)

# (label, method, url template, capability, body)
PAGES = [
    ("treatment overview", "get", "/treatment/patients/{pid}/", Capability.CHART_VIEW, None),
    (
        "run screening",
        "post",
        "/treatment/patients/{pid}/screen/",
        Capability.ELIGIBILITY_SCREEN,
        {"route": "racemic_iv", "indication": "depression"},
    ),
    ("screening", "get", "/treatment/screenings/{sid}/", Capability.CHART_VIEW, None),
    ("plan form", "get", "/treatment/patients/{pid}/courses/new/", Capability.PLAN_EDIT, None),
    ("course", "get", "/treatment/courses/{cid}/", Capability.CHART_VIEW, None),
    ("order form", "get", "/treatment/courses/{cid}/order/", Capability.PLAN_EDIT, None),
    ("sign order", "post", "/treatment/orders/{oid}/sign/", Capability.ORDER_SIGN, {}),
    ("cancel order", "post", "/treatment/orders/{oid}/cancel/", Capability.PLAN_EDIT, {}),
    ("phase", "post", "/treatment/courses/{cid}/phase/", Capability.PLAN_EDIT, {"to": "induction"}),
    (
        "checklist",
        "post",
        "/treatment/courses/{cid}/checklist/escort/",
        Capability.PLAN_EDIT,
        {"note": "sister drives"},
    ),
    ("aftercare form", "get", "/treatment/courses/{cid}/aftercare/", Capability.PLAN_EDIT, None),
    ("book form", "get", "/treatment/courses/{cid}/book/", Capability.APPOINTMENT_BOOK, None),
    (
        "cancel appointment",
        "post",
        "/treatment/appointments/{aid}/cancel/",
        Capability.APPOINTMENT_BOOK,
        {"reason": "unwell"},
    ),
    ("schedule", "get", "/treatment/schedule/", Capability.APPOINTMENT_BOOK, None),
    ("protocol", "get", "/treatment/protocol/", Capability.PROTOCOL_VIEW, None),
    ("consent forms", "get", "/treatment/consents/", Capability.CONSENT_MANAGE, None),
    (
        "publish consent",
        "post",
        "/treatment/consents/publish/",
        Capability.PROTOCOL_EDIT,
        {"route": "racemic_iv", "title": "Consent v2", "body": "New wording."},
    ),
    (
        "countersign",
        "post",
        "/treatment/consent-signatures/{sigid}/countersign/",
        Capability.CONSENT_MANAGE,
        {},
    ),
]

# Pages that moved to the scheduling app: a permitted role is sent there.
MOVED = {"book form": 302, "schedule": 302}

API = [
    ("protocol", "get", "/api/v1/treatment/protocol", Capability.PROTOCOL_VIEW, None),
    (
        "protocol change",
        "put",
        "/api/v1/treatment/protocol/bp.pre_treatment_systolic_max_mmhg",
        Capability.PROTOCOL_EDIT,
        {"value": 150},
    ),
    (
        "protocol reset",
        "delete",
        "/api/v1/treatment/protocol/trd.required_adequate_trials",
        Capability.PROTOCOL_EDIT,
        None,
    ),
    (
        "screen",
        "post",
        "/api/v1/treatment/patients/{pid}/screenings",
        Capability.ELIGIBILITY_SCREEN,
        {"route": "racemic_iv", "indication": "depression"},
    ),
    (
        "screenings",
        "get",
        "/api/v1/treatment/patients/{pid}/screenings",
        Capability.CHART_VIEW,
        None,
    ),
    ("screening", "get", "/api/v1/treatment/screenings/{sid}", Capability.CHART_VIEW, None),
    ("courses", "get", "/api/v1/treatment/patients/{pid}/courses", Capability.CHART_VIEW, None),
    ("course", "get", "/api/v1/treatment/courses/{cid}", Capability.CHART_VIEW, None),
    (
        "phase",
        "post",
        "/api/v1/treatment/courses/{cid}/phase",
        Capability.PLAN_EDIT,
        {"to": "induction"},
    ),
    (
        "dose preview",
        "post",
        "/api/v1/treatment/courses/{cid}/dose",
        Capability.PLAN_EDIT,
        {"dose_mg_per_kg": 0.5, "concentration_mg_per_ml": 10, "bag_volume_ml": 100},
    ),
    (
        "draft order",
        "post",
        "/api/v1/treatment/courses/{cid}/orders",
        Capability.PLAN_EDIT,
        {"dose_mg_per_kg": 0.5, "concentration_mg_per_ml": 10, "bag_volume_ml": 100},
    ),
    ("orders", "get", "/api/v1/treatment/courses/{cid}/orders", Capability.CHART_VIEW, None),
    ("sign order", "post", "/api/v1/treatment/orders/{oid}/sign", Capability.ORDER_SIGN, None),
    (
        "cancel order",
        "post",
        "/api/v1/treatment/orders/{oid}/cancel",
        Capability.PLAN_EDIT,
        {"reason": ""},
    ),
    ("checklist", "get", "/api/v1/treatment/courses/{cid}/checklist", Capability.CHART_VIEW, None),
    (
        "confirm item",
        "post",
        "/api/v1/treatment/courses/{cid}/checklist/medical_exam",
        Capability.PLAN_EDIT,
        {"note": "normal"},
    ),
    (
        "aftercare",
        "put",
        "/api/v1/treatment/courses/{cid}/aftercare",
        Capability.PLAN_EDIT,
        {"psychotherapy": "Integration weekly"},
    ),
    (
        "book series",
        "post",
        "/api/v1/treatment/courses/{cid}/appointments",
        Capability.APPOINTMENT_BOOK,
        {"start": "2031-03-03", "time": "08:00", "chair_id": "{chair}"},
    ),
    ("appointments", "get", "/api/v1/treatment/appointments", Capability.APPOINTMENT_BOOK, None),
    (
        "patient appointments",
        "get",
        "/api/v1/treatment/patients/{pid}/appointments",
        Capability.APPOINTMENT_BOOK,
        None,
    ),
    (
        "cancel appointment",
        "post",
        "/api/v1/treatment/appointments/{aid}/cancel",
        Capability.APPOINTMENT_BOOK,
        {"reason": "unwell"},
    ),
    (
        "consent documents",
        "get",
        "/api/v1/treatment/consent-documents",
        Capability.CONSENT_MANAGE,
        None,
    ),
    (
        "publish consent",
        "post",
        "/api/v1/treatment/consent-documents",
        Capability.PROTOCOL_EDIT,
        {"route": "racemic_iv", "title": "Consent v2", "body": "New wording."},
    ),
    ("consents", "get", "/api/v1/treatment/patients/{pid}/consents", Capability.CHART_VIEW, None),
    (
        "countersign",
        "post",
        "/api/v1/treatment/consent-signatures/{sigid}/countersign",
        Capability.CONSENT_MANAGE,
        None,
    ),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), PAGES, ids=[p[0] for p in PAGES]
)
def test_pages_follow_the_matrix(client_for, world, role, label, method, url, capability, body):
    ids = {k: v for k, v in world.items() if isinstance(v, int)}
    response = getattr(client_for(role), method)(url.format(**ids), _fill(body or {}, ids))
    if role in MATRIX[capability]:
        expected = MOVED.get(label) or success(method, url)
        assert response.status_code == expected, (label, role, response.status_code)
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), API, ids=[a[0] for a in API]
)
def test_api_follows_the_matrix(client_for, world, role, label, method, url, capability, body):
    ids = {k: v for k, v in world.items() if isinstance(v, int)}
    body = _fill(body, ids)
    if isinstance(body, dict) and "chair_id" in body:
        body["chair_id"] = int(body["chair_id"])
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    response = getattr(client_for(role), method)(url.format(**ids), **kwargs)
    if role in MATRIX[capability]:
        assert response.status_code == success(method, url), (
            label,
            role,
            response.status_code,
            response.content[:300],
        )
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("url", ["/treatment/portal/", "/treatment/portal/consent/1/"])
def test_the_portal_is_for_patients_only(client_for, url):
    assert client_for("prescriber").get(url).status_code == 403


@pytest.mark.parametrize(
    "url", ["/treatment/protocol/", "/treatment/schedule/", "/api/v1/treatment/protocol"]
)
def test_anonymous_is_turned_away(client, url):
    response = client.get(url)
    assert response.status_code == signed_out(url)


def test_another_clinics_staff_cannot_reach_the_course(make_staff, other_clinic, world, client):
    outsider = make_staff("medical_director", other_clinic)
    client.force_login(outsider)
    assert client.get(f"/treatment/courses/{world['cid']}/").status_code == 404
    assert client.get(f"/api/v1/treatment/courses/{world['cid']}").status_code == 404
    assert client.post(f"/api/v1/treatment/orders/{world['oid']}/sign").status_code == 404
