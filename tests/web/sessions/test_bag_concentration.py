"""The pump delivers the bag's concentration, never the vial's (the IV dose safety rule).

The worked case: 36 mg drawn from a 50 mg/mL vial into a bag of 100 mL final volume, ordered over
40 min at 150 mL/h. The bag holds 0.36 mg/mL: 18 mg are delivered after 20 min and the order is
reached at 40 min (with the vial's 50 mg/mL, "order reached" came after about 17 seconds).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ketacare.sessions import services
from ketacare.sessions.records import InvalidEntry
from ketacare.sessions.selectors import administration_summary
from tests.web.sessions.test_lifecycle import at, ready_to_dose

pytestmark = pytest.mark.django_db

WORKED_ORDER = {
    "dose_mg": "36",
    "order_overrides": {
        "concentration_mg_per_ml": Decimal("50"),
        "drug_volume_ml": Decimal("0.72"),
        "bag_volume_ml": Decimal("100"),
        "rate_ml_per_h": Decimal("150"),
        "infusion_minutes": 40,
    },
}


@pytest.fixture
def worked_session(make_booking, patient, iv_protocol, nurse_origin):
    return ready_to_dose(make_booking(patient, **WORKED_ORDER), nurse_origin)


def test_bag_concentration_worked_case_18_mg_after_20_minutes(worked_session, nurse_origin):
    session = worked_session
    services.session_start_dosing(
        session=session, lot_number="KET-2291", origin=nurse_origin, at=at(0)
    )
    session.refresh_from_db()
    assert session.bag_drug_mg == Decimal("36.00") and session.bag_volume_ml == Decimal("100.0")
    assert session.bag_diluent_ml == Decimal("99.3")  # 100 mL final less 0.72 mL drug
    assert session.vial_concentration_mg_per_ml == Decimal("50.00")

    halfway = administration_summary(session, now=at(20))
    assert halfway.bag_concentration_mg_per_ml == pytest.approx(0.36)
    assert halfway.dose_mg == pytest.approx(18.0)
    assert halfway.volume_ml == pytest.approx(50.0)
    assert halfway.order_reached is False
    assert halfway.stop_pump_at == at(40)
    assert halfway.remaining_mg == pytest.approx(18.0)

    one_minute = administration_summary(session, now=at(1))
    assert one_minute.order_reached is False  # the defect said "stop the pump now" here

    at_the_end = administration_summary(session, now=at(40))
    assert at_the_end.order_reached is True and at_the_end.dose_mg == pytest.approx(36.0)


def test_bag_concentration_ending_below_the_order_asks_a_reason_and_prompts_waste(
    worked_session, nurse_origin
):
    session = worked_session
    services.session_start_dosing(session=session, lot_number="K-1", origin=nurse_origin, at=at(0))
    with pytest.raises(InvalidEntry, match=r"18\.00 mg of the ordered 36 mg") as asked:
        services.session_end_dosing(session=session, origin=nurse_origin, at=at(20))
    assert asked.value.field == "reason"
    session.refresh_from_db()
    assert session.state == "dosing"  # nothing was recorded by the refused attempt

    services.session_end_dosing(
        session=session, origin=nurse_origin, at=at(20), reason="Dissociation distressing"
    )
    session.refresh_from_db()
    summary = administration_summary(session, now=at(30))
    assert summary.status == "stopped" and summary.dose_mg == pytest.approx(18.0)
    assert summary.undelivered_mg == pytest.approx(18.0)
    event = session.events.get(event="end_dosing")
    assert event.reason == "Dissociation distressing"
    assert event.details == {"below_order_mg": 18.0, "given_mg": 18.0}


def test_bag_concentration_full_order_needs_no_reason_and_leaves_no_waste(
    worked_session, nurse_origin
):
    session = worked_session
    services.session_start_dosing(session=session, lot_number="K-1", origin=nurse_origin, at=at(0))
    services.session_end_dosing(session=session, origin=nurse_origin, at=at(40))
    session.refresh_from_db()
    summary = administration_summary(session, now=at(41))
    assert summary.dose_mg == pytest.approx(36.0) and summary.undelivered_mg is None


def _post(client, url, body):
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_bag_concentration_through_the_api(client_for, worked_session):
    nurse = client_for("nurse")
    url = f"/api/v1/sessions/{worked_session.pk}/start-dosing"
    # 36 mg at 50 mg/mL is 0.72 mL: it cannot fit in a 0.5 mL "bag".
    status, body = _post(nurse, url, {"lot_number": "K-7", "bag_volume_ml": 0.5})
    assert status == 422 and "more than the bag's final volume" in body["detail"]
    # Another bag than the order's, without its own rate: the order's rate would be wrong.
    status, body = _post(nurse, url, {"lot_number": "K-7", "bag_volume_ml": 50})
    assert status == 422 and "give the pump rate for this bag" in body["detail"]
    status, body = _post(nurse, url, {"lot_number": "K-7"})  # the order's bag and rate
    assert status == 200
    assert body["bag_drug_mg"] == "36.00" and body["bag_volume_ml"] == "100.0"
    assert body["vial_concentration_mg_per_ml"] == "50.00"
    assert body["administration"]["bag_concentration_mg_per_ml"] == pytest.approx(0.36)
    assert body["administration"]["order_reached"] is False


def test_bag_concentration_a_different_bag_with_its_own_rate_is_accepted(
    worked_session, nurse_origin
):
    session = worked_session
    services.session_start_dosing(
        session=session,
        lot_number="K-2",
        origin=nurse_origin,
        at=at(0),
        bag_volume_ml=Decimal("50"),
        rate_ml_per_h=Decimal("75"),
    )
    session.refresh_from_db()
    summary = administration_summary(session, now=at(20))
    assert summary.bag_concentration_mg_per_ml == pytest.approx(0.72)
    assert summary.dose_mg == pytest.approx(18.0) and summary.stop_pump_at == at(40)
