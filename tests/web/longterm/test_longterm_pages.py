"""The long-term safety page, the chart panel, the dashboard's open signals and the session
page's due list, for every role."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin
from ketacare.longterm import services
from ketacare.longterm.models import Signal, UrinaryCheck
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db
CLINICAL = {"nurse", "prescriber", "medical_director"}
ANSWERS = {"q0": "no", "q1": "yes", "q2": "no", "q3": "no", "q4": "no"}


def frequency_reported(patient, staff):
    """A urinary check with one symptom: it raises a signal for the prescriber."""
    services.urinary_check_record(
        patient=patient,
        answers={
            "frequency": True,
            "urgency": False,
            "pain on passing urine": False,
            "blood in urine": False,
            "suprapubic pain": False,
        },
        origin=RequestOrigin(actor=staff["nurse"]),
        at=timezone.now(),
    )


def page(patient):
    return f"/longterm/patients/{patient.pk}/"


@pytest.mark.parametrize("role", ROLES)
def test_page_by_role(role, patient, client_for):
    response = client_for(role).get(page(patient))
    assert response.status_code == (200 if role in CLINICAL else 403)


def test_page_says_what_the_clinic_has_not_configured(patient, client_for, make_course, give_dose):
    give_dose(make_course(patient), 2)
    html = client_for("nurse").get(page(patient)).content.decode()
    assert "Not configured by the clinic" in html
    assert "Exposure review limits" in html
    assert "56 mg" in html
    assert "<svg" in html


@pytest.mark.parametrize("role", ROLES)
def test_chart_panel_by_role(role, patient, client_for):
    response = client_for(role).get(f"/patients/{patient.pk}/")
    if response.status_code != 200:
        assert role not in CLINICAL
        return
    shown = 'id="long-term-safety"' in response.content.decode()
    assert shown is (role in CLINICAL)


def test_urinary_form_records_and_alerts(patient, client_for):
    response = client_for("nurse").post(f"{page(patient)}urinary/", ANSWERS)
    assert response.status_code == 302
    check = UrinaryCheck.objects.get(patient=patient)
    assert check.positive == ["urgency"]
    assert Alert.objects.filter(patient=patient, code="urinary_symptoms").exists()


def test_urinary_form_with_a_missing_answer_comes_back_with_the_reason(patient, client_for):
    client = client_for("nurse")
    response = client.post(f"{page(patient)}urinary/", {"q0": "no"}, follow=True)
    assert "Answer" in response.content.decode()
    assert not UrinaryCheck.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("role", ROLES)
def test_review_form_by_role(role, patient, client_for, staff):
    frequency_reported(patient, staff)
    signal = Signal.objects.get(patient=patient)
    response = client_for(role).post(
        f"{page(patient)}signals/{signal.pk}/review/", {"decision": "assess", "note": "UA sent"}
    )
    reviewer = role in ("prescriber", "medical_director")
    assert response.status_code == (302 if reviewer else 403)
    signal.refresh_from_db()
    assert signal.is_open is (not reviewer)


def test_addendum_form_adds_to_a_closed_review(patient, client_for, staff):
    frequency_reported(patient, staff)
    signal = Signal.objects.get(patient=patient)
    client = client_for("prescriber")
    client.post(f"{page(patient)}signals/{signal.pk}/review/", {"decision": "assess", "note": "UA"})
    review = Signal.objects.get(pk=signal.pk).review
    response = client.post(
        f"{page(patient)}addendum/", {"signal_review": review.pk, "text": "Urinalysis normal."}
    )
    assert response.status_code == 302
    assert [a.text for a in review.addenda.all()] == ["Urinalysis normal."]


def test_open_signals_on_the_prescribers_dashboard_until_reviewed(patient, client_for, staff):
    frequency_reported(patient, staff)
    assert 'id="long-term-signals"' in client_for("prescriber").get("/").content.decode()
    assert 'id="long-term-signals"' not in client_for("nurse").get("/").content.decode()
    signal = Signal.objects.get(patient=patient)
    client_for("prescriber").post(
        f"{page(patient)}signals/{signal.pk}/review/", {"decision": "monitor", "note": "ok"}
    )
    assert 'id="long-term-signals"' not in client_for("prescriber").get("/").content.decode()


def test_session_page_shows_what_is_due(patient, client_for, make_course, staff):
    import datetime as dt

    from ketacare.sessions.models import TreatmentSession
    from ketacare.treatment.models import Appointment, Order

    course = make_course(patient, "esketamine_nasal")
    now = timezone.now()
    appointment = Appointment.objects.create(
        clinic=patient.clinic, patient=patient, course=course, kind="treatment",
        chair=patient.clinic.chairs.first(), nurse=staff["nurse"], starts_at=now,
        ends_at=now + dt.timedelta(hours=2), created_at=now,
    )  # fmt: skip
    session = TreatmentSession.objects.create(
        clinic=patient.clinic, patient=patient, appointment=appointment, course=course,
        order=Order.objects.get(course=course), route="esketamine_nasal", state="checked_in",
        state_changed_at=now, created_at=now, checked_in_at=now,
    )  # fmt: skip
    html = client_for("nurse").get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="long-term-due"' in html
    assert "Not yet asked in this visit" in html
    client_for("nurse").post(
        f"{page(patient)}urinary/", {**ANSWERS, "q1": "no", "session": session.pk}
    )
    html = client_for("nurse").get(f"/sessions/{session.pk}/").content.decode()
    assert "Asked in this visit" in html
