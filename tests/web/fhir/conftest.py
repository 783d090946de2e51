"""A clinic's record for the FHIR server: a patient with a signed intake, a signed IV session
(vitals with MOAA/S, a CADSS-6 rating, a side effect), a series of PHQ-9 totals, a GAD-7 and a
positive C-SSRS (a safety alert), all made through the owning apps' services; bearer tokens with
the SMART scopes; and a validator that parses served JSON with fhir.resources' R4B classes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from tests.web.sessions import conftest as sessions_conftest
from tests.web.sessions.conftest import DISCHARGE_OK, PRECHECKS_OK

configure_protocol = sessions_conftest.configure_protocol
iv_protocol = sessions_conftest.iv_protocol
make_booking = sessions_conftest.make_booking
nurse_origin = sessions_conftest.nurse_origin

T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
PHQ9_SERIES = (  # (days after T0, answers, total)
    (-7, [2, 2, 2, 2, 2, 2, 2, 2, 0], 16),
    (7, [1, 1, 1, 1, 1, 1, 1, 1, 0], 8),
    (14, [0, 1, 0, 1, 0, 0, 0, 0, 0], 2),
)
GAD7 = [1, 1, 1, 1, 1, 1, 1]  # total 7
CSSRS_HIGH = [1, 1, 1, 1, 0, 0, 0]  # Q4 yes: high risk, a safety alert


def fhir_class(resource_type: str):
    """The fhir.resources R4B class of ``resource_type`` (the package's default is R5)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def validated(resource: dict[str, Any]):
    """``resource`` parsed by its R4B class (raises on anything R4B does not allow)."""
    return fhir_class(resource["resourceType"]).model_validate(resource)


def at(minutes: float, t0: dt.datetime = T0) -> dt.datetime:
    return t0 + dt.timedelta(minutes=minutes)


@dataclass
class World:
    patient: Any
    session: Any
    responses: list
    intake: Any


def _signed_session(appointment, origin, *, t0: dt.datetime = T0):
    """A signed IV session dosing from ``t0``, with what each resource type shows of it."""
    from ketacare.sessions import services

    def at(minutes: float) -> dt.datetime:
        return t0 + dt.timedelta(minutes=minutes)

    session = services.session_open(appointment=appointment, origin=origin, at=at(-20))
    session = services.session_check_in(session=session, origin=origin, at=at(-20))
    entry = services.PrecheckInput(
        last_food_at=at(-400),
        last_liquid_at=at(-120),
        vitals={"systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_bpm": 74,
                "spo2_percent": 98},
        **PRECHECKS_OK,
    )
    services.session_prechecks(session=session, entry=entry, origin=origin, at=at(-10))
    services.session_start_dosing(session=session, lot_number="LOT-1", origin=origin, at=at(0))
    session.refresh_from_db()
    services.vitals_record(
        session=session,
        values={"systolic_mmhg": 132, "diastolic_mmhg": 84, "heart_rate_bpm": 80,
                "spo2_percent": 97, "respiratory_rate_per_min": 14, "moaas_level": 5},
        taken_at=at(10), origin=origin, at=at(10),
    )
    services.observation_record(
        session=session, instrument="cadss6", answers=[1, 0, 1, 0, 0, 0], observed_at=at(20),
        origin=origin, at=at(20),
    )
    services.side_effect_record(
        session=session, effect="nausea", severity="mild", observed_at=at(25), origin=origin,
        at=at(25), note="Settled without treatment",
    )
    services.administration_record(session=session, kind="stop", given_at=at(40), origin=origin,
                                   at=at(40), reason="Order given")
    services.session_end_dosing(session=session, origin=origin, at=at(40), reason="As ordered")
    services.vitals_record(
        session=session,
        values={"systolic_mmhg": 126, "diastolic_mmhg": 80, "heart_rate_bpm": 72,
                "spo2_percent": 98, "respiratory_rate_per_min": 14},
        taken_at=at(75), origin=origin, at=at(75),
    )
    services.session_discharge(session=session, answers=DISCHARGE_OK, instructions="No driving",
                               origin=origin, at=at(80))
    services.session_sign(session=session, origin=origin, at=at(85))
    session.refresh_from_db()
    return session


def _respond(patient, code, answers, completed_at):
    from ketacare.assessments.services import response_submit
    from ketacare.clinical.instruments import INSTRUMENTS

    clinician = INSTRUMENTS[code].completed_by == "clinician"

    return response_submit(
        patient=patient, instrument=code, answers=answers,
        source="clinician_rated" if clinician else "staff_paper",
        completed_at=completed_at, origin=RequestOrigin.system("test"),
        at=completed_at + dt.timedelta(minutes=5),
    ).response


@pytest.fixture
def world(patient, signed_intake, make_booking, iv_protocol, nurse_origin, staff,
          django_capture_on_commit_callbacks) -> World:
    appointment = make_booking(patient, starts_at=at(-30))
    session = _signed_session(appointment, nurse_origin)
    responses = []
    with django_capture_on_commit_callbacks(execute=True):
        for days, answers, _ in PHQ9_SERIES:
            responses.append(_respond(patient, "phq9", answers, T0 + dt.timedelta(days=days)))
        responses.append(_respond(patient, "gad7", GAD7, T0 + dt.timedelta(days=1)))
        responses.append(_respond(patient, "cssrs_screen", CSSRS_HIGH,
                                  T0 + dt.timedelta(days=2)))
    return World(patient=patient, session=session, responses=responses, intake=signed_intake)


@pytest.fixture
def token_for(staff):
    """``token_for("nurse")`` -> a bearer token with ``user/*.read`` (or the scopes given)."""
    from ketacare.core.models import ApiToken

    def make(role: str, *scopes: str, user=None) -> str:
        return ApiToken.issue(
            user=user or staff[role], name=f"fhir-{role}", scopes=scopes or ("user/*.read",)
        )[1]

    return make


@pytest.fixture
def fhir_get(client):
    """``fhir_get(path, token, **query)`` -> the response of ``GET /fhir/r4/<path>``."""

    def get(path: str, token: str | None = None, headers: dict | None = None, **query):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return client.get(f"/fhir/r4/{path}", query, **extra)

    return get


@pytest.fixture
def portal_token(patient):
    """A ``patient/*.read`` token of the patient's portal account."""
    from ketacare.core.models import ApiToken, User

    user = User.objects.create_user(username="portal-jane", password="correct-horse-battery",
                                    email=patient.email)
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    return ApiToken.issue(user=user, name="app", scopes=("patient/*.read",))[1]


def now() -> dt.datetime:
    return timezone.now()
