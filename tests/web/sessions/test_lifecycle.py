"""The session's lifecycle through its services: gates, dosing, alerts, discharge, signing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.alerts.models import Alert
from ketacare.sessions import services
from ketacare.sessions.models import SessionEvent, SessionLocked, VitalsEntry
from ketacare.sessions.records import InvalidEntry, SessionRefused
from ketacare.sessions.selectors import administration_summary
from ketacare.sessions.services import administration_record
from tests.web.sessions.conftest import DISCHARGE_OK, PRECHECKS_OK

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def checked_in(appointment, origin):
    session = services.session_open(appointment=appointment, origin=origin, at=at(-20))
    return services.session_check_in(session=session, origin=origin, at=at(-20))


def prechecks(**overrides):
    values = {**PRECHECKS_OK, **overrides}
    vitals = values.pop(
        "vitals",
        {"systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_bpm": 74, "spo2_percent": 98},
    )
    return services.PrecheckInput(
        last_food_at=at(-400), last_liquid_at=at(-120), vitals=vitals, **values
    )


def ready_to_dose(appointment, origin):
    session = checked_in(appointment, origin)
    failures = services.session_prechecks(
        session=session, entry=prechecks(), origin=origin, at=at(-10)
    )
    assert failures == []
    session.refresh_from_db()
    assert session.state == "prechecks_passed"
    return session


def vitals(session, origin, minute, sys_, dia, hr=80, spo2=97):
    return services.vitals_record(
        session=session,
        values={
            "systolic_mmhg": sys_,
            "diastolic_mmhg": dia,
            "heart_rate_bpm": hr,
            "spo2_percent": spo2,
            "respiratory_rate_per_min": 14,
        },
        taken_at=at(minute),
        origin=origin,
        at=at(minute),
    )


def test_a_full_iv_session_from_check_in_to_co_signature(
    appointment, nurse_origin, prescriber_origin
):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(
        session=session, lot_number="LOT-1", origin=nurse_origin, at=at(0)
    )
    session.refresh_from_db()
    assert session.state == "dosing" and session.order.is_actionable
    vitals(session, nurse_origin, 10, 134, 84)
    with pytest.raises(InvalidEntry, match="reason for ending below the order"):
        services.session_end_dosing(session=session, origin=nurse_origin, at=at(14))
    services.session_end_dosing(
        session=session, origin=nurse_origin, at=at(14), reason="Nausea; patient asked to stop"
    )
    session.refresh_from_db()
    summary = administration_summary(session, now=at(50))
    assert summary.status == "stopped"
    # Delivered at the bag's concentration (35 mg in 100 mL), from the record.
    assert summary.dose_mg == pytest.approx(150 * 14 / 60 * 0.35)
    assert summary.undelivered_mg == pytest.approx(35 - 12.25)  # the waste to record
    vitals(session, nurse_origin, 45, 130, 80)
    services.session_discharge(
        session=session,
        answers=DISCHARGE_OK,
        instructions="No driving",
        origin=nurse_origin,
        at=at(50),
    )
    services.session_sign(session=session, origin=nurse_origin, at=at(55))
    services.session_cosign(session=session, origin=prescriber_origin, at=at(60))
    session.refresh_from_db()
    assert session.state == "cosigned"
    steps = list(SessionEvent.objects.filter(session=session).values_list("event", flat=True))
    assert steps == [
        "create",
        "check_in",
        "prechecks",
        "pass_prechecks",
        "start_dosing",
        "end_dosing",
        "discharge",
        "sign",
        "cosign",
    ]


def test_failed_prechecks_block_dosing_until_a_prescriber_overrides(
    appointment, nurse_origin, prescriber_origin, nurse_actor, prescriber_actor
):
    session = checked_in(appointment, nurse_origin)
    failures = services.session_prechecks(
        session=session,
        entry=prechecks(
            vitals={
                "systolic_mmhg": 150,
                "diastolic_mmhg": 92,
                "heart_rate_bpm": 78,
                "spo2_percent": 98,
            }
        ),
        origin=nurse_origin,
        at=at(-10),
    )
    assert [f["id"] for f in failures] == ["vitals:bp_above_predose_caution"]
    with pytest.raises(SessionRefused):
        services.session_start_dosing(
            session=session, lot_number="L", origin=nurse_origin, at=at(0)
        )
    with pytest.raises(SessionRefused, match="Only a prescriber"):
        services.session_override(
            session=session, actor=nurse_actor, reason="fine", origin=nurse_origin, at=at(-5)
        )
    services.session_override(
        session=session,
        actor=prescriber_actor,
        reason="Long-standing 150/90",
        origin=prescriber_origin,
        at=at(-5),
    )
    session.refresh_from_db()
    assert session.state == "prechecks_passed"
    assert session.override_reason == "Long-standing 150/90"


def test_identity_cannot_be_overridden(
    appointment, nurse_origin, prescriber_origin, prescriber_actor
):
    session = checked_in(appointment, nurse_origin)
    services.session_prechecks(
        session=session,
        entry=prechecks(identity_confirmed="unknown"),
        origin=nurse_origin,
        at=at(-10),
    )
    with pytest.raises(SessionRefused, match="cannot be overridden"):
        services.session_override(
            session=session,
            actor=prescriber_actor,
            reason="ok",
            origin=prescriber_origin,
            at=at(-5),
        )


def test_no_signed_order_and_no_consent_block_the_gate(
    make_booking, patient, iv_protocol, nurse_origin
):
    appointment = make_booking(patient, signed=False, consent=False)
    session = checked_in(appointment, nurse_origin)
    failures = services.session_prechecks(
        session=session, entry=prechecks(), origin=nurse_origin, at=at(-10)
    )
    assert {f["id"] for f in failures} == {"order", "consent"}
    assert not any(f["overridable"] for f in failures)


def test_unconfigured_protocol_blocks_dosing(make_booking, patient, nurse_origin):
    session = checked_in(make_booking(patient), nurse_origin)
    failures = services.session_prechecks(
        session=session, entry=prechecks(), origin=nurse_origin, at=at(-10)
    )
    ids = {f["id"] for f in failures}
    assert {"fasting_food", "fasting_liquid"} <= ids
    assert not all(f["overridable"] for f in failures)


def test_a_hypertensive_reading_opens_an_alert_that_resolves_after_acknowledgement(
    appointment, nurse_origin
):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    _, opened, _ = vitals(session, nurse_origin, 10, 186, 104)
    (alert,) = opened
    assert alert.kind == Alert.Kind.VITALS and alert.level == "critical"
    assert alert.code == "bp_above_intra_session_threshold"
    assert "call the prescriber" in alert.recommended_action
    # A second high reading while the first is unacknowledged opens no duplicate.
    assert vitals(session, nurse_origin, 12, 184, 102)[1] == []
    # Back within limits, but unacknowledged: still open until a person acknowledges it.
    _, _, resolved = vitals(session, nurse_origin, 20, 160, 90)
    assert resolved == []
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    done = services.vitals_alert_acknowledge(
        session=session,
        alert=alert,
        actions=["slowed", "prescriber_called"],
        note="",
        origin=nurse_origin,
        at=at(21),
    )
    assert done.status == Alert.Status.RESOLVED
    assert "Slowed the infusion" in done.action_note


def test_an_acknowledged_alert_resolves_with_the_next_normal_reading(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    (alert,) = vitals(session, nurse_origin, 10, 130, 85, hr=118)[1]
    services.vitals_alert_acknowledge(
        session=session,
        alert=alert,
        actions=["rechecked"],
        note="",
        origin=nurse_origin,
        at=at(11),
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert vitals(session, nurse_origin, 15, 130, 85, hr=112)[2] == []
    (resolved,) = vitals(session, nurse_origin, 20, 130, 85, hr=96)[2]
    assert resolved.pk == alert.pk and resolved.status == Alert.Status.RESOLVED


def test_open_alerts_block_discharge(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    vitals(session, nurse_origin, 10, 130, 85, spo2=88)
    services.session_end_dosing(
        session=session, origin=nurse_origin, at=at(14), reason="Stopped early"
    )
    vitals(session, nurse_origin, 50, 130, 80)
    with pytest.raises(SessionRefused, match="Acknowledge"):
        services.session_discharge(
            session=session, answers=DISCHARGE_OK, instructions="x", origin=nurse_origin, at=at(55)
        )


def test_discharge_before_the_minimum_observation_needs_a_prescriber(
    appointment, nurse_origin, prescriber_origin, prescriber_actor
):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    services.session_end_dosing(
        session=session, origin=nurse_origin, at=at(14), reason="Stopped early"
    )
    vitals(session, nurse_origin, 20, 130, 80)
    with pytest.raises(SessionRefused, match="observed since end of dosing") as refused:
        services.session_discharge(
            session=session, answers=DISCHARGE_OK, instructions="x", origin=nurse_origin, at=at(25)
        )
    unmet = [c["id"] for c in refused.value.details["criteria"] if not c["met"]]
    assert unmet == ["minimum_observation_elapsed"]
    with pytest.raises(InvalidEntry):
        services.session_discharge(
            session=session,
            answers=DISCHARGE_OK,
            instructions="x",
            origin=prescriber_origin,
            at=at(25),
            actor=prescriber_actor,
        )
    services.session_discharge(
        session=session,
        answers=DISCHARGE_OK,
        instructions="x",
        origin=prescriber_origin,
        at=at(25),
        actor=prescriber_actor,
        override_reason="Transport waiting; stable",
    )
    session.refresh_from_db()
    assert session.state == "discharged"
    assert session.discharge_override_reason == "Transport waiting; stable"


def test_the_pump_can_never_record_more_than_the_signed_order(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    # 150 mL/h x 0.35 mg/mL = 52.5 mg/h: the 35 mg order is reached at 40 min.
    with pytest.raises(SessionRefused, match="above the signed order") as refused:
        administration_record(
            session=session, kind="stop", given_at=at(41), origin=nurse_origin, at=at(41)
        )
    assert refused.value.details["ordered_dose_reached_at"].startswith("2025-03-03T15:40")
    administration_record(
        session=session, kind="pause", given_at=at(20), origin=nurse_origin, at=at(20), reason="BP"
    )
    with pytest.raises(SessionRefused, match="rate change needs a documented reason"):
        administration_record(
            session=session,
            kind="rate_change",
            given_at=at(25),
            rate_ml_per_h=Decimal("90"),
            origin=nurse_origin,
            at=at(25),
        )
    administration_record(
        session=session, kind="resume", given_at=at(25), origin=nurse_origin, at=at(25)
    )
    administration_record(
        session=session, kind="stop", given_at=at(44), origin=nurse_origin, at=at(44)
    )
    session.refresh_from_db()
    summary = administration_summary(session, now=at(50))
    assert summary.dose_mg == pytest.approx(52.5 * 39 / 60)
    assert summary.remaining_mg == pytest.approx(35 - 52.5 * 39 / 60)


def test_a_signed_session_is_immutable(appointment, nurse_origin, prescriber_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    services.session_end_dosing(session=session, origin=nurse_origin, at=at(40))
    vitals(session, nurse_origin, 75, 130, 80)
    services.session_discharge(
        session=session, answers=DISCHARGE_OK, instructions="x", origin=nurse_origin, at=at(80)
    )
    services.session_sign(session=session, origin=nurse_origin, at=at(85))
    session.refresh_from_db()
    session.lot_number = "CHANGED"
    with pytest.raises(SessionLocked):
        session.save()
    reading = VitalsEntry.objects.filter(session=session).first()
    reading.systolic_mmhg = 100
    with pytest.raises(SessionLocked):
        reading.save()
    with pytest.raises(SessionLocked):
        reading.delete()
    session.refresh_from_db()
    with pytest.raises(SessionRefused):
        services.side_effect_record(
            session=session,
            effect="nausea",
            severity="mild",
            observed_at=at(86),
            origin=nurse_origin,
            at=at(86),
        )
    with pytest.raises(SessionRefused, match="other than the signer"):
        services.session_cosign(session=session, origin=nurse_origin, at=at(88))
    note = services.session_addendum(
        session=session, text="Lot was LOT-2", reason="Typo", origin=nurse_origin, at=at(90)
    )
    services.session_cosign(session=session, origin=prescriber_origin, at=at(95))
    session.refresh_from_db()
    assert session.state == "cosigned" and session.lot_number == "L"
    with pytest.raises(SessionLocked):
        note.save()


def test_cancel_and_abort_need_a_reason(appointment, nurse_origin):
    session = checked_in(appointment, nurse_origin)
    with pytest.raises(SessionRefused, match="reason"):
        services.session_cancel(session=session, reason=" ", origin=nurse_origin, at=at(0))
    services.session_cancel(session=session, reason="Patient unwell", origin=nurse_origin, at=at(0))
    session.refresh_from_db()
    assert session.state == "cancelled" and session.ended_reason == "Patient unwell"


def test_abort_stops_a_running_pump(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    services.session_abort(
        session=session, reason="Chest pain: to ED", origin=nurse_origin, at=at(12)
    )
    session.refresh_from_db()
    assert session.state == "aborted"
    assert administration_summary(session, now=at(30)).status == "stopped"


def test_a_serious_adverse_event_is_flagged_for_reporting(appointment, nurse_origin):
    session = ready_to_dose(appointment, nurse_origin)
    services.side_effect_record(
        session=session,
        effect="vomiting",
        severity="severe",
        observed_at=at(-5),
        origin=nurse_origin,
        at=at(-5),
        serious_adverse_event=True,
        intervention="ondansetron 4 mg",
    )
    alert = Alert.objects.get(kind=Alert.Kind.ADVERSE_EVENT)
    assert "MedWatch" in alert.recommended_action


def test_cadss6_is_scored_by_the_instrument(appointment, nurse_origin):
    session = checked_in(appointment, nurse_origin)
    row = services.observation_record(
        session=session,
        instrument="cadss6",
        answers=[1, 2, 0, 0, 3, 1],
        observed_at=at(-15),
        origin=nurse_origin,
        at=at(-15),
    )
    assert row.total == 7
    with pytest.raises(InvalidEntry):
        services.observation_record(
            session=session,
            instrument="cadss6",
            answers=[5] * 6,
            observed_at=at(-15),
            origin=nurse_origin,
            at=at(-15),
        )


def test_demo_data_completes_past_sessions_and_seats_a_current_one(
    make_booking, patient, make_patient, clinic, configure_protocol
):
    import random

    from django.utils import timezone

    from ketacare.sessions import demo
    from ketacare.sessions.models import TreatmentSession

    now = timezone.now()
    past = make_booking(patient, starts_at=now - dt.timedelta(days=2))
    current = make_booking(make_patient(clinic), starts_at=now - dt.timedelta(minutes=15))
    demo.load(rng=random.Random(7), clinics=[clinic])
    assert TreatmentSession.objects.get(appointment=past).state == "signed"
    assert TreatmentSession.objects.get(appointment=current).state == "dosing"


def test_a_phq9_and_cssrs_completed_today_count_without_the_nurse_attesting(
    appointment, nurse_origin, patient
):
    services_mod = pytest.importorskip("ketacare.assessments.services")
    from django.utils import timezone

    now = timezone.now()
    for instrument, answers, source in (
        ("phq9", [0] * 9, "staff_paper"),
        ("cssrs_screen", [0, 0, 0, 0, 0, 0, 0], "clinician_rated"),
    ):
        services_mod.response_submit(
            patient=patient,
            instrument=instrument,
            answers=answers,
            source=source,
            origin=nurse_origin,
            completed_at=now,
            at=now,
        )
    session = services.session_open(appointment=appointment, origin=nurse_origin, at=now)
    services.session_check_in(session=session, origin=nurse_origin, at=now)
    entry = prechecks(phq9_completed="unknown", cssrs_completed="unknown")
    entry.last_food_at = now - dt.timedelta(hours=6)
    entry.last_liquid_at = now - dt.timedelta(hours=2)
    assert (
        services.session_prechecks(session=session, entry=entry, origin=nurse_origin, at=now) == []
    )
