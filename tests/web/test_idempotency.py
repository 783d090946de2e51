"""Retries never write twice: Idempotency-Key on API POSTs, one-time tokens in page forms."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client

from ketacare.core.models import ApiToken, IdempotencyRecord
from ketacare.patients.models import IntakeLink, Patient

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1990-01-02",
    "sex_at_birth": "female",
}


@pytest.fixture
def desk(staff):
    return ApiToken.issue(user=staff["front_desk"], name="desk", scopes=("read", "write"))[1]


def _post(token: str, body, *, key: str | None = "key-1", path: str = "/api/v1/patients"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(path, data, content_type="application/json", **headers)


# --- the API --------------------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer_and_writes_once(desk):
    first = _post(desk, NEW_PATIENT)
    again = _post(desk, NEW_PATIENT)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Patient.objects.count() == 1


def test_the_same_body_written_differently_is_the_same_request(desk):
    _post(desk, NEW_PATIENT)
    reordered = json.dumps(dict(reversed(list(NEW_PATIENT.items()))), indent=2)

    assert _post(desk, reordered).status_code == 201
    assert Patient.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(desk):
    _post(desk, NEW_PATIENT)

    response = _post(desk, NEW_PATIENT | {"first_name": "Bea"})

    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert list(response.json()["fields"]) == ["Idempotency-Key"]
    assert list(Patient.objects.values_list("first_name", flat=True)) == ["Ann"]


def test_new_keys_and_no_key_are_new_requests(desk):
    # The same person three times: confirmed different people, past the duplicate rule.
    same = NEW_PATIENT | {"allow_duplicate": True}
    _post(desk, same, key="a")
    _post(desk, same, key="b")
    _post(desk, same, key=None)

    assert Patient.objects.count() == 3


def test_a_key_belongs_to_one_caller(desk, staff):
    other = ApiToken.issue(user=staff["nurse"], name="ward", scopes=("read", "write"))[1]

    mine = _post(desk, NEW_PATIENT, key="shared")
    theirs = _post(other, NEW_PATIENT | {"first_name": "Bea"}, key="shared")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.json()["first_name"] == "Bea"


def test_a_refusal_of_the_input_is_replayed_too(desk):
    first = _post(desk, NEW_PATIENT | {"date_of_birth": "not a date"})
    again = _post(desk, NEW_PATIENT | {"date_of_birth": "not a date"})

    assert first.status_code == again.status_code == 422
    assert again["Idempotent-Replayed"] == "true"


def test_a_server_error_is_not_kept_so_the_retry_runs(desk, monkeypatch):
    from ketacare.patients import services

    real = services.patient_register
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "patient_register", fails_once)
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {desk}", "HTTP_IDEMPOTENCY_KEY": "k"}
    body = json.dumps(NEW_PATIENT)

    failed = client.post("/api/v1/patients", body, content_type="application/json", **headers)
    retried = client.post("/api/v1/patients", body, content_type="application/json", **headers)

    assert (failed.status_code, retried.status_code) == (500, 201)
    assert Patient.objects.count() == 1


def test_a_refusal_of_the_caller_is_not_kept(staff):
    reader = ApiToken.issue(user=staff["front_desk"], name="ro")[1]

    assert _post(reader, NEW_PATIENT).status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ключ"])
def test_a_key_that_is_not_1_to_255_visible_characters_is_refused(desk, key):
    response = _post(desk, NEW_PATIENT, key=key)

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "Idempotency-Key": "Idempotency-Key must be 1 to 255 visible ASCII characters."
    }


# --- pages ----------------------------------------------------------------------------------------


def _form_token(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_every_form_render_carries_a_new_token(client_for):
    client = client_for("front_desk")

    assert _form_token(client, "/patients/new/") != _form_token(client, "/patients/new/")


def test_a_double_submitted_form_saves_once_and_answers_alike(client_for):
    client = client_for("front_desk")
    form = NEW_PATIENT | {"form_token": _form_token(client, "/patients/new/")}

    first = client.post("/patients/new/", form)
    second = client.post("/patients/new/", form)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Patient.objects.count() == 1


def test_a_form_refused_for_its_input_can_be_corrected_and_sent_again(client_for):
    client = client_for("front_desk")
    token = _form_token(client, "/patients/new/")

    refused = client.post("/patients/new/", NEW_PATIENT | {"last_name": "", "form_token": token})
    saved = client.post("/patients/new/", NEW_PATIENT | {"form_token": token})

    assert (refused.status_code, saved.status_code) == (422, 302)
    assert Patient.objects.count() == 1


def test_a_used_token_with_other_values_is_refused(client_for):
    client = client_for("front_desk")
    token = _form_token(client, "/patients/new/")
    client.post("/patients/new/", NEW_PATIENT | {"form_token": token})

    response = client.post(
        "/patients/new/", NEW_PATIENT | {"last_name": "Other", "form_token": token}
    )

    assert response.status_code == 422
    assert b"already sent with other values" in response.content
    assert Patient.objects.count() == 1


def test_a_replay_needs_the_csrf_token_like_any_post(staff, patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["front_desk"])
    token = _form_token(client, "/patients/new/")
    csrf = client.cookies["csrftoken"].value
    url = f"/patients/{patient.pk}/intake/send-link/"
    assert client.post(url, {"csrfmiddlewaretoken": csrf, "form_token": token}).status_code == 302

    forged = client.post(url, {"form_token": token})  # e.g. from another site

    assert forged.status_code == 403
    assert not forged.has_header("Idempotent-Replayed")
    assert IntakeLink.objects.count() == 1


# --- concurrent duplicates ------------------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_write_once(desk):
    from concurrent.futures import ThreadPoolExecutor

    def send(_):
        try:
            return _post(desk, NEW_PATIENT, key="double-click")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(send, range(4)))

    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert Patient.objects.count() == 1
