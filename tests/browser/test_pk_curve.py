"""The prescriber sees the predicted plasma curve of a planned IV dose on the course page."""

from __future__ import annotations

import pytest

from ketacare.treatment.models import Order
from tests.browser.conftest import sign_in
from tests.web.sessions.conftest import make_booking  # noqa: F401 (fixture)
from tests.web.sessions.test_bag_concentration import WORKED_ORDER

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_order_page_shows_the_predicted_curve(new_page, staff, patient, make_booking):  # noqa: F811
    appointment = make_booking(patient, **WORKED_ORDER)
    Order.objects.filter(course=appointment.course).update(
        calculation={"kind": "iv", "result": {"actual_weight_kg": 70.0}}
    )
    page = new_page()
    sign_in(page, staff["prescriber"].username)
    page.goto(f"/treatment/courses/{appointment.course_id}/")
    panel = page.locator("section.pk-curve")
    panel.get_by_role("heading", name="Predicted plasma level of the planned 36 mg").wait_for()
    assert panel.locator("svg polyline.pk-clements").count() == 2  # plasma and effect site
    assert panel.locator("svg polyline.pk-domino").count() == 2
    assert panel.locator("svg rect.pk-band").count() == 1  # dissociation range shaded
    assert panel.locator("svg").is_visible()
    text = panel.inner_text()
    assert "Estimate, not a measurement." in text
    assert "General anaesthesia (1,200–2,400 ng/mL) lies above this chart" in text
    assert "Clements 250 µg/kg" in text and "Domino 1982" in text
