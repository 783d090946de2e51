"""The safety net: flags open alerts at once, e-mails reach the prescriber and the clinicians on
duty, unacknowledged alerts escalate, acknowledgement needs an action, and the patient always
sees crisis resources — even when e-mail (or anything else) fails."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.audit.models import AuditEntry
from ketacare.audit.services import RequestOrigin
from tests.web.assessments.conftest import (
    CSSRS_HIGH,
    CSSRS_LOW,
    CSSRS_MODERATE,
    PHQ9_CALM,
    PHQ9_ITEM9_POSITIVE,
)

pytestmark = pytest.mark.django_db

CRISIS_LINES = ("988", "988lifeline.org", "press 1", "838255", "oprima 2", "1-866-488-7386", "911")


def _form(answers) -> dict:
    return {f"item-{n}": str(v) for n, v in enumerate(answers, 1)}


def _recipients() -> set[str]:
    return {to for message in mail.outbox for to in message.to}


def _assert_crisis_resources(html: str) -> None:
    for line in CRISIS_LINES:
        assert line in html, line
    assert "press 3" not in html.lower() and "oprima 3" not in html.lower()


# --- alerts open at once -------------------------------------------------------------------------


def test_phq9_item9_opens_a_safety_alert_told_to_prescriber_and_clinicians_on_duty(
    patient, make_plan, submit, staff
):
    make_plan(patient)
    before = timezone.now()
    result = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE)
    alert = result.alert
    assert alert is not None and alert.kind == Alert.Kind.SAFETY
    # The highest level short of an emergency (issue: it opened as a warning among vitals ones).
    assert alert.status == Alert.Status.OPEN and alert.level == Alert.Level.CRITICAL
    assert alert.code == "phq9_suicidal_ideation"
    assert "item 9 is 2" in alert.message
    assert alert.details["reasons"][0]["sources"] == "S20"
    assert alert.source_id == str(result.response.pk)
    assert alert.escalation_due_at - alert.opened_at == dt.timedelta(minutes=30)
    assert alert.opened_at >= before
    assert _recipients() == {"prescriber@example.org", "nurse@example.org"}
    body = mail.outbox[0].body
    assert patient.mrn in body and "PHQ" not in body and "10" not in mail.outbox[0].subject
    alert.refresh_from_db()
    assert sorted(alert.notified_to) == ["nurse@example.org", "prescriber@example.org"]
    assert AuditEntry.objects.filter(object_type="alert", action="create", object_id=alert.pk)


def test_phq9_item9_alert_is_pinned_on_every_on_duty_dashboard_until_acknowledged(
    patient, submit, client_for
):
    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    for role in ("nurse", "prescriber", "medical_director"):
        page = client_for(role).get("/").content.decode()
        pinned = page.index("Suicide-risk alert to acknowledge now")
        assert pinned < page.index("<h1"), role  # above everything else
        assert f"/alerts/{alert.pk}/" in page
    assert "Suicide-risk alert" not in client_for("front_desk").get("/").content.decode()
    director = client_for("medical_director")
    acknowledged = director.post(
        f"/alerts/{alert.pk}/acknowledge/", {"action": "same_day_assessment", "note": "Seen"}
    )
    assert acknowledged.status_code in (200, 302)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert "to acknowledge now" not in client_for("nurse").get("/").content.decode()


def test_qids_item12_opens_a_safety_alert(patient, submit):
    answers = [0] * 16
    answers[11] = 1
    result = submit(patient, "qids_sr16", answers)
    assert result.alert is not None and result.alert.code == "qids_sr16_suicidal_ideation"


def test_cssrs_high_opens_a_critical_alert_and_moderate_a_warning(patient, submit):
    high = submit(patient, "cssrs_screen", CSSRS_HIGH).alert
    moderate = submit(patient, "cssrs_screen", CSSRS_MODERATE).alert
    assert (high.level, high.code) == ("critical", "cssrs_screen_suicide_risk_high")
    assert "Immediate evaluation" in high.message
    assert (moderate.level, moderate.code) == ("warning", "cssrs_screen_suicide_risk_moderate")


@pytest.mark.parametrize(
    ("code", "answers"),
    [("cssrs_screen", CSSRS_LOW), ("phq9", PHQ9_CALM), ("madrs", [3] * 10), ("gad7", [3] * 7)],
)
def test_no_flag_no_alert(patient, submit, code, answers):
    assert submit(patient, code, answers).alert is None
    assert not Alert.objects.exists() and not mail.outbox


def test_madrs_item10_alerts_only_once_the_clinic_sets_a_cutoff(
    patient, submit, clinic, staff_origin
):
    from ketacare.assessments.services import settings_update

    answers = [1] * 9 + [4]
    assert submit(patient, "madrs", answers).alert is None
    settings_update(
        clinic=clinic,
        values={"madrs_item10_flag_min": 4},
        origin=staff_origin(),
        at=timezone.now(),
    )
    alert = submit(patient, "madrs", answers).alert
    assert alert is not None and alert.code == "madrs_madrs_suicidal_thoughts"


def test_without_a_plan_prescriber_all_clinicians_on_duty_and_on_call_are_told(
    patient, submit, clinic, staff_origin, make_staff
):
    from ketacare.alerts.services import alert_policy_update

    make_staff("nurse", clinic, username="nurse-b").email = "x"  # same address: told once
    alert_policy_update(
        clinic=clinic,
        safety_escalation_minutes=20,
        on_call_email="oncall@example.org",
        origin=staff_origin("medical_director"),
        at=timezone.now(),
    )
    submit(patient, "phq9", PHQ9_ITEM9_POSITIVE)
    assert _recipients() == {"prescriber@example.org", "nurse@example.org", "oncall@example.org"}
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses


# --- escalation ----------------------------------------------------------------------------------


def test_unacknowledged_alert_escalates_after_the_configured_time_once(
    patient, submit, clinic, staff_origin, make_staff
):
    from ketacare.alerts.services import alert_policy_update

    network = make_staff("medical_director", None, username="network-md")
    network.email = "network-md@example.org"
    network.save()
    alert_policy_update(
        clinic=clinic,
        safety_escalation_minutes=15,
        on_call_email="",
        origin=staff_origin("medical_director"),
        at=timezone.now(),
    )
    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    mail.outbox.clear()
    opened = alert.opened_at

    call_command("escalate_safety_alerts", now=(opened + dt.timedelta(minutes=14)).isoformat())
    alert.refresh_from_db()
    assert alert.escalated_at is None and not mail.outbox

    call_command("escalate_safety_alerts", now=(opened + dt.timedelta(minutes=16)).isoformat())
    alert.refresh_from_db()
    assert alert.escalated_at == opened + dt.timedelta(minutes=16)
    assert set(alert.escalated_to) == {"medical_director@example.org", "network-md@example.org"}
    assert _recipients() == set(alert.escalated_to)
    assert "ESCALATED" in mail.outbox[0].subject and patient.mrn in mail.outbox[0].subject
    assert alert.status == Alert.Status.OPEN  # escalation does not close it

    call_command("escalate_safety_alerts", now=(opened + dt.timedelta(hours=3)).isoformat())
    assert len(mail.outbox) == 2  # idempotent: nothing sent again


def test_an_acknowledged_alert_does_not_escalate(patient, submit, staff_origin):
    from ketacare.alerts.services import alert_acknowledge, alerts_escalate_due

    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    alert_acknowledge(
        alert=alert, action="safety_plan", note="", origin=staff_origin(), at=alert.opened_at
    )
    assert alerts_escalate_due(now=alert.opened_at + dt.timedelta(days=1)) == []


def test_a_failed_escalation_email_is_tried_again_next_run(patient, submit, settings, staff):
    from ketacare.alerts.services import alerts_escalate_due

    alert = submit(patient, "cssrs_screen", CSSRS_HIGH).alert
    later = alert.opened_at + dt.timedelta(hours=1)
    settings.EMAIL_BACKEND = "tests.web.assessments.backends.BrokenEmailBackend"
    assert alerts_escalate_due(now=later) == []
    alert.refresh_from_db()
    assert alert.escalated_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert [a.pk for a in alerts_escalate_due(now=later)] == [alert.pk]


def test_the_escalation_time_is_flagged_until_the_medical_director_confirms_it(
    client_for, clinic, staff_origin
):
    from ketacare.alerts.services import SAFETY_ESCALATION_MINUTES, alert_policy_for

    policy = alert_policy_for(clinic)
    assert policy.safety_escalation_minutes == SAFETY_ESCALATION_MINUTES.value
    assert policy.confirmed_at is None and not SAFETY_ESCALATION_MINUTES.provenance.verified
    page = client_for("medical_director").get("/alerts/policy/").content.decode()
    assert "Not yet confirmed" in page
    response = client_for("medical_director").post(
        "/alerts/policy/", {"safety_escalation_minutes": "2", "on_call_email": ""}
    )
    assert response.status_code == 422 and "below the safe minimum" in response.content.decode()
    client_for("medical_director").post(
        "/alerts/policy/", {"safety_escalation_minutes": "45", "on_call_email": "pager@example.org"}
    )
    policy.refresh_from_db()
    assert policy.safety_escalation_minutes == 45 and policy.confirmed_at is not None


# --- acknowledgement -----------------------------------------------------------------------------


def test_acknowledgement_requires_a_documented_action(patient, submit, client_for):
    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    nurse = client_for("nurse")
    url = f"/alerts/{alert.pk}/acknowledge/"

    missing = nurse.post(url, {"note": "called"})
    assert missing.status_code == 422 and "Choose the action taken" in missing.content.decode()
    other_without_note = nurse.post(url, {"action": "other", "note": "  "})
    assert other_without_note.status_code == 422
    api = nurse.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge",
        data=json.dumps({"note": "x"}),
        content_type="application/json",
    )
    assert api.status_code == 422 and "action" in json.dumps(api.json()["fields"])
    api_other = nurse.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge",
        data=json.dumps({"action": "other"}),
        content_type="application/json",
    )
    assert api_other.status_code == 422
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN

    done = nurse.post(url, {"action": "emergency_referral", "note": "Sent to ED with escort"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.action_taken == "emergency_referral"
    assert alert.acknowledged_by.username.startswith("nurse")
    entry = AuditEntry.objects.filter(object_type="alert", action="update").latest("sequence")
    assert entry.changes["action_taken"]["after"] == "emergency_referral"

    again = nurse.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge",
        data=json.dumps({"action": "safety_plan"}),
        content_type="application/json",
    )
    assert again.status_code == 409


def test_a_safety_alert_is_resolved_only_after_acknowledgement(patient, submit, client_for):
    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    nurse = client_for("nurse")
    post = lambda url, body: nurse.post(url, data=json.dumps(body), content_type="application/json")  # noqa: E731
    assert post(f"/api/v1/alerts/{alert.pk}/resolve", {}).status_code == 409
    post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"action": "same_day_assessment"})
    resolved = post(f"/api/v1/alerts/{alert.pk}/resolve", {"note": "Safe; seen today"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


def test_other_kinds_open_without_escalation_and_may_be_resolved_directly(
    patient, staff_origin, staff, django_capture_on_commit_callbacks
):
    from ketacare.alerts.services import alert_open, alert_resolve

    with django_capture_on_commit_callbacks(execute=True):
        alert = alert_open(
            patient=patient,
            kind="vitals",
            level="critical",
            code="sbp_stop",
            message="Systolic 182 mmHg",
            origin=RequestOrigin.system("test"),
            at=timezone.now(),
        )
    assert alert.escalation_due_at is None and not mail.outbox  # seen where it arises
    alert_resolve(
        alert=alert, note="Back within limits", origin=staff_origin(), at=timezone.now()
    )
    alert.refresh_from_db()
    assert alert.status == "resolved"
    with pytest.raises(ValueError, match="unknown alert level"):
        alert_open(
            patient=patient,
            kind="vitals",
            level="unconfigured",
            code="x",
            message="x",
            origin=RequestOrigin.system("test"),
            at=timezone.now(),
        )


# --- the dashboard -------------------------------------------------------------------------------


def _dashboard_panel(user) -> str:
    from django.test import RequestFactory

    from ketacare.assessments.panels import dashboard_panel
    from ketacare.core.access import access_for

    request = RequestFactory().get("/")
    request.user = user
    request.access = access_for(user)
    return dashboard_panel(request) or ""


def test_the_dashboard_panel_lists_open_safety_alerts_with_an_acknowledgement_form(
    patient, submit, staff
):
    alert = submit(patient, "cssrs_screen", CSSRS_HIGH).alert
    html = _dashboard_panel(staff["nurse"])
    assert "Safety alerts awaiting acknowledgement" in html
    assert patient.display_name in html and "High risk" in html
    assert f'action="/alerts/{alert.pk}/acknowledge/"' in html
    assert "Emergency referral" in html and "Same-day clinical assessment" in html
    assert "Safety alerts" not in _dashboard_panel(staff["front_desk"])
    alert.status = "acknowledged"
    alert.acknowledged_by = staff["nurse"]
    alert.acknowledged_at = timezone.now()
    alert.save()
    assert "No safety alert is waiting" in _dashboard_panel(staff["nurse"])


def test_acknowledging_from_the_dashboard_returns_to_it(patient, submit, client_for):
    alert = submit(patient, "phq9", PHQ9_ITEM9_POSITIVE).alert
    response = client_for("prescriber").post(
        f"/alerts/{alert.pk}/acknowledge/",
        {"action": "safety_plan", "note": "Plan reviewed", "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    evil = client_for("prescriber").post(
        f"/alerts/{alert.pk}/acknowledge/", {"action": "safety_plan", "next": "https://evil.test/"}
    )
    assert evil["Location"] == f"/alerts/{alert.pk}/"


# --- the patient always sees crisis resources -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_patient_sees_crisis_resources_even_when_email_fails(
    patient, make_plan, portal_client, broken_email
):
    make_plan(patient)
    response = portal_client.post("/assessments/portal/phq9/", _form(PHQ9_ITEM9_POSITIVE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please reach out for support now" in html
    _assert_crisis_resources(html)
    assert "answers have reached" in html  # stored, despite the mail server
    alert = Alert.objects.get(patient=patient)
    assert alert.status == "open" and alert.notified_to == []
    assert AuditEntry.objects.filter(object_type="alert", summary__contains="FAILED").exists()


def test_patient_sees_crisis_resources_even_when_storing_fails(
    patient, make_plan, portal_client, monkeypatch
):
    from ketacare.assessments import services

    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "response_submit", explode)
    response = portal_client.post("/assessments/portal/phq9/", _form(PHQ9_ITEM9_POSITIVE))
    assert response.status_code == 200
    html = response.content.decode()
    _assert_crisis_resources(html)
    assert "could not save your answers" in html and "(555) 010-0000" in html


def test_patient_sees_crisis_resources_even_when_the_page_itself_fails(
    patient, portal_client, monkeypatch
):
    from ketacare.assessments import patient_views

    def broken_render(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(patient_views, "render", broken_render)
    response = portal_client.post("/assessments/portal/phq9/", _form(PHQ9_ITEM9_POSITIVE))
    assert response.status_code == 200
    _assert_crisis_resources(response.content.decode())


def test_crisis_resources_follow_every_submission_and_never_press_3(patient, portal_client):
    response = portal_client.post("/assessments/portal/phq9/", _form(PHQ9_CALM))
    html = response.content.decode()
    assert "Please reach out for support now" not in html
    _assert_crisis_resources(html)


@pytest.mark.django_db(transaction=True)
def test_a_link_submission_with_a_flag_shows_resources_with_email_down(
    patient, make_plan, staff_origin, broken_email
):
    import re

    from ketacare.assessments.services import questionnaire_link_send

    make_plan(patient)
    # the link e-mail itself cannot be sent either: build the link, then break the mail server
    from django.test import override_settings

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        _, url = questionnaire_link_send(
            patient=patient, instrument="phq9", origin=staff_origin(), at=timezone.now()
        )
    path = re.sub(r"^https?://[^/]+", "", url)
    response = Client().post(path, _form(PHQ9_ITEM9_POSITIVE))
    assert response.status_code == 200
    _assert_crisis_resources(response.content.decode())
    assert Alert.objects.filter(patient=patient, kind="safety").count() == 1
