"""Orders: drafts become actionable only when a prescriber signs; a signed order never changes;
a new signed order supersedes it; nurses see signed orders only; the session app's hooks."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.treatment.models import Order, OrderImmutable
from ketacare.treatment.selectors import signed_order_for
from tests.web.treatment.conftest import IV_ORDER, call

pytestmark = pytest.mark.django_db


def _sign(client, order_id):
    return call(client, "post", f"/api/v1/treatment/orders/{order_id}/sign")


def test_signing_makes_the_order_actionable_and_immutable(client_for, world):
    order = world["order"]
    assert signed_order_for(world["appointment"]) is None  # a draft authorises nothing
    status, signed = _sign(client_for("prescriber"), order.pk)
    assert status == 200 and signed["status"] == "signed" and signed["actionable"]
    assert signed["signed_by"]
    assert signed_order_for(world["appointment"]).pk == order.pk
    assert AuditEntry.objects.filter(object_type="order", action="sign").exists()

    stored = Order.objects.get(pk=order.pk)
    stored.dose_mg = 99
    with pytest.raises(OrderImmutable):
        stored.save()
    with pytest.raises(OrderImmutable):
        stored.save(update_fields=["dose_mg"])
    status, again = _sign(client_for("prescriber"), order.pk)
    assert status == 409 and "only a draft can be signed" in again["detail"]


def test_a_new_signed_order_supersedes_the_old_one(client_for, world):
    doctor = client_for("prescriber")
    _sign(doctor, world["oid"])
    status, second = call(
        doctor,
        "post",
        f"/api/v1/treatment/courses/{world['cid']}/orders",
        {**IV_ORDER, "infusion_minutes": 60},
    )
    assert status == 201 and second["status"] == "draft"
    status, signed = _sign(doctor, second["id"])
    assert status == 200 and signed["supersedes_id"] == world["oid"]
    assert Order.objects.get(pk=world["oid"]).status == "superseded"
    assert Order.objects.filter(course=world["course"], status="signed").count() == 1
    assert signed_order_for(world["appointment"]).pk == second["id"]


def test_withdrawing_a_signed_order_needs_a_reason(client_for, world):
    doctor = client_for("prescriber")
    _sign(doctor, world["oid"])
    url = f"/api/v1/treatment/orders/{world['oid']}/cancel"
    status, body = call(doctor, "post", url, {"reason": ""})
    assert status == 422 and "reason" in body["fields"]
    status, body = call(doctor, "post", url, {"reason": "Patient withdrew"})
    assert status == 200 and body["status"] == "cancelled" and not body["actionable"]
    assert signed_order_for(world["appointment"]) is None


def test_nurses_see_only_signed_orders(client_for, world):
    nurse = client_for("nurse")
    status, rows = call(nurse, "get", f"/api/v1/treatment/courses/{world['cid']}/orders")
    assert status == 200 and rows == []
    assert call(nurse, "get", f"/api/v1/treatment/orders/{world['oid']}")[0] == 404
    page = nurse.get(f"/treatment/courses/{world['cid']}/").content.decode()
    assert "Sign order" not in page and "draft" not in page.lower().split("orders")[1][:400]
    _sign(client_for("prescriber"), world["oid"])
    status, rows = call(nurse, "get", f"/api/v1/treatment/courses/{world['cid']}/orders")
    assert [r["status"] for r in rows] == ["signed"] and rows[0]["actionable"]


def test_signing_refuses_when_the_protocol_changed_since_the_draft(client_for, world, set_protocol):
    set_protocol("dosing.weight_basis", "ideal")
    status, body = _sign(client_for("prescriber"), world["oid"])
    assert status == 409 and "Write a new order" in body["detail"]
    assert Order.objects.get(pk=world["oid"]).status == "draft"


def test_the_order_records_the_calculation_and_basis(world):
    order = world["order"]
    assert order.dosing_weight_basis == "actual"
    assert float(order.dose_mg) == 41.0 and float(order.rate_ml_per_h) == 156.2
    assert order.calculation["result"]["dose_mg"] == 41.0
    assert order.calculation["input"]["concentration_mg_per_ml"] == 10
    assert order.sessions_authorised == 6  # the template's induction series
    assert order.calculation["summary"].startswith("41 mg IV (0.5 mg/kg × 82 kg actual")


def test_sign_page_flow_for_a_prescriber(client_for, world):
    response = client_for("prescriber").post(f"/treatment/orders/{world['oid']}/sign/", follow=True)
    assert b"Order signed" in response.content
    assert Order.objects.get(pk=world["oid"]).signed_at <= timezone.now()
