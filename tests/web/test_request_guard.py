"""Requests no view should see get a clear refusal, never a 500; no response may be cached."""

from __future__ import annotations

import json

import pytest

from ketacare.core.request_guard import NUL_MESSAGE
from ketacare.patients.models import Patient

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"  # 2**63
NEW_PATIENT = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1990-01-02",
    "sex_at_birth": "female",
}


def _json(client, path: str, body: dict | str):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json")


# --- Cache-Control: no-store ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/patients/", "/patients/{pid}/", "/api/v1/patients/{pid}", "/api/v1/me"]
)
def test_pages_and_api_answers_with_patient_data_are_never_stored(client_for, patient, path):
    response = client_for("nurse").get(path.format(pid=patient.pk))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_errors_and_the_sign_in_page_are_not_stored_either(client, client_for):
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]
    assert "no-store" in client_for("nurse").get("/api/v1/patients/0")["Cache-Control"]


# --- 413: larger than the limit -------------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.REQUEST_MAX_BYTES = 2_000
    return settings


def test_an_api_body_over_the_limit_is_a_413_json_error(small_limit, client_for):
    body = NEW_PATIENT | {"notes": "x" * 3_000}

    response = _json(client_for("front_desk"), "/api/v1/patients", body)

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request is too large (0.0 MB)")
    assert response.json()["details"]["limit_bytes"] == 2_000
    assert not Patient.objects.exists()


def test_a_form_over_the_limit_is_a_413_page(small_limit, client_for):
    response = client_for("front_desk").post("/patients/new/", NEW_PATIENT | {"x": "y" * 3_000})

    assert response.status_code == 413
    assert b"That is too large to send" in response.content
    assert response["Content-Type"].startswith("text/html")


# --- 422: NUL characters --------------------------------------------------------------------------


def test_a_nul_in_a_json_text_field_is_a_422_naming_the_field(client_for):
    response = _json(
        client_for("front_desk"), "/api/v1/patients", NEW_PATIENT | {"first_name": "An\u0000n"}
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {"first_name": NUL_MESSAGE}
    assert not Patient.objects.exists()


def test_a_nul_deep_in_a_json_document_is_found(client_for, patient):
    path = f"/api/v1/patients/{patient.pk}/intake"
    response = _json(client_for("nurse"), path, {"medications": [{"name": "x\u0000"}]})

    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["medications.0.name"]


def test_a_nul_in_a_form_field_is_a_422_page(client_for):
    response = client_for("front_desk").post("/patients/new/", NEW_PATIENT | {"last_name": "L\x00"})

    assert response.status_code == 422
    assert b"NUL characters" in response.content
    assert not Patient.objects.exists()


@pytest.mark.parametrize("path", ["/patients/?q=a%00b", "/api/v1/patients?q=a%00b"])
def test_a_nul_in_the_query_string_is_a_422(client_for, path):
    assert client_for("nurse").get(path).status_code == 422


def test_text_that_merely_mentions_an_escape_is_accepted(client_for):
    body = NEW_PATIENT | {"last_name": "Lee \\u0000"}  # a backslash, then the text "u0000"

    response = _json(client_for("front_desk"), "/api/v1/patients", body)

    assert response.status_code == 201


# --- numbers past 2^63 ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"/api/v1/patients?page={HUGE}", f"/patients/?page={HUGE}"])
def test_a_page_number_past_2_63_is_a_422(client_for, path):
    response = client_for("nurse").get(path)

    assert response.status_code == 422


def test_a_json_integer_past_2_63_is_a_422(client_for):
    body = '{"first_name": "Ann", "last_name": "Lee", "weight_kg": ' + HUGE + "}"

    response = _json(client_for("front_desk"), "/api/v1/patients", body)

    assert response.status_code == 422
    assert "too large" in response.json()["fields"]["weight_kg"]


@pytest.mark.parametrize("path", [f"/patients/{HUGE}/", f"/api/v1/patients/{HUGE}"])
def test_an_id_past_2_63_in_the_path_is_not_found(client_for, path):
    assert client_for("nurse").get(path).status_code == 404


def test_a_long_number_in_free_text_is_not_refused(client_for):
    assert client_for("nurse").get(f"/patients/?q={HUGE}").status_code == 200
