"""Each long-term safety signal: what raises it, that it is raised once, and its closure by a
prescriber's documented review (immutable; corrections as addenda)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.alerts.models import Alert
from ketacare.audit.services import RequestOrigin
from ketacare.controlled_substances import services as ledger_services
from ketacare.core.actions import Actor
from ketacare.core.errors import Forbidden, Invalid, Refused
from ketacare.longterm import services
from ketacare.longterm.models import RecordImmutable, Signal
from ketacare.sessions.models import AtHomeSession
from tests.web.controlled_substances.conftest import Ledger, at

pytestmark = pytest.mark.django_db

NO = dict.fromkeys(
    ["frequency", "urgency", "pain on passing urine", "blood in urine", "suprapubic pain"], False
)


def origin(user):
    return RequestOrigin(actor=user, actor_label=user.get_username())


def actor(user, role, clinic):
    return Actor(user=user, roles=frozenset({role}), clinic_id=clinic.pk)


def kinds(patient):
    return sorted(Signal.objects.filter(patient=patient).values_list("kind", flat=True))


def sync(patient, staff):
    return services.signals_sync(
        patient=patient, origin=origin(staff["nurse"]), at=timezone.now()
    )


# --- urinary ------------------------------------------------------------------------------------


def test_positive_urinary_check_raises_signal_and_alerts_the_prescriber(patient, staff):
    services.urinary_check_record(
        patient=patient, answers={**NO, "urgency": True, "blood in urine": True},
        origin=origin(staff["nurse"]), at=timezone.now(),
    )  # fmt: skip
    signal = Signal.objects.get(patient=patient)
    assert signal.kind == "urinary_symptoms" and signal.category == "urinary"
    alert = Alert.objects.get(patient=patient, code="urinary_symptoms")
    assert "urinalysis" in alert.recommended_action and "pausing" in alert.recommended_action
    assert "urgency" in alert.message


def test_negative_urinary_check_raises_nothing(patient, staff):
    check = services.urinary_check_record(
        patient=patient, answers=NO, origin=origin(staff["nurse"]), at=timezone.now()
    )
    assert check.positive == [] and kinds(patient) == []
    assert not Alert.objects.filter(patient=patient).exists()


def test_urinary_check_needs_every_answer(patient, staff):
    with pytest.raises(Invalid, match="Answer every question"):
        services.urinary_check_record(
            patient=patient, answers={"urgency": False}, origin=origin(staff["nurse"]),
            at=timezone.now(),
        )  # fmt: skip


def test_clinic_checklist_replaces_the_questions(patient, staff, set_longterm):
    set_longterm({"urinary_checklist": "urgency, nocturia"})
    services.urinary_check_record(
        patient=patient, answers={"urgency": False, "nocturia": True},
        origin=origin(staff["nurse"]), at=timezone.now(),
    )  # fmt: skip
    assert kinds(patient) == ["urinary_symptoms"]


# --- cognition ----------------------------------------------------------------------------------


def screen(patient, staff, score, days_ago):
    return services.cognitive_screen_record(
        patient=patient, score=score, instrument="Clinic screen",
        administered_at=timezone.now() - dt.timedelta(days=days_ago),
        origin=origin(staff["nurse"]), at=timezone.now(),
    )  # fmt: skip


def test_worse_cognitive_score_raises_signal_when_configured(patient, staff, set_longterm):
    set_longterm({"cognition_worse_when": "lower", "cognition_worsening_points": 3.0})
    screen(patient, staff, 28, 90)
    screen(patient, staff, 27, 30)
    assert kinds(patient) == []
    screen(patient, staff, 24, 1)
    assert kinds(patient) == ["cognition_worse"]


def test_cognitive_score_is_not_judged_without_the_clinics_settings(patient, staff):
    screen(patient, staff, 28, 90)
    screen(patient, staff, 10, 1)
    assert kinds(patient) == []


def test_cognitive_screen_needs_an_instrument_name(patient, staff):
    with pytest.raises(Invalid, match="Name the cognitive screen"):
        services.cognitive_screen_record(
            patient=patient, score=20, administered_at=timezone.now(),
            origin=origin(staff["nurse"]), at=timezone.now(),
        )  # fmt: skip


# --- liver --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "upper", "clinic_limit", "value", "raised"),
    [
        ("normal", 56, None, 30, False),
        ("high", None, None, 90, True),
        ("", 56, None, 60, True),
        ("", None, 40.0, 50, True),
        ("", None, None, 50, False),
    ],
)
def test_abnormal_liver_result_raises_signal(
    patient, staff, set_longterm, flag, upper, clinic_limit, value, raised
):
    if clinic_limit is not None:
        set_longterm({"liver_alt_upper": clinic_limit})
    services.liver_result_record(
        patient=patient, analyte="alt", value=value, lab_flag=flag, lab_upper=upper,
        collected_on=dt.date(2026, 1, 5), origin=origin(staff["nurse"]), at=timezone.now(),
    )  # fmt: skip
    assert kinds(patient) == (["liver_abnormal"] if raised else [])


def test_liver_result_in_the_future_is_refused(patient, staff):
    with pytest.raises(Invalid, match="future"):
        services.liver_result_record(
            patient=patient, analyte="ast", value=20,
            collected_on=timezone.now().date() + dt.timedelta(days=3),
            origin=origin(staff["nurse"]), at=timezone.now(),
        )  # fmt: skip


# --- misuse -------------------------------------------------------------------------------------


def test_substance_use_at_prechecks_raises_signal(patient, staff, make_course, give_dose):
    course = make_course(patient)
    give_dose(course, 3, substance_use_since_last_visit="no")
    give_dose(course, 1, substance_use_since_last_visit="yes")
    sync(patient, staff)
    assert kinds(patient) == ["substance_use_at_prechecks"]
    sync(patient, staff)  # found again: not raised twice
    assert kinds(patient) == ["substance_use_at_prechecks"]


@pytest.fixture
def troches(clinic, staff):
    ledger = Ledger(clinic, staff)
    ledger.receive(ledger.troches, "TRO-1", 2)  # 60 troches of 100 mg
    return ledger


def dispense(ledger, patient, units, minutes):
    return ledger_services.dispense_record(
        clinic=ledger.clinic, patient=patient, lot=ledger.troches.lots.get(),
        location=ledger.safe, amount=ledger_services.Amount(units=units),
        origin=origin(ledger.staff["nurse"]), at=at(minutes),
    )  # fmt: skip


def log_at_home(patient, course, mg, minutes):
    start = at(minutes)
    return AtHomeSession.objects.create(
        clinic=patient.clinic, patient=patient, course=course, started_at=start,
        ended_at=start + dt.timedelta(hours=1), sitter_present=True,
        dose_taken_mg=Decimal(mg), phq9_answers=[0] * 9, phq9_total=0, created_at=start,
    )  # fmt: skip


def test_at_home_signals_from_ledger_and_logs(troches, patient, staff, make_course):
    course = make_course(patient, "racemic_sublingual", "100")
    dispense(troches, patient, 3, 0)  # 300 mg
    log_at_home(patient, course, "100", 60 * 24)
    log_at_home(patient, course, "150", 60 * 48)  # above the 100 mg order
    dispense(troches, patient, 3, 60 * 72)  # 50 mg of the first supply not logged: early
    log_at_home(patient, course, "300", 60 * 96)  # 550 logged of 600 dispensed
    log_at_home(patient, course, "100", 60 * 120)  # 650 logged: more than dispensed
    sync(patient, staff)
    assert kinds(patient) == [
        "at_home_dose_above_order",
        "at_home_dose_above_order",
        "at_home_logged_beyond_dispensed",
        "early_request",
    ]
    early = Signal.objects.get(patient=patient, kind="early_request")
    assert early.evidence["unaccounted_mg"] == 50.0


def test_ledger_correction_for_the_patient_raises_signal(troches, patient, staff):
    entry = dispense(troches, patient, 2, 0)
    ledger_services.entry_correct(
        entry=entry, reason="Wrong patient chosen", origin=origin(staff["medical_director"]),
        at=at(5),
    )  # fmt: skip
    sync(patient, staff)
    assert kinds(patient) == ["ledger_correction"]


def set_limit(patient, staff, on_exceed):
    return services.dispensing_limit_set(
        patient=patient, max_mg=500, period_days=30, on_exceed=on_exceed,
        actor=actor(staff["prescriber"], "prescriber", patient.clinic),
        origin=origin(staff["prescriber"]), at=timezone.now(),
    )  # fmt: skip


def test_dispensing_above_a_refusing_limit_is_refused(troches, patient, staff):
    from ketacare.controlled_substances.models import LedgerEntry

    set_limit(patient, staff, "refuse")
    dispense(troches, patient, 3, 0)
    with pytest.raises(Refused, match="above the prescriber's limit of 500 mg"):
        dispense(troches, patient, 3, 60)
    assert LedgerEntry.objects.filter(patient=patient, kind="dispense").count() == 1
    dispense(troches, patient, 2, 120)  # 500 mg in 30 days: at the limit, allowed


def test_dispensing_above_a_warning_limit_is_recorded_with_a_signal(troches, patient, staff):
    set_limit(patient, staff, "warn")
    dispense(troches, patient, 3, 0)
    dispense(troches, patient, 3, 60)
    assert "dispense_limit_exceeded" in kinds(patient)


def test_only_a_prescriber_sets_a_limit(patient, staff):
    with pytest.raises(Forbidden):
        services.dispensing_limit_set(
            patient=patient, max_mg=500, period_days=30, on_exceed="warn",
            actor=actor(staff["nurse"], "nurse", patient.clinic),
            origin=origin(staff["nurse"]), at=timezone.now(),
        )  # fmt: skip


# --- closure ------------------------------------------------------------------------------------


@pytest.fixture
def urinary_signal(patient, staff):
    services.urinary_check_record(
        patient=patient, answers={**NO, "frequency": True}, origin=origin(staff["nurse"]),
        at=timezone.now(),
    )  # fmt: skip
    return Signal.objects.get(patient=patient)


def test_prescriber_closes_a_signal_with_a_documented_decision(urinary_signal, staff, clinic):
    md = actor(staff["prescriber"], "prescriber", clinic)
    review = services.signal_review(
        signal=urinary_signal, decision="assess", note="Urinalysis sent; review in a week",
        actor=md, origin=origin(staff["prescriber"]), at=timezone.now(),
    )  # fmt: skip
    urinary_signal.refresh_from_db()
    assert not urinary_signal.is_open
    with pytest.raises(Refused, match="already reviewed"):
        services.signal_review(
            signal=urinary_signal, decision="no_change", note="again", actor=md,
            origin=origin(staff["prescriber"]), at=timezone.now(),
        )  # fmt: skip
    review.note = "changed"
    with pytest.raises(RecordImmutable):
        review.save()
    services.addendum_add(
        signal_review=review, text="Urinalysis normal.", actor=md,
        origin=origin(staff["prescriber"]), at=timezone.now(),
    )  # fmt: skip
    assert [a.text for a in review.addenda.all()] == ["Urinalysis normal."]


def test_a_review_needs_a_note_and_a_prescriber(urinary_signal, staff, clinic):
    with pytest.raises(Invalid):
        services.signal_review(
            signal=urinary_signal, decision="assess", note="  ",
            actor=actor(staff["prescriber"], "prescriber", clinic),
            origin=origin(staff["prescriber"]), at=timezone.now(),
        )  # fmt: skip
    with pytest.raises(Forbidden):
        services.signal_review(
            signal=urinary_signal, decision="assess", note="ok",
            actor=actor(staff["nurse"], "nurse", clinic), origin=origin(staff["nurse"]),
            at=timezone.now(),
        )  # fmt: skip


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "medical_director",
                                  "billing", "clinic_admin"])  # fmt: skip
def test_review_through_the_api_by_role(role, urinary_signal, patient, api_as):
    response = api_as(
        role, "post",
        f"/api/v1/patients/{patient.pk}/long-term-safety/signals/{urinary_signal.pk}/review",
        {"decision": "monitor", "note": "Ask again next visit"},
    )  # fmt: skip
    assert response.status_code == (201 if role in ("prescriber", "medical_director") else 403)


def test_continuation_review_records_benefit_and_risks(patient, staff, clinic, urinary_signal):
    review = services.continuation_review_sign(
        patient=patient, decision="taper", rationale="Sustained remission; urinary symptoms",
        actor=actor(staff["prescriber"], "prescriber", clinic),
        origin=origin(staff["prescriber"]), at=timezone.now(),
    )  # fmt: skip
    assert review.risks["open_signals"] == [urinary_signal.summary]
    with pytest.raises(Invalid):
        services.continuation_review_sign(
            patient=patient, decision="maybe", rationale="x",
            actor=actor(staff["prescriber"], "prescriber", clinic),
            origin=origin(staff["prescriber"]), at=timezone.now(),
        )  # fmt: skip


def test_nightly_scan_raises_each_signal_once(patient, staff, make_course, give_dose):
    from io import StringIO

    from django.core.management import call_command

    course = make_course(patient)
    give_dose(course, 1, substance_use_since_last_visit="yes")
    out = StringIO()
    call_command("longterm_scan", stdout=out)
    assert "raised 1 new signal" in out.getvalue()
    call_command("longterm_scan", stdout=out)
    assert "raised 0 new signal" in out.getvalue()
    assert kinds(patient) == ["substance_use_at_prechecks"]


def test_current_drug_use_on_a_signed_intake_raises_signal_and_history_is_shown(
    patient, staff, client_for
):
    from ketacare.patients.intake import CONDITION_NAMES, IntakeData
    from ketacare.patients.services import intake_sign, intake_submit
    from tests.conftest import intake_payload

    conditions = dict.fromkeys(CONDITION_NAMES, "no") | {
        "substance_use_active": "yes",
        "substance_use_history": "yes",
    }
    prescriber = origin(staff["prescriber"])
    version = intake_submit(
        patient=patient, data=IntakeData(**intake_payload(conditions=conditions)),
        source="staff", origin=prescriber, at=timezone.now(),
    )  # fmt: skip
    sync(patient, staff)
    assert kinds(patient) == []  # not signed yet: not part of the record
    intake_sign(version=version, origin=prescriber, at=timezone.now())
    sync(patient, staff)
    assert kinds(patient) == ["substance_use_on_intake"]
    html = client_for("prescriber").get(f"/longterm/patients/{patient.pk}/").content.decode()
    assert "Past substance use disorder on the intake" in html


def test_the_ledgers_dispensing_api_answers_the_refusal(troches, patient, staff, api_as):
    set_limit(patient, staff, "refuse")
    body = {
        "kind": "dispense",
        "lot_id": troches.troches.lots.get().pk,
        "location_id": troches.safe.pk,
        "amount": {"units": "6"},
        "patient_id": patient.pk,
    }
    refused = api_as("nurse", "post", "/api/v1/controlled-substances/entries", body)
    assert refused.status_code == 409, refused.content
    assert "above the prescriber's limit of 500 mg" in refused.json()["detail"]
    body["amount"] = {"units": "5"}
    assert api_as("nurse", "post", "/api/v1/controlled-substances/entries", body).status_code == 201


def test_an_at_home_log_raises_its_signal_when_it_is_logged(
    patient, make_course, django_capture_on_commit_callbacks
):
    """No read or nightly scan needed: the log's event syncs the patient's signals once the
    patient's log is stored."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.sessions.services import AtHomeEntry, at_home_log

    make_course(patient, "racemic_sublingual", "100")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        at_home_log(
            patient=patient,
            entry=AtHomeEntry(
                started_at=now - dt.timedelta(hours=3), ended_at=now - dt.timedelta(hours=2),
                sitter_present=True, dose_taken_mg="150", phq9_answers=[0] * 9,
            ),
            origin=RequestOrigin.system("portal"),
            at=now,
        )  # fmt: skip
    assert kinds(patient) == ["at_home_dose_above_order"]
