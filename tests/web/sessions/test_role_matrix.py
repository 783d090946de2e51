"""Every session page and API endpoint against every role: the denials are 403.

The expected outcome comes from ketacare.core.roles.MATRIX; a permitted role may still be
refused by the session's rules (409) or its input (422), never by its role.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.roles import MATRIX, Capability
from ketacare.sessions import services
from tests.conftest import ROLES, base_world, from_module_world
from tests.web.expected_status import signed_out, success
from tests.web.sessions.conftest import IV_SETTINGS, book, set_protocol

pytestmark = pytest.mark.django_db

C = Capability
# What a permitted role gets where it is not the plain success: the request passed the permission
# check and reached the session's own rules. The world's session is checked in (pre-checks not
# yet passed, no dosing, nothing to sign), and it is an IV session (no REMS form); an empty form
# is refused field by field.
REACHED_THE_RULES = {
    **dict.fromkeys(
        [
            ("page", label)
            for label in ("abort", "addendum", "administration", "cancel", "check in", "cosign",
                          "discharge", "end dosing", "override", "prechecks", "sign", "start")
        ],
        409,
    ),
    **dict.fromkeys(
        [("page", label) for label in ("acknowledge", "observation", "side effect", "vitals")], 422
    ),
    **dict.fromkeys(
        [
            ("api", label)
            for label in ("abort", "addendum", "administration", "check in", "cosign",
                          "discharge", "end dosing", "override", "prechecks", "rems answers",
                          "rems submitted", "sign", "start")
        ],
        409,
    ),
    ("api", "rems form"): 404,
}  # fmt: skip

PAGES = [
    ("board", "get", "/sessions/", C.SESSION_DOCUMENT),
    ("board live", "get", "/sessions/board/live/", C.SESSION_DOCUMENT),
    ("at-home list", "get", "/sessions/at-home/", C.CHART_VIEW),
    ("rems due", "get", "/sessions/rems/", C.REMS_VIEW),
    ("rems enrolment", "post", "/sessions/rems/enrolment/{pid}/", C.SESSION_DOCUMENT),
    ("check in appt", "post", "/sessions/appointments/{aid}/check-in/", C.SESSION_DOCUMENT),
    ("session", "get", "/sessions/{sid}/", C.CHART_VIEW),
    ("session live", "get", "/sessions/{sid}/live/", C.CHART_VIEW),
    ("check in", "post", "/sessions/{sid}/check-in/", C.SESSION_DOCUMENT),
    ("prechecks", "post", "/sessions/{sid}/prechecks/", C.SESSION_DOCUMENT),
    ("override", "post", "/sessions/{sid}/override/", C.SESSION_OVERRIDE),
    ("start", "post", "/sessions/{sid}/start/", C.SESSION_DOCUMENT),
    ("administration", "post", "/sessions/{sid}/administration/", C.SESSION_DOCUMENT),
    ("end dosing", "post", "/sessions/{sid}/end-dosing/", C.SESSION_DOCUMENT),
    ("vitals", "post", "/sessions/{sid}/vitals/", C.SESSION_DOCUMENT),
    ("acknowledge", "post", "/sessions/{sid}/alerts/{alid}/acknowledge/", C.ALERT_ACKNOWLEDGE),
    ("observation", "post", "/sessions/{sid}/observations/", C.SESSION_DOCUMENT),
    ("side effect", "post", "/sessions/{sid}/side-effects/", C.SESSION_DOCUMENT),
    ("discharge", "post", "/sessions/{sid}/discharge/", C.SESSION_DOCUMENT),
    ("sign", "post", "/sessions/{sid}/sign/", C.SESSION_DOCUMENT),
    ("cosign", "post", "/sessions/{sid}/cosign/", C.SESSION_COSIGN),
    ("cancel", "post", "/sessions/{sid}/cancel/", C.SESSION_DOCUMENT),
    ("abort", "post", "/sessions/{sid}/abort/", C.SESSION_DOCUMENT),
    ("addendum", "post", "/sessions/{sid}/addenda/", C.SESSION_DOCUMENT),
    ("rems answers", "post", "/sessions/{sid}/rems/answers/", C.SESSION_DOCUMENT),
    ("rems submitted", "post", "/sessions/{sid}/rems/submitted/", C.SESSION_DOCUMENT),
]

API = [
    ("board", "get", "/api/v1/sessions/board", C.SESSION_DOCUMENT, None),
    ("rems due", "get", "/api/v1/sessions/rems/due", C.REMS_VIEW, None),
    ("protocol", "get", "/api/v1/sessions/protocol/racemic_iv", C.PROTOCOL_VIEW, None),
    (
        "enrolment",
        "put",
        "/api/v1/sessions/rems/enrolment/{pid}",
        C.SESSION_DOCUMENT,
        {"status": "enrolled", "enrolled_on": "2025-01-02"},
    ),
    ("list", "get", "/api/v1/sessions", C.CHART_VIEW, None),
    ("create", "post", "/api/v1/sessions", C.SESSION_DOCUMENT, {"appointment_id": "{aid}"}),
    ("detail", "get", "/api/v1/sessions/{sid}", C.CHART_VIEW, None),
    ("rems form", "get", "/api/v1/sessions/{sid}/rems-form", C.REMS_VIEW, None),
    ("check in", "post", "/api/v1/sessions/{sid}/check-in", C.SESSION_DOCUMENT, None),
    ("prechecks", "post", "/api/v1/sessions/{sid}/prechecks", C.SESSION_DOCUMENT, {}),
    ("override", "post", "/api/v1/sessions/{sid}/override", C.SESSION_OVERRIDE, {"reason": "ok"}),
    (
        "start",
        "post",
        "/api/v1/sessions/{sid}/start-dosing",
        C.SESSION_DOCUMENT,
        {"lot_number": "L1"},
    ),
    (
        "administration",
        "post",
        "/api/v1/sessions/{sid}/administration",
        C.SESSION_DOCUMENT,
        {"kind": "pause"},
    ),
    ("end dosing", "post", "/api/v1/sessions/{sid}/end-dosing", C.SESSION_DOCUMENT, {}),
    (
        "vitals",
        "post",
        "/api/v1/sessions/{sid}/vitals",
        C.SESSION_DOCUMENT,
        {"systolic_mmhg": 120, "diastolic_mmhg": 80},
    ),
    (
        "acknowledge",
        "post",
        "/api/v1/sessions/{sid}/alerts/{alid}/acknowledge",
        C.ALERT_ACKNOWLEDGE,
        {"actions": ["rechecked"]},
    ),
    (
        "observation",
        "post",
        "/api/v1/sessions/{sid}/observations",
        C.SESSION_DOCUMENT,
        {"instrument": "cadss6", "answers": [0, 0, 0, 0, 0, 0]},
    ),
    (
        "side effect",
        "post",
        "/api/v1/sessions/{sid}/side-effects",
        C.SESSION_DOCUMENT,
        {"effect": "nausea", "severity": "mild"},
    ),
    (
        "discharge",
        "post",
        "/api/v1/sessions/{sid}/discharge",
        C.SESSION_DOCUMENT,
        {"instructions": "x"},
    ),
    ("sign", "post", "/api/v1/sessions/{sid}/sign", C.SESSION_DOCUMENT, None),
    ("cosign", "post", "/api/v1/sessions/{sid}/cosign", C.SESSION_COSIGN, None),
    ("cancel", "post", "/api/v1/sessions/{sid}/cancel", C.SESSION_DOCUMENT, {"reason": "x"}),
    ("abort", "post", "/api/v1/sessions/{sid}/abort", C.SESSION_DOCUMENT, {"reason": "x"}),
    (
        "addendum",
        "post",
        "/api/v1/sessions/{sid}/addenda",
        C.SESSION_DOCUMENT,
        {"text": "x", "reason": "y"},
    ),
    (
        "rems answers",
        "put",
        "/api/v1/sessions/{sid}/rems-form/answers",
        C.SESSION_DOCUMENT,
        {"answers": {"concomitant_maois": "no"}},
    ),
    (
        "rems submitted",
        "post",
        "/api/v1/sessions/{sid}/rems-form/submitted",
        C.SESSION_DOCUMENT,
        {"submitted_on": "2025-01-02"},
    ),
]


@pytest.fixture(scope="module")
def module_world(module_data):
    """Built once for the module: a checked-in session (with an alert to acknowledge) and a
    second, untouched appointment."""
    from ketacare.alerts.models import Alert

    with module_data.building():
        world = base_world()
        clinic, staff, patient = world["clinic"], world["staff"], world["patient"]
        set_protocol(clinic, "racemic_iv", IV_SETTINGS, staff["medical_director"])
        now = timezone.now()
        appointment = book(patient, clinic=clinic, staff=staff, starts_at=now)
        origin = RequestOrigin(actor=staff["nurse"], actor_label="nurse")
        session = services.session_open(appointment=appointment, origin=origin, at=now)
        services.session_check_in(session=session, origin=origin, at=now)
        alert = Alert.objects.create(
            clinic=clinic,
            patient=patient,
            kind="vitals",
            level="warning",
            code="x",
            message="x",
            source_type="treatment_session",
            source_id=str(session.pk),
            opened_at=now,
        )
        other = book(patient, clinic=clinic, staff=staff, starts_at=now + dt.timedelta(hours=2))
        ids = {"sid": session.pk, "aid": other.pk, "pid": patient.pk, "alid": alert.pk}
        return world | {"ids": ids}


organisation, clinic, staff, patient, ids = from_module_world(
    "organisation", "clinic", "staff", "patient", "ids"
)


def _url(template: str, ids: dict) -> str:
    return template.format(**ids)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "method", "url", "capability"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_follow_the_matrix(client_for, ids, role, label, method, url, capability):
    response = getattr(client_for(role), method)(_url(url, ids))
    if role in MATRIX[capability]:
        expected = REACHED_THE_RULES.get(("page", label)) or success(method, url)
        assert response.status_code == expected, (label, role, response.status_code)
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), API, ids=[a[0] for a in API]
)
def test_api_follows_the_matrix(client_for, ids, role, label, method, url, capability, body):
    kwargs = {}
    if body is not None:
        text = json.dumps(body).replace('"{aid}"', str(ids["aid"]))
        kwargs = {"content_type": "application/json", "data": text}
    response = getattr(client_for(role), method)(_url(url, ids), **kwargs)
    if role in MATRIX[capability]:
        expected = REACHED_THE_RULES.get(("api", label)) or success(method, url)
        assert response.status_code == expected, (
            label,
            role,
            response.status_code,
            response.content[:300],
        )
    else:
        assert response.status_code == 403, (label, role, response.status_code)


def test_the_portal_page_is_for_patients_only(client_for):
    assert client_for("nurse").get("/sessions/portal/at-home/").status_code == 403


@pytest.mark.parametrize("url", ["/sessions/", "/api/v1/sessions"])
def test_anonymous_is_turned_away(client, url):
    assert client.get(url).status_code == signed_out(url)


def test_another_clinic_cannot_see_the_session(ids, make_staff, other_clinic, client):
    outsider = make_staff("medical_director", other_clinic)
    client.force_login(outsider)
    assert client.get(f"/sessions/{ids['sid']}/").status_code == 404
    assert client.get(f"/api/v1/sessions/{ids['sid']}").status_code == 404
    assert client.post(f"/sessions/{ids['sid']}/vitals/", {"systolic_mmhg": "1"}).status_code == 404
