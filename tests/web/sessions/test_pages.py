"""The nurse's pages through the test client: board, check-in, pre-checks, vitals, discharge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.sessions.models import AdministrationEvent, TreatmentSession, VitalsEntry
from ketacare.sessions.protocol import protocol_for
from tests.web.sessions.conftest import DISCHARGE_OK, PRECHECKS_OK

pytestmark = pytest.mark.django_db


def _backdate(session: TreatmentSession, minutes: int) -> None:
    """Move the session's clock back, as if it had started ``minutes`` ago."""
    delta = dt.timedelta(minutes=minutes)
    fields = ("checked_in_at", "prechecks_passed_at", "dosing_started_at", "dosing_ended_at")
    TreatmentSession.objects.filter(pk=session.pk).update(
        **{f: getattr(session, f) - delta for f in fields if getattr(session, f)}
    )
    for model in (VitalsEntry,):
        for row in model.objects.filter(session=session):
            model.objects.filter(pk=row.pk).update(taken_at=row.taken_at - delta)
    for row in AdministrationEvent.objects.filter(session=session):
        AdministrationEvent.objects.filter(pk=row.pk).update(at=row.at - delta)


def test_board_lists_every_chair_and_checks_in(client_for, appointment, clinic):
    nurse = client_for("nurse")
    page = nurse.get("/sessions/").content.decode()
    for chair in clinic.chairs.all():
        assert chair.name in page
    assert "Check in" in page
    response = nurse.post(f"/sessions/appointments/{appointment.pk}/check-in/")
    session = TreatmentSession.objects.get(appointment=appointment)
    assert response.status_code == 302 and session.state == "checked_in"
    live = nurse.get("/sessions/board/live/").content.decode()
    assert session.patient.display_name in live


def test_a_full_session_through_the_pages(client_for, appointment):
    nurse, prescriber = client_for("nurse"), client_for("prescriber")
    nurse.post(f"/sessions/appointments/{appointment.pk}/check-in/")
    session = TreatmentSession.objects.get(appointment=appointment)
    url = f"/sessions/{session.pk}/"
    assert nurse.get(url).status_code == 200

    failed = nurse.post(
        url + "prechecks/",
        {
            **PRECHECKS_OK,
            "food_hours": "1",
            "liquid_hours": "2",
            "pre_systolic_mmhg": "128",
            "pre_diastolic_mmhg": "80",
            "pre_heart_rate_bpm": "72",
            "pre_spo2_percent": "98",
        },
    )
    assert failed.status_code == 409
    assert "Last food 60 min ago; 240 min required" in failed.content.decode()

    session.refresh_from_db()
    assert session.state == "checked_in"
    assert prescriber.post(url + "override/", {"reason": ""}).status_code == 409
    assert nurse.post(url + "override/", {"reason": "x"}).status_code == 403
    assert (
        prescriber.post(url + "override/", {"reason": "Light breakfast 1 h ago; ok"}).status_code
        == 302
    )

    assert nurse.post(url + "start/", {"lot_number": ""}).status_code == 422
    assert nurse.post(url + "start/", {"lot_number": "K-123"}).status_code == 302
    session.refresh_from_db()
    assert session.state == "dosing"
    assert session.pump_contents.concentration_mg_per_ml == pytest.approx(0.35)
    assert str(session.vial_concentration_mg_per_ml) == "10.00"

    bad = nurse.post(url + "vitals/", {"systolic_mmhg": "90", "diastolic_mmhg": "120"})
    assert bad.status_code == 422
    high = nurse.post(
        url + "vitals/",
        {
            "systolic_mmhg": "188",
            "diastolic_mmhg": "104",
            "heart_rate_bpm": "90",
            "spo2_percent": "97",
        },
        HTTP_HX_REQUEST="true",
    )
    assert high.status_code == 200
    body = high.content.decode()
    assert 'hx-swap-oob="true"' in body and "above 180/100 mmHg" in body
    alert = Alert.objects.get(kind="vitals")
    # "Slowed the infusion" records the new rate in the administration record.
    assert (
        nurse.post(
            url + f"alerts/{alert.pk}/acknowledge/",
            {"actions": ["slowed", "prescriber_called"], "rate_ml_per_h": "90"},
        ).status_code
        == 302
    )
    assert AdministrationEvent.objects.get(session=session, kind="rate_change").rate_ml_per_h == 90
    nurse.post(
        url + "vitals/",
        {
            "systolic_mmhg": "150",
            "diastolic_mmhg": "90",
            "heart_rate_bpm": "80",
            "spo2_percent": "98",
        },
    )
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert "<svg" in nurse.get(url + "live/").content.decode()

    below = nurse.post(url + "end-dosing/", {})
    assert below.status_code == 422
    assert "give the reason for ending below the order" in below.content.decode()
    ended = nurse.post(url + "end-dosing/", {"reason": "Headache; stopped early"}, follow=True)
    assert "record the waste with a second licensed witness" in ended.content.decode()
    session.refresh_from_db()
    _backdate(session, 60)
    nurse.post(
        url + "vitals/",
        {
            "systolic_mmhg": "130",
            "diastolic_mmhg": "82",
            "heart_rate_bpm": "74",
            "spo2_percent": "98",
        },
    )
    answers = {**DISCHARGE_OK, "instructions": "No driving until tomorrow."}
    assert nurse.post(url + "discharge/", answers).status_code == 302
    assert nurse.post(url + "sign/").status_code == 302
    assert nurse.post(url + "cosign/").status_code == 403
    assert prescriber.post(url + "cosign/").status_code == 302
    session.refresh_from_db()
    assert session.state == "cosigned"
    # Locked: no more vitals; an addendum is fine.
    assert (
        nurse.post(url + "vitals/", {"systolic_mmhg": "120", "diastolic_mmhg": "80"}).status_code
        == 409
    )
    assert (
        nurse.post(url + "addenda/", {"text": "Late note", "reason": "Forgot"}).status_code == 302
    )
    page = nurse.get(url).content.decode()
    assert "Late note" in page and re.search(r"co-signed by", page)


def test_monitoring_values_are_set_on_the_one_protocol_settings_page(client_for, clinic):
    md = client_for("medical_director")
    old = md.get("/sessions/protocol/?route=racemic_iv")
    assert old.status_code == 301
    assert old["Location"] == "/clinic/protocol/#sec-monitoring.racemic_iv"
    page = md.get("/clinic/protocol/").content.decode()
    assert 'id="sec-monitoring.racemic_iv"' in page
    assert "monitoring.racemic_iv.spo2_alert_below_percent" in page
    key = "monitoring.esketamine_nasal.minimum_observation_minutes"
    out_of_bounds = md.post("/clinic/protocol/", {"key": key, f"value:{key}": "60"})
    assert out_of_bounds.status_code == 422
    assert "below the safe minimum" in out_of_bounds.content.decode()
    key = "monitoring.racemic_iv.spo2_alert_below_percent"
    assert md.post("/clinic/protocol/", {"key": key, f"value:{key}": "92"}).status_code == 302
    assert protocol_for(clinic, "racemic_iv").spo2_alert_below_percent.value == 92
    assert client_for("nurse").post("/clinic/protocol/", {"key": key}).status_code == 403


def test_the_pre_dose_bp_caution_is_the_screenings_pre_treatment_limit(client_for, clinic):
    """One setting: the monitoring section does not offer it; the screening's value applies."""
    md = client_for("medical_director")
    page = md.get("/clinic/protocol/").content.decode()
    assert "monitoring.racemic_iv.predose_caution_systolic_mmhg" not in page
    md.put(
        "/api/v1/treatment/protocol/bp.pre_treatment_systolic_max_mmhg",
        data='{"value": 130}',
        content_type="application/json",
    )
    assert protocol_for(clinic, "racemic_iv").predose_caution_systolic_mmhg.value == 130


def test_dashboard_and_chart_show_the_session_panels(client_for, appointment, patient):
    nurse = client_for("nurse")
    nurse.post(f"/sessions/appointments/{appointment.pk}/check-in/")
    assert "Today board" in nurse.get("/").content.decode()
    assert "Treatment sessions" in nurse.get(f"/patients/{patient.pk}/").content.decode()


def test_at_home_log_from_the_portal_alerts_the_team(
    make_booking, patient, client, client_for, configure_protocol
):
    from ketacare.core.models import User
    from ketacare.treatment.models import TreatmentCourse

    configure_protocol(
        "racemic_sublingual",
        {"spo2_alert_below_percent": 92, "respiratory_rate_alert_below_per_min": 10},
    )
    make_booking(patient, route="racemic_sublingual", dose_mg="200")
    TreatmentCourse.objects.filter(patient=patient).update(phase="maintenance")
    user = User.objects.create_user(username="jane", password="x")
    patient.portal_user = user
    patient.save()
    client.force_login(user)
    assert "Log an at-home session" in client.get("/portal/").content.decode()
    now = timezone.localtime(timezone.now(), patient.clinic.zone).replace(tzinfo=None)
    data = {
        "started_at": (now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "dose_taken_mg": "200",
        "sitter_present": "yes",
        "systolic_mmhg": "186",
        "diastolic_mmhg": "96",
        "side_effects": ["nausea"],
        "severity_nausea": "mild",
        **{f"phq9_{i}": "1" for i in range(1, 9)},
        "phq9_9": "0",
    }
    assert client.post("/sessions/portal/at-home/", data).status_code == 302
    alert = Alert.objects.get(kind="at_home")
    assert "BP 186/96 mmHg is above 180/100 mmHg" in alert.message
    staff_page = client_for("nurse").get("/sessions/at-home/").content.decode()
    assert "186/96" in staff_page


def test_the_board_reads_only_the_appointments_in_a_chair(
    client_for, make_booking, make_patient, clinic, staff, iv_protocol
):
    """A busy clinic books many of today's treatments without a chair yet: the board lists them
    apart and reads, for its chair rows, only the appointments that sit in a chair."""
    from django.db.models.signals import post_init

    from ketacare.core.access import access_for
    from ketacare.sessions.selectors import today_board
    from ketacare.treatment.models import Appointment

    today = timezone.now().astimezone(clinic.zone).date()
    at = [dt.datetime.combine(today, dt.time(hour), clinic.zone) for hour in (1, 4, 7, 10)]
    *waiting, seated = [make_booking(make_patient(clinic), starts_at=start) for start in at]
    Appointment.objects.filter(pk__in=[a.pk for a in waiting]).update(chair=None)
    read: list[int] = []

    def count(sender, instance, **kwargs):
        read.append(instance.pk)

    post_init.connect(count, sender=Appointment)
    try:
        rows = today_board(access_for(staff["nurse"], clinic_id=clinic.pk), now=timezone.now())
    finally:
        post_init.disconnect(count, sender=Appointment)

    assert read == [seated.pk]
    assert [r.appointment or r.later for r in rows if r.chair == seated.chair] == [seated]
    page = client_for("nurse").get("/sessions/").content.decode()
    for appointment in waiting:
        assert appointment.patient.display_name in page


def test_the_board_reads_readings_and_alerts_once_for_every_chair(
    client_for, make_booking, make_patient, clinic, staff, iv_protocol
):
    """Two patients in two chairs: the board reads their readings and open alerts in one
    statement each, not one per chair."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketacare.audit.services import RequestOrigin
    from ketacare.core.models import Chair
    from ketacare.sessions import services

    origin = RequestOrigin(actor=staff["nurse"], actor_label="nurse")
    now = timezone.now()
    today = now.astimezone(clinic.zone).date()
    chairs = list(Chair.objects.filter(clinic=clinic, active=True).order_by("pk")[:2])
    for number, chair in enumerate(chairs):
        start = max(
            now - dt.timedelta(minutes=30), dt.datetime.combine(today, dt.time(0), clinic.zone)
        )
        booking = make_booking(
            make_patient(clinic), starts_at=start + dt.timedelta(minutes=number), chair=chair
        )
        session = services.session_open(appointment=booking, origin=origin, at=now)
        services.session_check_in(session=session, origin=origin, at=now)
    nurse = client_for("nurse")
    nurse.get("/sessions/")
    with CaptureQueriesContext(connection) as queries:
        page = nurse.get("/sessions/")
    assert page.status_code == 200
    for table in ("treatment_sessions_vitalsentry", "alerts_alert"):
        reads = [q for q in queries if f'FROM "{table}"' in q["sql"]]
        assert len(reads) <= 1, (table, [r["sql"][:120] for r in reads])
