"""The vitals schedule and overdue reminder, the chart, and at-home concerns."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest

from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin
from ketacare.sessions import services
from ketacare.sessions.chart import vitals_chart
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.records import InvalidEntry
from ketacare.sessions.selectors import reading_schedule
from tests.web.sessions.conftest import PRECHECKS_OK

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def dosing(appointment, nurse_origin):
    session = services.session_open(appointment=appointment, origin=nurse_origin, at=at(-20))
    services.session_check_in(session=session, origin=nurse_origin, at=at(-20))
    entry = services.PrecheckInput(
        **PRECHECKS_OK,
        last_food_at=at(-400),
        last_liquid_at=at(-120),
        vitals={
            "systolic_mmhg": 124,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 70,
            "spo2_percent": 98,
        },
    )
    services.session_prechecks(session=session, entry=entry, origin=nurse_origin, at=at(-10))
    services.session_start_dosing(session=session, lot_number="L", origin=nurse_origin, at=at(0))
    session.refresh_from_db()
    return session


def reading(session, origin, minute, **values):
    base = {
        "systolic_mmhg": 130,
        "diastolic_mmhg": 82,
        "heart_rate_bpm": 80,
        "spo2_percent": 97,
        "respiratory_rate_per_min": 14,
    }
    return services.vitals_record(
        session=session, values=base | values, taken_at=at(minute), origin=origin, at=at(minute)
    )


def test_readings_are_due_at_the_protocol_interval_and_flagged_when_overdue(dosing, nurse_origin):
    protocol = protocol_for(dosing.clinic, dosing.route)
    schedule = reading_schedule(dosing, protocol, now=at(5))
    assert schedule.next_due == at(10) and not schedule.overdue  # every 10 min [S94]
    assert reading_schedule(dosing, protocol, now=at(11)).overdue
    reading(dosing, nurse_origin, 11)
    assert reading_schedule(dosing, protocol, now=at(12)).next_due == at(21)
    services.session_end_dosing(session=dosing, origin=nurse_origin, at=at(40))
    dosing.refresh_from_db()
    after = reading_schedule(dosing, protocol, now=at(41))
    assert after.next_due == at(55)  # every 15 min after [S94]


def test_a_missing_interval_is_named_not_hidden(
    make_booking, patient, nurse_origin, configure_protocol
):
    configure_protocol("racemic_im", {"fasting_food_minutes": 0})
    session = services.session_open(
        appointment=make_booking(patient, route="racemic_im"), origin=nurse_origin, at=at(0)
    )
    services.session_check_in(session=session, origin=nurse_origin, at=at(0))
    session.state = "dosing"
    session.dosing_started_at = at(1)
    schedule = reading_schedule(session, protocol_for(session.clinic, "racemic_im"), now=at(5))
    assert "Vitals interval during dosing" in schedule.problem


def test_low_spo2_and_a_heart_rate_above_110_raise_critical_alerts(dosing, nurse_origin):
    _, opened, _ = reading(dosing, nurse_origin, 10, spo2_percent=89, heart_rate_bpm=111)
    assert {a.code for a in opened} == {
        "spo2_below_alert_threshold",
        "heart_rate_above_intra_session_threshold",
    }
    assert all(a.level == "critical" for a in opened)
    # 180/100 exactly is within the limit ("above" is strict).
    assert reading(dosing, nurse_origin, 12, systolic_mmhg=180, diastolic_mmhg=100)[1] == []


def test_implausible_values_are_refused_with_the_field(dosing, nurse_origin):
    with pytest.raises(InvalidEntry) as bad:
        reading(dosing, nurse_origin, 10, spo2_percent=140)
    assert "SpO2 140" in str(bad.value)


def test_the_chart_draws_each_series_and_the_thresholds(dosing, nurse_origin):
    reading(dosing, nurse_origin, 10)
    reading(dosing, nurse_origin, 20, systolic_mmhg=186, diastolic_mmhg=104)
    entries = list(dosing.vitals.all())
    chart = vitals_chart(entries, protocol_for(dosing.clinic, dosing.route), start=at(0))
    bp, spo2 = chart.panels
    assert [len(s.points) for s in bp.series] == [3, 3, 3]
    assert {t.label for t in bp.thresholds} == {"stop SBP 180", "stop DBP 100", "stop HR 110"}
    assert spo2.thresholds[0].label == "SpO2 92%"
    high = bp.series[0].points[-1]
    assert high[1] < bp.thresholds[0].y  # drawn above the stop line


@pytest.fixture
def at_home_patient(make_booking, patient, configure_protocol):
    from ketacare.treatment.models import TreatmentCourse

    configure_protocol(
        "racemic_sublingual",
        {"spo2_alert_below_percent": 92, "respiratory_rate_alert_below_per_min": 10},
    )
    make_booking(patient, route="racemic_sublingual", dose_mg="200")
    TreatmentCourse.objects.filter(patient=patient).update(phase="maintenance")
    return patient


def log(patient, **overrides):
    entry = {
        "started_at": at(0),
        "ended_at": at(90),
        "sitter_present": True,
        "dose_taken_mg": "200",
        "phq9_answers": [1] * 8 + [0],
    } | overrides
    return services.at_home_log(
        patient=patient,
        entry=services.AtHomeEntry(**entry),
        origin=RequestOrigin.system("portal"),
        at=at(100),
    )


def test_a_quiet_at_home_session_opens_no_alert(at_home_patient):
    row = log(at_home_patient, systolic_mmhg=128, diastolic_mmhg=80)
    assert row.concerns == [] and row.phq9_total == 8
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code", "level"),
    [
        ({"sitter_present": False}, "no_sitter", "warning"),
        (
            {"side_effects": [{"effect": "vomiting", "severity": "severe"}]},
            "severe_side_effect",
            "warning",
        ),
        ({"phq9_answers": [1] * 8 + [1]}, "phq9_suicidal_ideation", "critical"),
        (
            {"systolic_mmhg": 181, "diastolic_mmhg": 90},
            "bp_above_intra_session_threshold",
            "critical",
        ),
    ],
)
def test_worrying_at_home_entries_alert_the_care_team(at_home_patient, overrides, code, level):
    row = log(at_home_patient, **overrides)
    alert = Alert.objects.get(kind=Alert.Kind.AT_HOME)
    assert [c["code"] for c in row.concerns] == [code]
    assert alert.level == level and alert.code == code
    if importlib.util.find_spec("ketacare.alerts.services"):  # escalation is that app's
        assert (alert.escalation_due_at is not None) == code.startswith("phq9")


def test_at_home_logs_need_an_at_home_programme(patient):
    with pytest.raises(InvalidEntry, match="no at-home"):
        log(patient)
