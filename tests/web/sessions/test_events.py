"""The session tells the apps that react to it what happened, inside its transaction."""

from __future__ import annotations

import pytest

from ketacare.core import events
from ketacare.sessions import services
from ketacare.sessions.events import ADMINISTRATION_RECORDED, DOSING_ENDED, SESSION_SIGNED
from tests.web.sessions.conftest import DISCHARGE_OK
from tests.web.sessions.test_lifecycle import at, ready_to_dose, vitals

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every session event, in order, as (name, payload); handlers removed afterwards."""
    log: list[tuple[str, dict]] = []
    handlers = {
        name: (lambda name=name, **payload: log.append((name, payload)))
        for name in (ADMINISTRATION_RECORDED, DOSING_ENDED, SESSION_SIGNED)
    }
    for name, handler in handlers.items():
        events.subscribe(name, handler)
    yield log
    for name, handler in handlers.items():
        events.unsubscribe(name, handler)


def test_administration_dosing_end_and_signature_are_emitted_with_their_facts(
    appointment, nurse_origin, heard
):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    vitals(session, nurse_origin, 10, 130, 80)
    services.session_end_dosing(session=session, origin=nurse_origin, at=at(14), reason="Asked")
    assert [name for name, _ in heard] == [
        ADMINISTRATION_RECORDED,  # the pump started
        ADMINISTRATION_RECORDED,  # stopped at the end of dosing
        DOSING_ENDED,
    ]
    stop = heard[1][1]
    assert stop["administration"].kind == "stop" and stop["at"] == at(14)
    ended = heard[2][1]
    assert ended["given_mg"] == pytest.approx(150 * 14 / 60 * 0.35)
    assert ended["undelivered_mg"] == pytest.approx(35 - 12.25)
    vitals(session, nurse_origin, 45, 128, 80)
    services.session_discharge(
        session=session, answers=DISCHARGE_OK, instructions="x", origin=nurse_origin, at=at(50)
    )
    services.session_sign(session=session, origin=nurse_origin, at=at(55))
    name, payload = heard[-1]
    assert name == SESSION_SIGNED and payload["session"].state == "signed"


def test_a_failing_subscriber_rolls_the_signature_back(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    vitals(session, nurse_origin, 10, 130, 80)
    services.session_end_dosing(session=session, origin=nurse_origin, at=at(14), reason="Asked")
    vitals(session, nurse_origin, 45, 128, 80)
    services.session_discharge(
        session=session, answers=DISCHARGE_OK, instructions="x", origin=nurse_origin, at=at(50)
    )

    def refuse(**_):
        raise RuntimeError("billing is down")

    events.subscribe(SESSION_SIGNED, refuse)
    try:
        with pytest.raises(RuntimeError):
            services.session_sign(session=session, origin=nurse_origin, at=at(55))
    finally:
        events.unsubscribe(SESSION_SIGNED, refuse)
    session.refresh_from_db()
    assert session.state == "discharged" and session.signed_at is None
