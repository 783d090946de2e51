"""The API end to end on an esketamine session: the REMS enrolment gate, devices never above the
order, the 2-hour minimum, and a complete Patient Monitoring Form (printable, CSV, JSON, due)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from ketacare.sessions.models import AdministrationEvent, TreatmentSession, VitalsEntry
from tests.web.sessions.conftest import DISCHARGE_OK, ESKETAMINE_SETTINGS, PRECHECKS_OK

pytestmark = pytest.mark.django_db

VITALS = {
    "systolic_mmhg": 126,
    "diastolic_mmhg": 80,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def post(client, url, body=None, method="post"):
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json"
        )
    return response.status_code, response.json()


def shift(session_id: int, minutes: int) -> None:
    """Move everything recorded so far ``minutes`` into the past (the test cannot wait 2 h)."""
    delta = dt.timedelta(minutes=minutes)
    session = TreatmentSession.objects.get(pk=session_id)
    stamps = ("checked_in_at", "prechecks_passed_at", "dosing_started_at", "dosing_ended_at")
    TreatmentSession.objects.filter(pk=session_id).update(
        **{f: getattr(session, f) - delta for f in stamps if getattr(session, f)}
    )
    for row in VitalsEntry.objects.filter(session_id=session_id):
        VitalsEntry.objects.filter(pk=row.pk).update(taken_at=row.taken_at - delta)
    for row in AdministrationEvent.objects.filter(session_id=session_id):
        AdministrationEvent.objects.filter(pk=row.pk).update(at=row.at - delta)


@pytest.fixture
def esketamine_appointment(make_booking, patient, configure_protocol):
    configure_protocol("esketamine_nasal", ESKETAMINE_SETTINGS)
    return make_booking(patient, route="esketamine_nasal", dose_mg="56")


def prechecks_body():
    now = dt.datetime.now(dt.UTC)
    return {
        **PRECHECKS_OK,
        "last_food_at": (now - dt.timedelta(hours=5)).isoformat(),
        "last_liquid_at": (now - dt.timedelta(hours=2)).isoformat(),
        "vitals": VITALS,
    }


def test_an_esketamine_session_through_the_api(client_for, esketamine_appointment, patient):
    nurse, prescriber = client_for("nurse"), client_for("prescriber")
    status, body = post(nurse, "/api/v1/sessions", {"appointment_id": esketamine_appointment.pk})
    assert status == 201 and body["state"] == "scheduled"
    sid = body["id"]
    assert post(nurse, "/api/v1/sessions", {"appointment_id": esketamine_appointment.pk})[0] == 200
    assert post(nurse, f"/api/v1/sessions/{sid}/check-in")[0] == 200

    # First treatment, enrolment not documented: blocked, and no prescriber can override it.
    status, body = post(nurse, f"/api/v1/sessions/{sid}/prechecks", prechecks_body())
    assert status == 409
    (failure,) = body["details"]["failures"]
    assert failure["id"] == "rems_enrolment" and not failure["overridable"]
    status, body = post(prescriber, f"/api/v1/sessions/{sid}/override", {"reason": "urgent"})
    assert status == 409 and "cannot be overridden" in body["detail"]

    assert (
        post(
            nurse,
            f"/api/v1/sessions/rems/enrolment/{patient.pk}",
            {"status": "enrolled"},
            method="put",
        )[0]
        == 422
    )
    assert (
        post(
            nurse,
            f"/api/v1/sessions/rems/enrolment/{patient.pk}",
            {"status": "enrolled", "enrolled_on": "2025-01-02"},
            method="put",
        )[0]
        == 200
    )
    status, body = post(nurse, f"/api/v1/sessions/{sid}/prechecks", prechecks_body())
    assert (status, body["state"]) == (200, "prechecks_passed")

    assert post(nurse, f"/api/v1/sessions/{sid}/start-dosing", {"lot_number": " "})[0] == 422
    status, body = post(
        nurse, f"/api/v1/sessions/{sid}/start-dosing", {"lot_number": "SPR-99", "dose_mg": 28}
    )
    assert status == 200 and body["administration"]["dose_mg"] == 28
    status, body = post(
        nurse, f"/api/v1/sessions/{sid}/administration", {"kind": "dose", "dose_mg": 56}
    )
    assert status == 409 and "above the signed order" in body["detail"]
    assert (
        post(nurse, f"/api/v1/sessions/{sid}/administration", {"kind": "pause"})[0] == 422
    )  # no pump for a nasal spray
    assert (
        post(nurse, f"/api/v1/sessions/{sid}/administration", {"kind": "dose", "dose_mg": 28})[0]
        == 201
    )
    assert post(nurse, f"/api/v1/sessions/{sid}/end-dosing")[0] == 200
    status, body = post(nurse, f"/api/v1/sessions/{sid}/vitals", {**VITALS, "moaas_level": 3})
    assert status == 201 and body["alerts_opened"][0]["code"] == "sedation"
    assert (
        post(
            nurse,
            f"/api/v1/sessions/{sid}/alerts/{body['alerts_opened'][0]['id']}/acknowledge",
            {"actions": ["observed"]},
        )[0]
        == 200
    )

    # 30 minutes in: the 2-hour minimum is not met, and a nurse cannot override it.
    shift(sid, 30)
    status, body = post(
        nurse,
        f"/api/v1/sessions/{sid}/discharge",
        {**DISCHARGE_OK, "instructions": "No driving until tomorrow"},
    )
    assert status == 409
    unmet = [c["id"] for c in body["details"]["criteria"] if not c["met"]]
    assert "minimum_observation_elapsed" in unmet

    shift(sid, 100)
    assert post(nurse, f"/api/v1/sessions/{sid}/vitals", {**VITALS, "moaas_level": 5})[0] == 201
    status, body = post(
        nurse,
        f"/api/v1/sessions/{sid}/discharge",
        {**DISCHARGE_OK, "instructions": "No driving until tomorrow"},
    )
    assert (status, body["state"]) == (200, "discharged"), body

    # The Patient Monitoring Form: drafted from the record, completed by the nurse.
    status, form = post(nurse, f"/api/v1/sessions/{sid}/rems-form", method="get")
    assert status == 200
    assert form["form"]["dose"] == "56" and form["form"]["lot_number"] == "SPR-99"
    assert form["form"]["first_treatment"] == "yes" and form["form"]["enrolled"] == "yes"
    assert form["form"]["total_monitoring_minutes"] >= 120
    assert form["form"]["sedation_occurred"] == "yes"
    assert "concomitant_benzodiazepines" in form["missing_fields"]
    assert (
        post(
            nurse,
            f"/api/v1/sessions/{sid}/rems-form/submitted",
            {"submitted_on": dt.date.today().isoformat()},
        )[0]
        == 409
    )
    answers = {
        f"concomitant_{c}": "no"
        for c in (
            "benzodiazepines",
            "non_benzodiazepine_sedative_hypnotics",
            "psychostimulants",
            "maois",
            "opioids",
        )
    } | {
        "dissociation_occurred": "no",
        "respiratory_depression_occurred": "no",
        "sedation_resolved": "yes",
    }
    status, form = post(
        nurse, f"/api/v1/sessions/{sid}/rems-form/answers", {"answers": answers}, method="put"
    )
    assert status == 200
    # The REMS evaluation question (ready to leave) was not answered at discharge, and the
    # clinic has no address on file.
    assert form["missing_fields"] == ["setting_address", "ready_to_leave_minutes"], form

    rows = list(
        csv.DictReader(io.StringIO(nurse.get(f"/sessions/{sid}/rems.csv").content.decode()))
    )
    assert rows[0]["lot_number"] == "SPR-99"
    exported = json.loads(nurse.get(f"/sessions/{sid}/rems.json").content)
    assert exported["form"]["setting_name"] == patient.clinic.name
    page = nurse.get(f"/sessions/{sid}/rems/").content.decode()
    assert "Patient Monitoring Form" in page and "ready to leave minutes" in page
    due = nurse.get("/api/v1/sessions/rems/due").json()
    assert [d["session_id"] for d in due] == [sid]
    assert "Doe" in nurse.get("/sessions/rems/").content.decode()


def test_a_later_esketamine_session_is_not_a_first_treatment(
    client_for, make_booking, esketamine_appointment, patient
):
    from ketacare.sessions.selectors import first_treatment

    nurse = client_for("nurse")
    sid = post(nurse, "/api/v1/sessions", {"appointment_id": esketamine_appointment.pk})[1]["id"]
    TreatmentSession.objects.filter(pk=sid).update(
        dosing_started_at=dt.datetime(2025, 1, 5, tzinfo=dt.UTC)
    )
    later = post(
        nurse,
        "/api/v1/sessions",
        {"appointment_id": make_booking(patient, route="esketamine_nasal").pk},
    )[1]
    assert first_treatment(TreatmentSession.objects.get(pk=later["id"])) is False


def test_bad_input_is_422_with_field_errors(client_for, appointment):
    nurse = client_for("nurse")
    sid = post(nurse, "/api/v1/sessions", {"appointment_id": appointment.pk})[1]["id"]
    post(nurse, f"/api/v1/sessions/{sid}/check-in")
    status, body = post(nurse, f"/api/v1/sessions/{sid}/vitals", {"spo2_percent": 140})
    assert status == 422 and any("spo2_percent" in k for k in body["fields"])
    status, body = post(
        nurse, f"/api/v1/sessions/{sid}/vitals", {"systolic_mmhg": 80, "diastolic_mmhg": 90}
    )
    assert status == 422 and "systolic must be above" in body["detail"]
    assert post(nurse, f"/api/v1/sessions/{sid}/cancel", {"reason": "  "})[0] == 422
    status, body = post(nurse, f"/api/v1/sessions/{sid}/end-dosing")
    assert status == 409 and "not dosing" in body["detail"]


def test_a_complete_form_can_be_marked_submitted(client_for, esketamine_appointment, patient):
    from django.utils import timezone

    from ketacare.audit.services import RequestOrigin
    from ketacare.sessions import selectors, services
    from ketacare.sessions.services import administration_record, vitals_record
    from ketacare.treatment.services import rems_enrolment_set

    clinic = patient.clinic
    clinic.address_line1 = "1 Harbor Way"
    clinic.save()
    origin = RequestOrigin(actor=esketamine_appointment.nurse, actor_label="nurse")
    now = timezone.now()
    t0 = now - dt.timedelta(minutes=180)
    rems_enrolment_set(
        patient=patient, status="enrolled", enrolled_on=dt.date(2025, 1, 2), origin=origin, at=t0
    )
    session = services.session_open(appointment=esketamine_appointment, origin=origin, at=t0)
    services.session_check_in(session=session, origin=origin, at=t0)
    entry = services.PrecheckInput(
        **PRECHECKS_OK,
        last_food_at=t0 - dt.timedelta(hours=4),
        last_liquid_at=t0 - dt.timedelta(hours=1),
        vitals=VITALS,
    )
    assert services.session_prechecks(session=session, entry=entry, origin=origin, at=t0) == []
    start = t0 + dt.timedelta(minutes=5)
    services.session_start_dosing(
        session=session, lot_number="SPR-1", origin=origin, at=start, dose_mg=28
    )
    second = start + dt.timedelta(minutes=5)
    administration_record(
        session=session, kind="dose", dose_mg=28, origin=origin, given_at=second, at=second
    )
    services.session_end_dosing(session=session, origin=origin, at=second)
    for minutes in (50, 125):
        at = start + dt.timedelta(minutes=minutes)
        vitals_record(
            session=session, values={**VITALS, "moaas_level": 5}, taken_at=at, origin=origin, at=at
        )
    end = start + dt.timedelta(minutes=126)
    services.session_discharge(
        session=session,
        answers=DISCHARGE_OK,
        instructions="No driving",
        origin=origin,
        at=end,
        ready_to_leave_at=start + dt.timedelta(minutes=90),
    )
    classes = (
        "benzodiazepines",
        "non_benzodiazepine_sedative_hypnotics",
        "psychostimulants",
        "maois",
        "opioids",
    )
    services.rems_answers_update(
        session=session,
        origin=origin,
        at=end,
        answers={f"concomitant_{c}": "no" for c in classes}
        | {"dissociation_occurred": "no", "respiratory_depression_occurred": "no"},
    )
    session.refresh_from_db()
    view = selectors.form_view(session)
    assert view.missing == [] and view.problems == []
    assert view.form.bp_40_min_post_dose is not None  # the 50-min reading, >= 40 min after
    assert view.form.ready_to_leave_minutes == 90 and view.form.total_monitoring_minutes == 126
    status, body = post(
        client_for("nurse"),
        f"/api/v1/sessions/{session.pk}/rems-form/submitted",
        {"submitted_on": timezone.localdate().isoformat()},
    )
    assert status == 200, body
    assert client_for("nurse").get("/api/v1/sessions/rems/due").json() == []
