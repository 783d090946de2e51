"""Every measurement and alert page and API endpoint against every role, the denials included.

Expectations come from the permission matrix (ketacare.core.roles.MATRIX): each case names the
capability it needs. Portal pages are for patients only; staff pages refuse patients.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES, base_world, from_module_world
from tests.web.assessments.conftest import (
    PHQ9_CALM,
    PHQ9_ITEM9_POSITIVE,
    start_plan,
    submit_response,
)
from tests.web.expected_status import signed_out, success

pytestmark = pytest.mark.django_db

WORDING = {
    "instrument": "gad7",
    "language": "en",
    "source": "Test licence note",
    "items": [f"Official item {n}" for n in range(1, 8)],
    "options": [{"value": v, "label": f"Option {v}"} for v in range(4)],
}

PHQ9_FORM = {f"item-{n}": str(v) for n, v in enumerate(PHQ9_CALM, 1)} | {
    "completed_at": "2026-01-05T09:30"
}

# (label, method, url template, capability, body)
PAGES = [
    ("due list", "get", "/assessments/", Capability.ASSESSMENT_VIEW, None),
    ("patient measures", "get", "/assessments/patients/{pid}/", Capability.ASSESSMENT_VIEW, None),
    (
        "enter form",
        "get",
        "/assessments/patients/{pid}/enter/madrs/",
        Capability.ASSESSMENT_ENTER,
        None,
    ),
    (
        "enter paper",
        "post",
        "/assessments/patients/{pid}/enter/phq9/",
        Capability.ASSESSMENT_ENTER,
        PHQ9_FORM,
    ),
    ("response", "get", "/assessments/responses/{rid}/", Capability.ASSESSMENT_VIEW, None),
    (
        "correct form",
        "get",
        "/assessments/responses/{rid}/correct/",
        Capability.ASSESSMENT_ENTER,
        None,
    ),
    ("plan form", "get", "/assessments/patients/{pid}/plan/", Capability.ASSESSMENT_SCHEDULE, None),
    (
        "send link",
        "post",
        "/assessments/patients/{pid}/send-link/",
        Capability.ASSESSMENT_ENTER,
        {"instrument": "gad7"},
    ),
    ("rules", "get", "/assessments/rules/", Capability.ASSESSMENT_VIEW, None),
    ("new rule", "get", "/assessments/rules/new/", Capability.ASSESSMENT_SCHEDULE, None),
    ("edit rule", "get", "/assessments/rules/{rule}/", Capability.ASSESSMENT_SCHEDULE, None),
    ("settings", "get", "/assessments/settings/", Capability.PROTOCOL_EDIT, None),
    ("wording", "get", "/assessments/wording/", Capability.PROTOCOL_EDIT, None),
    ("retire wording", "post", "/assessments/wording/{wid}/retire/", Capability.PROTOCOL_EDIT, {}),
    ("alerts", "get", "/alerts/", Capability.ALERT_VIEW, None),
    ("alert", "get", "/alerts/{aid}/", Capability.ALERT_VIEW, None),
    (
        "acknowledge",
        "post",
        "/alerts/{aid}/acknowledge/",
        Capability.ALERT_ACKNOWLEDGE,
        {"action": "safety_plan", "note": "Safety plan reviewed by phone"},
    ),
    ("resolve", "post", "/alerts/{aid}/resolve/", Capability.ALERT_ACKNOWLEDGE, {"note": ""}),
    ("alert policy", "get", "/alerts/policy/", Capability.PROTOCOL_EDIT, None),
]

PORTAL_PAGES = ["/assessments/portal/", "/assessments/portal/phq9/"]

API = [
    (
        "responses",
        "get",
        "/api/v1/assessments/patients/{pid}/responses",
        Capability.ASSESSMENT_VIEW,
        None,
    ),
    (
        "create response",
        "post",
        "/api/v1/assessments/patients/{pid}/responses",
        Capability.ASSESSMENT_ENTER,
        {"instrument": "madrs", "answers": [2] * 10},
    ),
    ("response", "get", "/api/v1/assessments/responses/{rid}", Capability.ASSESSMENT_VIEW, None),
    (
        "correct",
        "post",
        "/api/v1/assessments/responses/{rid}/corrections",
        Capability.ASSESSMENT_ENTER,
        {"answers": PHQ9_CALM, "reason": "Transcription error"},
    ),
    ("plan", "get", "/api/v1/assessments/patients/{pid}/plan", Capability.ASSESSMENT_VIEW, None),
    (
        "put plan",
        "put",
        "/api/v1/assessments/patients/{pid}/plan",
        Capability.ASSESSMENT_SCHEDULE,
        {"started_at": "2026-01-02T09:00:00-05:00"},
    ),
    (
        "patient due",
        "get",
        "/api/v1/assessments/patients/{pid}/due",
        Capability.ASSESSMENT_VIEW,
        None,
    ),
    ("clinic due", "get", "/api/v1/assessments/due", Capability.ASSESSMENT_VIEW, None),
    (
        "trajectories",
        "get",
        "/api/v1/assessments/patients/{pid}/trajectories",
        Capability.ASSESSMENT_VIEW,
        None,
    ),
    (
        "send link",
        "post",
        "/api/v1/assessments/patients/{pid}/links",
        Capability.ASSESSMENT_ENTER,
        {"instrument": "phq9"},
    ),
    ("rules", "get", "/api/v1/assessments/rules", Capability.ASSESSMENT_VIEW, None),
    (
        "create rule",
        "post",
        "/api/v1/assessments/rules",
        Capability.ASSESSMENT_SCHEDULE,
        {"instrument": "pcl5", "trigger": "every_n_days", "interval_days": 28},
    ),
    (
        "update rule",
        "put",
        "/api/v1/assessments/rules/{rule}",
        Capability.ASSESSMENT_SCHEDULE,
        {"instrument": "phq9", "trigger": "baseline", "window_hours": 240, "grace_hours": 72},
    ),
    (
        "retire rule",
        "delete",
        "/api/v1/assessments/rules/{rule}",
        Capability.ASSESSMENT_SCHEDULE,
        None,
    ),
    ("settings", "get", "/api/v1/assessments/settings", Capability.PROTOCOL_VIEW, None),
    (
        "put settings",
        "put",
        "/api/v1/assessments/settings",
        Capability.PROTOCOL_EDIT,
        {"remission_madrs": 12},
    ),
    ("wording", "get", "/api/v1/assessments/wording", Capability.PROTOCOL_VIEW, None),
    ("load wording", "post", "/api/v1/assessments/wording", Capability.PROTOCOL_EDIT, WORDING),
    ("alerts", "get", "/api/v1/alerts", Capability.ALERT_VIEW, None),
    ("alert", "get", "/api/v1/alerts/{aid}", Capability.ALERT_VIEW, None),
    (
        "acknowledge",
        "post",
        "/api/v1/alerts/{aid}/acknowledge",
        Capability.ALERT_ACKNOWLEDGE,
        {"action": "same_day_assessment", "note": "Seen today"},
    ),
    (
        "resolve",
        "post",
        "/api/v1/alerts/{aid}/resolve",
        Capability.ALERT_ACKNOWLEDGE,
        {"note": "done"},
    ),
    ("policy", "get", "/api/v1/alerts/policy", Capability.PROTOCOL_VIEW, None),
    (
        "put policy",
        "put",
        "/api/v1/alerts/policy",
        Capability.PROTOCOL_EDIT,
        {"safety_escalation_minutes": 20},
    ),
]


@pytest.fixture(scope="module")
def module_world(module_data):
    """Built once for the module: a plan, a flagged PHQ-9 (and so an open safety alert), a rule
    and a wording."""
    from ketacare.assessments.models import ScheduleRule
    from ketacare.assessments.services import wording_upload

    with module_data.building():
        world = base_world()
        clinic, staff, patient = world["clinic"], world["staff"], world["patient"]
        start_plan(patient, prescriber=staff["prescriber"])
        result = submit_response(patient, "phq9", PHQ9_ITEM9_POSITIVE)
        assert result.alert is not None
        director = staff["medical_director"]
        wording = wording_upload(
            clinic=clinic, document=WORDING,
            origin=RequestOrigin(actor=director, actor_label=director.username),
            at=timezone.now(),
        )
        ids = {
            "pid": patient.pk,
            "rid": result.response.pk,
            "aid": result.alert.pk,
            "rule": ScheduleRule.objects.filter(clinic=clinic).first().pk,
            "wid": wording.pk,
        }
        return world | {"ids": ids}


organisation, clinic, staff, patient, ids = from_module_world(
    "organisation", "clinic", "staff", "patient", "ids"
)


def _expect(resolved: str, method: str, url: str, label: str) -> int:
    if label == "resolve":  # a safety alert must be acknowledged first: refused, not forbidden
        return 302 if resolved == "page" else 409
    return success(method, url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), PAGES, ids=[p[0] for p in PAGES]
)
def test_pages_follow_the_matrix(client_for, ids, role, label, method, url, capability, body):
    response = getattr(client_for(role), method)(url.format(**ids), body or {})
    if role in MATRIX[capability]:
        assert response.status_code == _expect("page", method, url, label), (
            label,
            role,
            response.status_code,
            response.content[:400],
        )
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), API, ids=[a[0] for a in API]
)
def test_api_follows_the_matrix(client_for, ids, role, label, method, url, capability, body):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    response = getattr(client_for(role), method)(url.format(**ids), **kwargs)
    if role in MATRIX[capability]:
        assert response.status_code == _expect("api", method, url, label), (
            label,
            role,
            response.status_code,
            response.content[:400],
        )
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_portal_pages_refuse_staff(client_for, ids, role, url):
    assert client_for(role).get(url).status_code == 403


@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_portal_pages_serve_the_patient(portal_client, ids, url):
    assert portal_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"),
    PAGES + API,
    ids=[p[0] for p in PAGES] + ["api " + a[0] for a in API],
)
def test_a_patient_may_not_use_staff_pages_or_the_api(
    portal_client, ids, label, method, url, capability, body
):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)}
        if body is not None and url.startswith("/api/")
        else {}
    )
    data = body if body is not None and not url.startswith("/api/") else None
    if data is not None:
        response = getattr(portal_client, method)(url.format(**ids), data)
    else:
        response = getattr(portal_client, method)(url.format(**ids), **kwargs)
    assert response.status_code == 403, (label, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "/assessments/",
        "/alerts/",
        "/assessments/portal/",
        "/api/v1/assessments/due",
        "/api/v1/alerts",
    ],
)
def test_anonymous_is_turned_away(client, url):
    response = client.get(url)
    assert response.status_code == signed_out(url)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_another_clinics_staff_see_nothing(make_staff, other_clinic, ids, client):
    outsider = make_staff("medical_director", other_clinic)
    client.force_login(outsider)
    for url in (
        "/assessments/patients/{pid}/",
        "/assessments/responses/{rid}/",
        "/alerts/{aid}/",
        "/api/v1/assessments/patients/{pid}/responses",
        "/api/v1/assessments/responses/{rid}",
        "/api/v1/alerts/{aid}",
    ):
        assert client.get(url.format(**ids)).status_code == 404, url
    assert client.get("/api/v1/alerts").json() == []
    assert client.get("/api/v1/assessments/due").json() == []
