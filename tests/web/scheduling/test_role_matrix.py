"""Every scheduling page and API endpoint against every role, the refusals included. The
expected outcome comes from the permission matrix (ketacare.core.roles): each case names the
capabilities it needs (all of them)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.roles import MATRIX, Capability
from ketacare.scheduling.services import SlotChoice, series_book
from tests.conftest import ROLES
from tests.web.expected_status import signed_out, success
from tests.web.scheduling.conftest import at, monday_in

pytestmark = pytest.mark.django_db
BOOK, VIEW, MANAGE = Capability.APPOINTMENT_BOOK, Capability.SCHEDULE_VIEW, Capability.CLINIC_MANAGE

# (label, method, url, capabilities, body); {a1}… appointments, {cid} course, {pid} patient,
# {chair} Chair 2, {nurse} the nurse, {day}/{start} times.
PAGES = [
    ("calendar", "get", "/scheduling/", (VIEW,), None),
    ("week", "get", "/scheduling/?view=week", (VIEW,), None),
    ("day sheet", "get", "/scheduling/day-sheet/", (VIEW,), None),
    ("appointment", "get", "/scheduling/appointments/{a1}/", (VIEW,), None),
    (
        "move",
        "post",
        "/scheduling/appointments/{a1}/move/",
        (BOOK,),
        {"date": "{day}", "time": "12:00", "chair": "{chair}"},
    ),
    ("cancel", "post", "/scheduling/appointments/{a2}/cancel/", (BOOK,), {"reason": "Unwell"}),
    ("no-show", "post", "/scheduling/appointments/{a3}/no-show/", (BOOK,), {}),
    ("book", "get", "/scheduling/courses/{cid}/book/", (BOOK,), None),
    ("preferences", "get", "/scheduling/patients/{pid}/preferences/", (BOOK,), None),
    (
        "save preferences",
        "post",
        "/scheduling/patients/{pid}/preferences/",
        (BOOK,),
        {"weekdays": "1"},
    ),
    ("resources", "get", "/scheduling/resources/", (MANAGE,), None),
    (
        "save resources",
        "post",
        "/scheduling/resources/save/",
        (MANAGE,),
        {"what": "closure", "starts_on": "2030-12-25", "reason": "Holiday"},
    ),
    ("waitlist", "get", "/scheduling/waitlist/", (BOOK,), None),
    (
        "add to waitlist",
        "post",
        "/scheduling/waitlist/",
        (BOOK,),
        {"what": "add", "course": "{cid}", "wants": "first_series"},
    ),
    ("outbox", "get", "/scheduling/outbox/", (BOOK,), None),
    ("feeds", "get", "/scheduling/feeds/", (VIEW,), None),
    ("create feed", "post", "/scheduling/feeds/", (VIEW,), {"what": "create"}),
]
# A new feed's secret address is shown once, on the page the form posted to (no redirect).
SHOWN_ONCE = {"create feed": 200}
API = [
    ("slots", "post", "/api/v1/scheduling/slots", (BOOK,), {"course_id": "{cid}"}),
    (
        "bookings",
        "post",
        "/api/v1/scheduling/bookings",
        (BOOK,),
        {"course_id": "{cid}", "slots": [{"start": "{start}", "chair_id": "{chair}"}]},
    ),
    ("calendar", "get", "/api/v1/scheduling/calendar", (VIEW,), None),
    ("appointment", "get", "/api/v1/scheduling/appointments/{a1}", (VIEW,), None),
    ("move", "post", "/api/v1/scheduling/appointments/{a1}/move", (BOOK,), {"start": "{later}"}),
    (
        "cancel",
        "post",
        "/api/v1/scheduling/appointments/{a2}/cancel",
        (BOOK,),
        {"reason": "Unwell"},
    ),
    ("waitlist", "get", "/api/v1/scheduling/waitlist", (BOOK,), None),
    (
        "join waitlist",
        "post",
        "/api/v1/scheduling/waitlist",
        (BOOK,),
        {"course_id": "{cid}", "wants": "first_series"},
    ),
    (
        "urgent priority",
        "post",
        "/api/v1/scheduling/waitlist/{entry}/priority",
        (BOOK, Capability.WAITLIST_PRIORITISE),
        {"priority": 2, "reason": "Suicidal ideation"},
    ),
    ("resources", "get", "/api/v1/scheduling/resources", (VIEW,), None),
    (
        "opening hours",
        "put",
        "/api/v1/scheduling/resources/opening-hours/5",
        (MANAGE,),
        {"hours": [["09:00", "13:00"]]},
    ),
    (
        "chair setup",
        "put",
        "/api/v1/scheduling/resources/chairs/{chair3}",
        (MANAGE,),
        {"capabilities": ["iv_pump"]},
    ),
    (
        "closure",
        "post",
        "/api/v1/scheduling/resources/closures",
        (MANAGE,),
        {"starts_on": "2030-12-25", "ends_on": "2030-12-26", "reason": "Holiday"},
    ),
    (
        "staff hours",
        "put",
        "/api/v1/scheduling/resources/staff/{nurse}/hours/5",
        (MANAGE,),
        {"hours": [["09:00", "13:00"]]},
    ),
    (
        "time off",
        "post",
        "/api/v1/scheduling/resources/staff/{nurse}/time-off",
        (MANAGE,),
        {"starts_at": "2030-01-02T09:00", "ends_at": "2030-01-02T17:00", "reason": "Course"},
    ),
    (
        "chair block",
        "post",
        "/api/v1/scheduling/resources/chairs/{chair3}/blocks",
        (MANAGE,),
        {"starts_at": "2030-01-02T09:00", "ends_at": "2030-01-02T10:00", "reason": "Service"},
    ),
    ("outbox", "get", "/api/v1/scheduling/outbox", (BOOK,), None),
    ("feed", "post", "/api/v1/scheduling/feeds", (VIEW,), None),
    (
        "preferences",
        "put",
        "/api/v1/scheduling/patients/{pid}/preferences",
        (BOOK,),
        {"weekdays": [1, 3]},
    ),
]


@pytest.fixture
def ids(ready, eligible_course, clinic, staff, patient, make_course, make_patient):
    from ketacare.core.actions import Actor
    from ketacare.scheduling.waitlist import waitlist_add

    monday = monday_in()
    waiting = make_course(make_patient(clinic, last_name="Waiting"), "racemic_iv", "iv-depression")
    entry = waitlist_add(
        course=waiting,
        wants="first_series",
        actor=Actor(user=staff["front_desk"], roles=frozenset({"front_desk"}), clinic_id=clinic.pk),
        origin=RequestOrigin(actor=staff["front_desk"], actor_label="front desk"),
        at=timezone.now(),
    )
    sessions = series_book(
        course=eligible_course,
        phase="induction",
        slots=[
            SlotChoice(at(monday + dt.timedelta(days=d), "09:00", clinic.zone), ready["Chair 2"].pk)
            for d in (0, 2, 4, 7, 9, 11)
        ],
        origin=RequestOrigin(actor=staff["front_desk"], actor_label="front desk"),
        at=timezone.now(),
    )
    return {
        "entry": entry.pk,
        "a1": sessions[0].pk,
        "a2": sessions[1].pk,
        "a3": sessions[2].pk,
        "cid": eligible_course.pk,
        "pid": patient.pk,
        "chair": ready["Chair 2"].pk,
        "chair3": ready["Chair 3"].pk,
        "nurse": staff["nurse"].pk,
        "day": monday.isoformat(),
        "start": at(monday + dt.timedelta(days=14), "10:00", clinic.zone).isoformat(),
        "later": at(monday + dt.timedelta(days=14), "14:00", clinic.zone).isoformat(),
    }


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value in ("{cid}", "{chair}") else filled
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _allowed(role, capabilities) -> bool:
    return all(role in MATRIX[c] for c in capabilities)


@pytest.mark.parametrize("role", ROLES)
def test_every_scheduling_page_follows_the_matrix(client_for, ids, role):
    client = client_for(role)
    for label, method, url, capabilities, body in PAGES:
        data = {k: v.format(**ids) for k, v in (body or {}).items()}
        response = getattr(client, method)(url.format(**ids), data)
        if _allowed(role, capabilities):
            expected = SHOWN_ONCE.get(label) or success(method, url)
            assert response.status_code == expected, (label, role, response.status_code)
        else:
            assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_scheduling_api_operation_follows_the_matrix(client_for, ids, role):
    client = client_for(role)
    for label, method, url, capabilities, body in API:
        kwargs = {"content_type": "application/json"}
        if body is not None:
            kwargs["data"] = json.dumps(_fill(body, ids))
        response = getattr(client, method)(url.format(**ids), **kwargs)
        if _allowed(role, capabilities):
            expected = success(method, url)
            assert response.status_code == expected, (label, role, response.content[:300])
        else:
            assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize(
    "url", ["/scheduling/", "/scheduling/portal/", "/api/v1/scheduling/calendar"]
)
def test_anonymous_is_turned_away(client, url):
    assert client.get(url).status_code == signed_out(url)


def test_staff_cannot_use_the_portal_and_another_clinic_cannot_see_the_appointment(
    client_for, ids, make_staff, other_clinic, client
):
    assert client_for("nurse").get("/scheduling/portal/").status_code == 403
    outsider = make_staff("medical_director", other_clinic)
    client.force_login(outsider)
    assert client.get(f"/scheduling/appointments/{ids['a1']}/").status_code == 404
    assert client.get(f"/api/v1/scheduling/appointments/{ids['a1']}").status_code == 404
