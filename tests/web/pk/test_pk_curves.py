"""Predicted curves where doses are decided and given: the order (course) page, the session
page and the API. Population-model estimates, labelled as such."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.pk.curves import order_prediction, session_prediction
from ketacare.sessions import services
from ketacare.sessions.services import administration_record
from ketacare.treatment.models import Order
from tests.web.sessions.test_bag_concentration import WORKED_ORDER
from tests.web.sessions.test_lifecycle import at, ready_to_dose

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked_order(make_booking, patient, iv_protocol):
    appointment = make_booking(patient, **WORKED_ORDER)
    order = Order.objects.get(course=appointment.course)
    Order.objects.filter(pk=order.pk).update(
        calculation={"kind": "iv", "result": {"actual_weight_kg": 72.0}}, infusion_minutes=40
    )
    order.refresh_from_db()
    return appointment, order


def test_the_planned_curve_comes_from_the_core_for_both_models(worked_order):
    _, order = worked_order
    prediction = order_prediction(order)
    assert prediction.weight_kg == 72.0 and "actual body weight" in prediction.weight_note
    assert [c.model.key for c in prediction.curves] == ["clements250", "domino"]
    for curve in prediction.curves:
        assert curve.peak_at_min == 40  # a constant infusion peaks at its end
        assert len(curve.times_min) == 40 + 180 + 1
    clements = prediction.curves[0]
    # 36 mg over 40 min at 72 kg: ≈ 36/35 × 177 × 70/72 ng/mL (reference §7.3 scales linearly).
    assert clements.peak_ng_per_ml == pytest.approx(177 * 36 / 35 * 70 / 72, rel=0.02)


def test_the_order_api_returns_the_curve_labelled_as_an_estimate(worked_order, client_for):
    _, order = worked_order
    body = client_for("prescriber").get(f"/api/v1/pk/orders/{order.pk}/curve").json()
    assert body["available"] is True
    assert "never a measured level" in body["estimate_only"]
    assert {r["key"] for r in body["reference_ranges"]} >= {"dissociation", "anaesthesia"}
    assert body["curves"][0]["model"] == "clements250"
    assert len(body["curves"][0]["plasma_ng_per_ml"]) == 221


@pytest.mark.parametrize(
    ("role", "status"), [("nurse", 200), ("front_desk", 403), ("billing", 403)]
)
def test_who_may_read_an_order_curve(worked_order, client_for, role, status):
    _, order = worked_order
    assert client_for(role).get(f"/api/v1/pk/orders/{order.pk}/curve").status_code == status


def test_another_clinics_order_is_not_found(worked_order, make_staff, other_clinic):
    from django.test import Client

    _, order = worked_order
    outsider = Client()
    outsider.force_login(make_staff("prescriber", other_clinic))
    assert outsider.get(f"/api/v1/pk/orders/{order.pk}/curve").status_code == 404


def test_the_course_page_shows_the_planned_curve(worked_order, client_for):
    appointment, _ = worked_order
    page = client_for("prescriber").get(f"/treatment/courses/{appointment.course_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Predicted plasma level of the planned 36 mg" in html
    assert "Estimate, not a measurement." in html and "<svg" in html
    assert "Dissociative effects 100–250 ng/mL" in html
    assert "General anaesthesia (1,200–2,400 ng/mL) lies above this chart" in html


def test_the_session_curve_follows_what_the_pump_delivered(worked_order, nurse_origin):
    appointment, _ = worked_order
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="K", origin=nurse_origin, at=at(0))
    administration_record(
        session=session, kind="pause", given_at=at(10), origin=nurse_origin, at=at(10), reason="BP"
    )
    administration_record(
        session=session, kind="resume", given_at=at(20), origin=nurse_origin, at=at(20)
    )
    session.refresh_from_db()
    running = session_prediction(session, now=at(30))
    assert [tuple(round(v, 6) for v in i) for i in running.infusions] == [
        (0, 10, 9.0),
        (20, 10, 9.0),
    ]
    assert running.now_min == 30 and running.curves[0].times_min[-1] == 30  # up to now only
    assert running.planned is not None and running.planned.curves[0].peak_at_min == 40
    # The pause shows: the delivered level at 30 min is below the planned one.
    delivered_30 = running.curves[0].plasma_ng_per_ml[30]
    planned_30 = running.planned.curves[0].plasma_ng_per_ml[30]
    assert delivered_30 < planned_30


def test_a_finished_session_keeps_its_hours_however_late_it_is_opened(worked_order, nurse_origin):
    appointment, _ = worked_order
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="K", origin=nurse_origin, at=at(0))
    services.session_end_dosing(session=session, origin=nurse_origin, at=at(40))
    session.refresh_from_db()
    for opened_at in (at(60), at(60 * 24 * 3), at(60 * 24 * 90)):
        prediction = session_prediction(session, now=opened_at)
        assert prediction.curves[0].times_min[-1] == 40 + 180  # the fall, not days of minutes
    assert session_prediction(session, now=at(60)).now_min == 60
    assert session_prediction(session, now=at(60 * 24 * 3)).now_min is None  # beyond the chart


def test_the_session_page_and_api_show_the_delivered_curve(worked_order, nurse_origin, client_for):
    appointment, _ = worked_order
    session = ready_to_dose(appointment, nurse_origin)
    start = timezone.now() - dt.timedelta(minutes=15)
    services.session_start_dosing(session=session, lot_number="K", origin=nurse_origin, at=start)
    nurse = client_for("nurse")
    html = nurse.get(f"/sessions/{session.pk}/").content.decode()
    assert "Predicted plasma level from what the pump delivered" in html
    body = nurse.get(f"/api/v1/pk/sessions/{session.pk}/curve").json()
    assert body["now_min"] == pytest.approx(15, abs=0.5)
    assert body["infusions"][0][2] == pytest.approx(150 * 15 / 60 * 0.36, rel=0.02)
    assert body["planned"]["curves"][0]["peak_at_min"] == 40


def test_no_curve_for_routes_without_a_model(make_booking, patient, client_for):
    appointment = make_booking(patient, route="esketamine_nasal", dose_mg="56")
    order = Order.objects.get(course=appointment.course)
    body = client_for("prescriber").get(f"/api/v1/pk/orders/{order.pk}/curve").json()
    assert body["available"] is False and "IV ketamine only" in body["unavailable_reason"]
    assert Decimal(order.dose_mg) == 56
