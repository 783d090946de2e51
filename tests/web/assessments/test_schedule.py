"""Schedules as data: due and overdue items from rules, a plan, treatments and responses; the
due pages and API; e-mail reminders (up to three, idempotent)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ketacare.assessments.schedule import Completed, PlanSpec, RuleSpec, State, occurrences

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

BASELINE = RuleSpec(1, "phq9", "baseline", window_hours=168, grace_hours=72)
BEFORE = RuleSpec(2, "phq9", "before_treatment", phase="induction", window_hours=72, grace_hours=2)
AFTER = RuleSpec(
    3,
    "phq9",
    "after_treatment",
    phase="induction",
    offset_hours=24,
    window_hours=12,
    grace_hours=24,
)
WEEKLY = RuleSpec(
    4, "phq9", "every_n_days", phase="maintenance", interval_days=7, window_hours=48, grace_hours=72
)
VISIT = RuleSpec(5, "cssrs_screen", "every_visit", window_hours=24, grace_hours=2)


def states(rule, plan, *, treatments=(), completed=(), now):
    return [
        (o.state, o.due_at)
        for o in occurrences(
            [rule], plan, treatments=list(treatments), completed=completed, now=now
        )
    ]


def done(at, code="phq9", pk=1):
    return [Completed(code, at, pk)]


# --- the rules -----------------------------------------------------------------------------------


def test_baseline_is_due_from_plan_start_overdue_after_grace_and_missed_at_first_treatment():
    plan = PlanSpec(started_at=T0)
    assert states(BASELINE, plan, now=T0 + H) == [(State.DUE, T0 + 72 * H)]
    assert states(BASELINE, plan, now=T0 + 73 * H) == [(State.OVERDUE, T0 + 72 * H)]
    first = T0 + 5 * D
    assert states(BASELINE, plan, treatments=[first], now=T0 + 4 * D)[0][0] == State.OVERDUE
    assert states(BASELINE, plan, treatments=[first], now=first + H)[0][0] == State.MISSED
    # due at the first treatment when it comes before the grace ends
    assert states(BASELINE, plan, treatments=[T0 + D], now=T0) == [(State.DUE, T0 + D)]


def test_baseline_counts_a_score_up_to_the_window_before_the_plan_and_not_after_treatment():
    plan = PlanSpec(started_at=T0)
    assert states(BASELINE, plan, completed=done(T0 - 6 * D), now=T0)[0][0] == State.DONE
    assert states(BASELINE, plan, completed=done(T0 - 8 * D), now=T0)[0][0] == State.DUE
    first = T0 + D
    late = done(first + H)
    assert states(BASELINE, plan, treatments=[first], completed=late, now=first + 2 * H)[0][0] == (
        State.MISSED
    )


def test_before_each_treatment_opens_a_window_before_and_is_overdue_only_during_grace():
    plan = PlanSpec(started_at=T0)
    t = T0 + 3 * D
    assert states(BEFORE, plan, treatments=[t], now=t - 150 * H) == []  # not open, not near
    assert states(BEFORE, plan, treatments=[t], now=t - 80 * H) == [(State.UPCOMING, t)]
    assert states(BEFORE, plan, treatments=[t], now=t - 71 * H) == [(State.DUE, t)]
    assert states(BEFORE, plan, treatments=[t], now=t + H) == [(State.OVERDUE, t)]
    assert states(BEFORE, plan, treatments=[t], now=t + 3 * H) == [(State.MISSED, t)]
    assert states(BEFORE, plan, treatments=[t], completed=done(t - 2 * H), now=t)[0][0] == (
        State.DONE
    )


def test_24_hours_after_each_treatment():
    plan = PlanSpec(started_at=T0)
    t = T0 + D
    due = t + 24 * H
    assert states(AFTER, plan, treatments=[t], now=t + 13 * H) == [(State.DUE, due)]
    assert states(AFTER, plan, treatments=[t], now=t + 30 * H) == [(State.OVERDUE, due)]
    assert states(AFTER, plan, treatments=[t], now=t + 49 * H) == [(State.MISSED, due)]
    assert (
        states(AFTER, plan, treatments=[t], completed=done(t + 20 * H), now=t + 30 * H)[0][0]
        == State.DONE
    )
    # a score before the window opens does not count
    assert (
        states(AFTER, plan, treatments=[t], completed=done(t + 2 * H), now=t + 30 * H)[0][0]
        == State.OVERDUE
    )


def test_phase_filters_split_induction_from_maintenance():
    maintenance = T0 + 28 * D
    plan = PlanSpec(started_at=T0, maintenance_started_at=maintenance)
    early, late = T0 + 2 * D, maintenance + 2 * D
    items = occurrences([BEFORE], plan, treatments=[early, late], completed=[], now=late)
    assert [o.anchor_at for o in items] == [early]  # BEFORE is an induction rule
    weekly = occurrences([WEEKLY], plan, treatments=[], completed=[], now=maintenance + 15 * D)
    assert [o.due_at for o in weekly] == [maintenance + 7 * D, maintenance + 14 * D]
    assert [o.state for o in weekly] == [State.MISSED, State.OVERDUE]
    assert (
        occurrences([WEEKLY], PlanSpec(started_at=T0), treatments=[], completed=[], now=T0 + 60 * D)
        == []
    )  # never in maintenance


def test_every_visit_and_an_ended_plan():
    plan = PlanSpec(started_at=T0, ended_at=T0 + 10 * D)
    visits = [T0 + D, T0 + 20 * D]
    items = occurrences([VISIT], plan, treatments=visits, completed=[], now=T0 + D)
    assert [(o.instrument, o.anchor_at, o.state) for o in items] == [
        ("cssrs_screen", T0 + D, State.DUE)
    ]


def test_occurrence_keys_are_stable_and_naive_times_refused():
    plan = PlanSpec(started_at=T0)
    a = occurrences([AFTER], plan, treatments=[T0], completed=[], now=T0 + 30 * H)
    b = occurrences([AFTER], plan, treatments=[T0], completed=[], now=T0 + 31 * H)
    assert a[0].key == b[0].key == "r3:after_treatment:20260302T0900Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences([AFTER], plan, treatments=[dt.datetime(2026, 3, 2)], completed=[], now=T0)


# --- with the database ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_default_rules_make_baseline_phq9_and_gad7_due_and_the_treatment_app_can_ask(
    patient, make_plan, submit, clinic
):
    from ketacare.assessments.selectors import assessments_due_for

    now = timezone.now()
    make_plan(patient, started_at=now - 4 * D)
    items = assessments_due_for(patient, treatments=[], now=now)
    assert {(i.instrument, i.state) for i in items} == {("phq9", "overdue"), ("gad7", "overdue")}
    submit(patient, "phq9", [1] * 9, completed_at=now - 84 * H)  # after the plan starts
    treatment = now + 2 * H
    items = assessments_due_for(patient, treatments=[treatment], now=now)
    got = {(i.instrument, i.trigger, i.state) for i in items}
    assert ("phq9", "before_treatment", "due") in got
    assert ("gad7", "baseline", "overdue") in got
    assert ("cssrs_screen", "every_visit", "due") in got
    assert ("phq9", "baseline", "overdue") not in got


@pytest.mark.django_db
def test_no_plan_nothing_due(patient):
    from ketacare.assessments.selectors import assessments_due_for

    assert assessments_due_for(patient, treatments=[timezone.now()], now=timezone.now()) == []


@pytest.mark.django_db
def test_due_page_and_api_list_overdue_patients(patient, make_plan, client_for):
    make_plan(patient, started_at=timezone.now() - 5 * D)
    page = client_for("nurse").get("/assessments/").content.decode()
    assert "Overdue (2)" in page and patient.display_name in page
    rows = client_for("nurse").get("/api/v1/assessments/due").json()
    assert {(r["instrument"], r["state"], r["patient_mrn"]) for r in rows} == {
        ("phq9", "overdue", patient.mrn),
        ("gad7", "overdue", patient.mrn),
    }


@pytest.mark.django_db
def test_rules_are_clinic_data_changed_through_the_api(client_for, clinic):
    import json

    prescriber = client_for("prescriber")
    created = prescriber.post(
        "/api/v1/assessments/rules",
        data=json.dumps({"instrument": "pcl5", "trigger": "every_n_days"}),
        content_type="application/json",
    )
    assert created.status_code == 422  # every_n_days needs an interval
    created = prescriber.post(
        "/api/v1/assessments/rules",
        data=json.dumps({"instrument": "pcl5", "trigger": "every_n_days", "interval_days": 30}),
        content_type="application/json",
    )
    assert created.status_code == 201
    rule_id = created.json()["id"]
    assert prescriber.delete(f"/api/v1/assessments/rules/{rule_id}").status_code == 204
    active = [r["id"] for r in prescriber.get("/api/v1/assessments/rules").json()]
    assert rule_id not in active and len(active) == 9  # the nine defaults


# --- reminders -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_up_to_three_per_questionnaire_spaced_and_idempotent(patient, make_plan):
    start = timezone.now() - 4 * D
    make_plan(patient, started_at=start)
    now = timezone.now()

    def run(at):
        call_command("send_assessment_reminders", now=at.isoformat())

    run(now)
    assert len(mail.outbox) == 2  # PHQ-9 and GAD-7 baselines; C-SSRS is clinician-rated
    run(now + H)  # idempotent: within the interval nothing more
    assert len(mail.outbox) == 2
    run(now + 25 * H)
    run(now + 50 * H)
    run(now + 75 * H)  # a fourth would be due by time, but three is the limit
    assert len(mail.outbox) == 6
    subjects = sorted(m.subject for m in mail.outbox)
    assert any(s.startswith("Reminder 3 of 3") for s in subjects)
    assert all(patient.email in m.to for m in mail.outbox)
    assert "988" in mail.outbox[0].body


@pytest.mark.django_db
def test_answering_through_the_reminder_link_stops_reminders(patient, make_plan, client):
    make_plan(patient, started_at=timezone.now() - 4 * D)
    now = timezone.now()
    call_command("send_assessment_reminders", now=now.isoformat())
    phq = next(m for m in mail.outbox if "PHQ-9" in m.subject)
    path = re.search(r"https?://[^/]+(/assessments/q/\S+/)", phq.body).group(1)
    answered = client.post(path, {f"item-{n}": "0" for n in range(1, 10)})
    assert answered.status_code == 200
    mail.outbox.clear()
    call_command("send_assessment_reminders", now=(now + 2 * D).isoformat())
    assert [m.subject for m in mail.outbox if "PHQ-9" in m.subject] == []
    assert [m for m in mail.outbox if "GAD-7" in m.subject]


@pytest.mark.django_db
def test_no_reminder_without_an_email_address(make_patient, make_plan, clinic):
    quiet = make_patient(clinic, email=None)
    make_plan(quiet, started_at=timezone.now() - 4 * D)
    call_command("send_assessment_reminders")
    assert mail.outbox == []
