"""The prescriber sees a patient's long-term safety on the chart, opens the full page and closes
a signal with a documented decision."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.longterm import services
from ketacare.longterm.models import Signal
from tests.browser.conftest import sign_in
from tests.web.longterm.conftest import give_dose, make_course  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_long_term_safety_panel_and_review(new_page, staff, patient, make_course, give_dose):  # noqa: F811
    course = make_course(patient, "esketamine_nasal", "84")
    for days in (40, 12, 5):
        give_dose(course, days, "84")
    services.urinary_check_record(
        patient=patient,
        answers={"frequency": False, "urgency": True, "pain on passing urine": False,
                 "blood in urine": False, "suprapubic pain": False},
        origin=RequestOrigin(actor=staff["nurse"], actor_label="nurse"),
        at=timezone.now(),
    )  # fmt: skip
    page = new_page()
    sign_in(page, staff["prescriber"].username)
    page.goto(f"/patients/{patient.pk}/")
    panel = page.locator("section#long-term-safety")
    panel.get_by_role("heading", name="Long-term safety").wait_for()
    text = panel.inner_text()
    assert "esketamine nasal spray" in text.lower()  # row headers are set in capitals
    assert "168 mg" in text  # the last 30 days: two 84 mg doses
    assert "252 mg" in text  # since the first dose
    assert "Urinary symptoms reported: urgency" in text
    assert "Not configured by the clinic" in text

    panel.get_by_role("link", name="Long-term safety").click()
    page.get_by_role("heading", name=f"Long-term safety: {patient.display_name}").wait_for()
    assert page.locator("section#exposure svg").count() == 1
    signal = Signal.objects.get(patient=patient)
    article = page.locator(f"#signal-{signal.pk}")
    article.get_by_label("Decision").select_option("assess")
    article.get_by_label("Why").fill("Urinalysis sent; review next visit")
    article.get_by_role("button", name="Review and close").click()
    page.get_by_text("Signal reviewed and closed.").wait_for()
    assert "Urinalysis sent; review next visit" in page.locator(f"#signal-{signal.pk}").inner_text()
    signal.refresh_from_db()
    assert not signal.is_open
