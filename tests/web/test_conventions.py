"""The shared conventions: one error family mapped once, human validation messages, events,
and apps mounted from their own modules."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from ketacare.clinical.common import ClinicalRuleError
from ketacare.core import events
from ketacare.core.errors import Forbidden, Invalid, NotFound, Refused, status_of
from ketacare.core.pages import DomainErrorMiddleware, page_errors
from ketacare.core.validation import human_errors


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Refused("x"), 409),
        (Invalid("x"), 422),
        (NotFound("x"), 404),
        (Forbidden("x"), 403),
        (ClinicalRuleError("x"), 422),
    ],
)
def test_each_domain_error_has_one_status(error, status):
    assert status_of(error) == status


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "type": "string_too_short",
                "loc": ("body", "payload", "reason"),
                "msg": "String should have at least 1 character",
                "ctx": {"min_length": 1},
            },
            ("reason", "Reason must not be empty."),
        ),
        (
            {"type": "missing", "loc": ("body", "payload", "last_name"), "msg": "Field required"},
            ("last_name", "Last name is required."),
        ),
        (
            {
                "type": "greater_than",
                "loc": ("body", "payload", "dose_mg"),
                "msg": "x",
                "ctx": {"gt": 0},
            },
            ("dose_mg", "Dose mg must be above 0."),
        ),
        (
            {
                "type": "less_than_equal",
                "loc": ("body", "payload", "vitals", "spo2_percent"),
                "msg": "x",
                "ctx": {"le": 100},
            },
            ("vitals.spo2_percent", "Spo2 percent must be at most 100."),
        ),
        (
            {
                "type": "int_parsing",
                "loc": ("query", "page"),
                "msg": "Input should be a valid integer, unable to parse string as an integer",
            },
            ("page", "Page must be a whole number."),
        ),
        (
            {
                "type": "literal_error",
                "loc": ("body", "payload", "kind"),
                "msg": "x",
                "ctx": {"expected": "'start', 'pause' or 'stop'"},
            },
            ("kind", "Kind must be one of start, pause, or stop."),
        ),
        (
            {
                "type": "value_error",
                "loc": ("body", "payload", "reason"),
                "msg": "Value error, must not be blank",
            },
            ("reason", "Reason must not be blank."),
        ),
        (
            {
                "type": "value_error",
                "loc": ("body", "payload"),
                "msg": "Value error, source must be clinician_rated for MADRS",
            },
            ("request", "Source must be clinician_rated for MADRS."),
        ),
        (
            {
                "type": "some_future_pydantic_type",
                "loc": ("body", "payload", "x"),
                "msg": "Input should be whatever",
            },
            ("x", "X is not valid."),
        ),
    ],
)
def test_validation_errors_read_as_human_sentences(error, expected):
    summary, fields = human_errors([error])
    key, message = expected
    assert fields == {key: message}
    assert summary == message
    assert "should" not in message.lower() and "input" not in message.lower()


def test_an_api_422_is_a_sentence_with_fields_never_a_list(client_for, patient):
    response = client_for("nurse").post(
        "/api/v1/sessions/not-a-number/vitals", data="{}", content_type="application/json"
    )
    assert response.status_code in (404, 422)
    response = client_for("front_desk").post(
        "/api/v1/patients", data=json.dumps({"first_name": ""}), content_type="application/json"
    )
    body = response.json()
    assert response.status_code == 422
    assert isinstance(body["detail"], str) and isinstance(body["fields"], dict)
    assert "String should" not in json.dumps(body)
    assert body["fields"]["last_name"] == "Last name is required."


def test_page_errors_re_render_refusals_and_leave_403_404_to_django():
    factory = RequestFactory()

    def render(request, error, *args, **kwargs):
        return HttpResponse(f"{error.status}:{error}:{kwargs['n']}", status=error.status)

    @page_errors(render)
    def view(request, n):
        raise {1: Refused("busy"), 2: ClinicalRuleError("too much"), 3: Forbidden("no")}[n]

    assert view(factory.get("/"), n=1).content == b"409:busy:1"
    assert view(factory.get("/"), n=2).content == b"422:too much:2"
    with pytest.raises(Forbidden):
        view(factory.get("/"), n=3)
    middleware = DomainErrorMiddleware(lambda request: HttpResponse())
    with pytest.raises(PermissionDenied):
        middleware.process_exception(factory.get("/"), Forbidden("no"))
    with pytest.raises(Http404):
        middleware.process_exception(factory.get("/"), NotFound("gone"))
    assert middleware.process_exception(factory.get("/"), ValueError("x")) is None


@pytest.mark.django_db
def test_unhandled_page_refusal_gets_the_shared_error_page(rf, staff):
    from ketacare.core.access import access_for

    request = rf.get("/somewhere", HTTP_REFERER="/patients/")
    request.user = staff["nurse"]
    request.access = access_for(staff["nurse"])
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, Refused("The chair is taken at 10:00.")
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "The chair is taken at 10:00." in page and 'href="/patients/"' in page


def test_events_reach_subscribers_in_order_and_once():
    seen: list[tuple[str, int]] = []

    def first(**payload):
        seen.append(("first", payload["n"]))
        return "a"

    def second(**payload):
        seen.append(("second", payload["n"]))
        return "b"

    events.subscribe("test.happened", first)
    events.subscribe("test.happened", second)
    events.subscribe("test.happened", first)  # registered once
    try:
        assert events.emit("test.happened", n=7) == ["a", "b"]
        assert seen == [("first", 7), ("second", 7)]
        assert events.emit("test.nobody_listens", n=1) == []
    finally:
        events.unsubscribe("test.happened", first)
        events.unsubscribe("test.happened", second)


def test_every_app_with_urls_or_api_is_mounted_from_its_own_module():
    from django.urls import reverse

    from ketacare.config.mounting import api_mounts, page_mounts

    pages = {m.module: m.prefix for m in page_mounts()}
    apis = {m.module: m.prefix for m in api_mounts()}
    assert pages["ketacare.patients.urls"] == "patients/"
    assert pages["ketacare.sessions.urls"] == "sessions/"
    assert apis["ketacare.sessions.api"] == "/sessions"
    assert reverse("patients:list") == "/patients/"
