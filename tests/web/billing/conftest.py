"""Billing fixtures: a priced clinic, signed sessions made through the sessions services (so the
session-signed event makes their charges), and helpers for money."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from ketacare.audit.services import RequestOrigin
from tests.web.sessions import conftest as sessions_conftest
from tests.web.sessions.conftest import DISCHARGE_OK, PRECHECKS_OK

# The session fixtures, reused: a booked course with a signed order, consent and a protocol.
configure_protocol = sessions_conftest.configure_protocol
iv_protocol = sessions_conftest.iv_protocol
make_booking = sessions_conftest.make_booking
nurse_origin = sessions_conftest.nurse_origin
prescriber_origin = sessions_conftest.prescriber_origin

D = Decimal
T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
PRICES = {
    "iv_infusion": "550.00",
    "iv_infusion_additional_hour": "150.00",
    "esketamine_session": "300.00",
    "esketamine_drug": "10.00",
    "consultation": "350.00",
    "integration_therapy": "150.00",
}
BANDS = [
    {"label": "≤100 %", "above_percent": "0", "up_to_percent": "100", "discount_percent": "60"},
    {"label": "101–150 %", "above_percent": "100", "up_to_percent": "150",
     "discount_percent": "40"},
    {"label": "151–200 %", "above_percent": "150", "up_to_percent": "200",
     "discount_percent": "20"},
    {"label": ">200 %", "above_percent": "200", "up_to_percent": None, "discount_percent": "0"},
]


def key() -> str:
    return uuid.uuid4().hex


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def admin_origin(staff):
    return RequestOrigin(actor=staff["clinic_admin"], actor_label="admin")


@pytest.fixture
def billing_origin(staff):
    return RequestOrigin(actor=staff["billing"], actor_label="billing")


@pytest.fixture
def priced_clinic(clinic, admin_origin):
    """The clinic's fee schedule, billing details and sliding-scale bands."""
    from ketacare.billing.services import setup

    for service, price in PRICES.items():
        code = "99204" if service == "consultation" else ""
        setup.fee_set(clinic=clinic, service=service, unit_price=D(price), code=code,
                      origin=admin_origin, at=T0 - dt.timedelta(days=30))
    setup.billing_profile_update(
        clinic=clinic,
        values={"billing_name": "Harbor Clinic PLLC", "npi": "1234567893", "tax_id": "12-3456789",
                "statement_message": "Questions? Call (555) 010-0000."},
        origin=admin_origin, at=T0 - dt.timedelta(days=30))
    setup.sliding_scale_policy_set(clinic=clinic, bands=BANDS, origin=admin_origin,
                                   at=T0 - dt.timedelta(days=30))
    return clinic


def signed_iv_session(appointment, origin, *, infusion_minutes: float = 40, t0=T0):
    """An IV session run through the sessions services and signed (dosing from ``t0``, the pump
    stopped after ``infusion_minutes``)."""
    from ketacare.sessions import services

    def when(minutes: float) -> dt.datetime:
        return t0 + dt.timedelta(minutes=minutes)

    session = services.session_open(appointment=appointment, origin=origin, at=when(-20))
    session = services.session_check_in(session=session, origin=origin, at=when(-20))
    entry = services.PrecheckInput(
        last_food_at=when(-400), last_liquid_at=when(-120),
        vitals={"systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_bpm": 74,
                "spo2_percent": 98},
        **PRECHECKS_OK,
    )
    assert services.session_prechecks(session=session, entry=entry, origin=origin,
                                      at=when(-10)) == []
    services.session_start_dosing(session=session, lot_number="LOT-1", origin=origin, at=when(0))
    session.refresh_from_db()
    end = when(infusion_minutes)
    services.administration_record(session=session, kind="stop", given_at=end, origin=origin,
                                   at=end, reason="Order given")
    services.session_end_dosing(session=session, origin=origin, at=end, reason="As ordered")
    recovery = end + dt.timedelta(minutes=35)
    services.vitals_record(session=session, values={"systolic_mmhg": 126, "diastolic_mmhg": 80,
                                                    "heart_rate_bpm": 72, "spo2_percent": 98,
                                                    "respiratory_rate_per_min": 14},
                           taken_at=recovery, origin=origin, at=recovery)
    services.session_discharge(session=session, answers=DISCHARGE_OK, instructions="No driving",
                               origin=origin, at=end + dt.timedelta(minutes=40))
    services.session_sign(session=session, origin=origin, at=end + dt.timedelta(minutes=45))
    session.refresh_from_db()
    return session


@pytest.fixture
def signed_session(make_booking, patient, signed_intake, iv_protocol, priced_clinic,
                   nurse_origin):
    """A signed 40-minute IV infusion (its charge was made by the session-signed event)."""
    appointment = make_booking(patient, starts_at=at(-30))
    return signed_iv_session(appointment, nurse_origin)


def session_charge(session):
    from ketacare.billing.models import Charge

    return Charge.objects.get(session=session)
