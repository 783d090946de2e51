"""Ledger fixtures: a clinic with its DEA registration, the products a ketamine clinic stocks
(ketamine 10 mg/mL and 50 mg/mL vials, SPRAVATO devices, 100 mg troches), a safe and a cart,
and a receipt of each; sessions come from the session tests' bookings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.audit.services import RequestOrigin
from ketacare.controlled_substances import services
from ketacare.sessions import services as session_services
from tests.web.sessions.conftest import (  # noqa: F401 (fixtures)
    ESKETAMINE_SETTINGS,
    PRECHECKS_OK,
    configure_protocol,
    iv_protocol,
    make_booking,
    nurse_origin,
    prescriber_origin,
)

T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in New York
DEA_NUMBER = "AB1234563"  # check digit: (1+3+5) + 2*(2+4+6) = 33 -> 3
SUPPLIER = services.Counterparty(
    name="Henry Schein", address="135 Duryea Rd, Melville NY 11747", dea_number="PH1234563"
)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def origin_of(user) -> RequestOrigin:
    return RequestOrigin(actor=user, actor_label=user.get_username())


class Ledger:
    """The clinic's ledger set-up, made through the services."""

    def __init__(self, clinic, staff):
        self.clinic, self.staff = clinic, staff
        md = origin_of(staff["medical_director"])
        self.registration = services.registration_record(
            clinic=clinic,
            number=DEA_NUMBER,
            schedules=["II", "III", "IV", "V"],
            name="Harbor Clinic PC",
            address="1 Harbor Way, Boston MA",
            expires_on=dt.date(2030, 1, 31),
            origin=md,
            at=at(-60 * 24 * 30),
        )
        product = services.product_create
        self.ketamine_10 = product(
            clinic=clinic, name="Ketamine HCl 10 mg/mL", substance="ketamine", ndc="0409-2053",
            form="vial", mg_per_unit=Decimal(10), units_per_container=Decimal(20),
            package="20 mL multi-dose vial", origin=md, at=at(-60 * 24 * 30),
        )  # fmt: skip
        self.ketamine_50 = product(
            clinic=clinic, name="Ketamine HCl 50 mg/mL", substance="ketamine", ndc="0409-2051",
            form="vial", mg_per_unit=Decimal(50), units_per_container=Decimal(10),
            package="10 mL multi-dose vial", origin=md, at=at(-60 * 24 * 30),
        )  # fmt: skip
        self.spravato = product(
            clinic=clinic, name="SPRAVATO 28 mg nasal spray", substance="esketamine",
            ndc="50458-028", form="nasal_device", mg_per_unit=Decimal(28),
            units_per_container=Decimal(1), package="one 28 mg device", origin=md,
            at=at(-60 * 24 * 30),
        )  # fmt: skip
        self.troches = product(
            clinic=clinic, name="Ketamine 100 mg troche", substance="ketamine", ndc="12345-678",
            form="tablet", mg_per_unit=Decimal(100), units_per_container=Decimal(30),
            package="bottle of 30", origin=md, at=at(-60 * 24 * 30),
        )  # fmt: skip
        self.safe = services.location_create(
            clinic=clinic, name="Safe", kind="safe", origin=md, at=at(-60 * 24 * 30)
        )
        self.cart = services.location_create(
            clinic=clinic, name="Cart", kind="cart", origin=md, at=at(-60 * 24 * 30)
        )

    def receive(self, product, lot_number, containers, *, minutes=-60 * 24, location=None):
        return services.receipt_record(
            clinic=self.clinic,
            product=product,
            lot_number=lot_number,
            lot_expires_on=dt.date(2030, 6, 30),
            location=location or self.safe,
            amount=services.Amount(containers=containers),
            supplier=SUPPLIER,
            invoice_reference=f"INV-{lot_number}",
            received_at=at(minutes),
            origin=origin_of(self.staff["nurse"]),
            at=at(minutes),
        )


@pytest.fixture
def ledger(clinic, staff):
    return Ledger(clinic, staff)


def stock(ledger: Ledger) -> Ledger:
    """A receipt of ketamine 10 mg/mL, SPRAVATO and troches into the safe."""
    ledger.receive(ledger.ketamine_10, "K10-A", 2)  # 400 mg, 40 mL
    ledger.receive(ledger.spravato, "ESK-1", 6)  # 6 devices
    ledger.receive(ledger.troches, "TRO-1", 1)  # 30 troches
    return ledger


@pytest.fixture
def stocked(ledger):
    return stock(ledger)


def ready_to_dose(appointment, origin):
    """Open, check in and pass the pre-checks (the session tests' sequence)."""
    session = session_services.session_open(appointment=appointment, origin=origin, at=at(-20))
    session = session_services.session_check_in(session=session, origin=origin, at=at(-20))
    failures = session_services.session_prechecks(
        session=session,
        entry=session_services.PrecheckInput(
            last_food_at=at(-400),
            last_liquid_at=at(-120),
            vitals={
                "systolic_mmhg": 128,
                "diastolic_mmhg": 82,
                "heart_rate_bpm": 74,
                "spo2_percent": 98,
            },
            **PRECHECKS_OK,
        ),
        origin=origin,
        at=at(-10),
    )
    assert failures == []
    session.refresh_from_db()
    return session


@pytest.fixture
def witness(staff, rf):
    """``witness(user=None, password=...)``: a ConfirmedWitness, the prescriber by default."""
    from django.contrib.sessions.middleware import SessionMiddleware

    from ketacare.controlled_substances.witnesses import witness_confirm

    def confirm(user=None, password="correct-horse-battery", clinic=None):
        user = user or staff["prescriber"]
        request = rf.post("/")
        SessionMiddleware(lambda r: None).process_request(request)
        return witness_confirm(
            request,
            clinic=clinic or user.memberships.first().clinic,
            username=user.get_username(),
            password=password,
            at=at(60),
            field="witness_password",
        )

    return confirm
