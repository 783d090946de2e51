"""A patient answers PHQ-9 item 9 positive in the portal → sees crisis resources at once → a
clinician sees the safety alert on the dashboard and acknowledges it with the action taken.
Real Chromium, real pages, real e-mail outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal_patient(patient, staff):
    from django.utils import timezone

    from ketacare.assessments.services import plan_start
    from ketacare.audit.services import RequestOrigin
    from ketacare.core.models import User

    user = User.objects.create_user(username="robin", password=PASSWORD, email=patient.email)
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    plan_start(
        patient=patient,
        started_at=timezone.now(),
        prescriber=staff["prescriber"],
        origin=RequestOrigin.system("test"),
        at=timezone.now(),
    )
    return patient


def test_item9_positive_crisis_resources_then_alert_acknowledged(new_page, portal_patient, staff):
    patient_page = new_page()
    sign_in(patient_page, "robin")
    patient_page.get_by_role("link", name="Answer PHQ-9").click()
    for n in range(1, 9):
        patient_page.locator(f"#q-item-{n}").get_by_label("Several days").check()
    item9 = patient_page.locator("#q-item-9")
    assert "Thoughts of death or self-harm" in item9.inner_text()
    item9.get_by_label("More than half the days").check()
    patient_page.get_by_role("button", name="Submit answers").click()

    patient_page.get_by_role("heading", name="Please reach out for support now").wait_for()
    crisis = patient_page.get_by_role("alert").inner_text()
    for line in ("988", "988lifeline.org", "press 1", "838255", "oprima 2", "911"):
        assert line in crisis, line
    assert "press 3" not in patient_page.content().lower()

    assert {to for m in mail.outbox for to in m.to} >= {
        staff["prescriber"].email,
        staff["nurse"].email,
    }

    clinician = new_page()
    sign_in(clinician, staff["nurse"].username)
    panel = clinician.locator("section.safety-panel")
    panel.get_by_text(re.compile("Safety alerts awaiting acknowledgement")).wait_for()
    alert = panel.locator("article.safety-alert").filter(has_text=portal_patient.display_name)
    assert "PHQ-9 item 9 is 2" in alert.inner_text()
    alert.get_by_text("Acknowledge with the action taken").click()
    alert.get_by_label("Same-day clinical assessment").check()
    alert.get_by_label(re.compile("^Note")).fill(
        "Called the patient; seen in clinic this afternoon."
    )
    alert.get_by_role("button", name="Acknowledge alert").click()

    clinician.get_by_text(re.compile("Alert acknowledged for .*: action documented")).wait_for()
    assert (
        clinician.locator("section.safety-panel")
        .get_by_text("No safety alert is waiting.")
        .is_visible()
    )

    from ketacare.alerts.models import Alert

    acknowledged = Alert.objects.get(patient=portal_patient)
    assert acknowledged.status == "acknowledged"
    assert acknowledged.action_taken == "same_day_assessment"
    assert acknowledged.acknowledged_by == staff["nurse"]
