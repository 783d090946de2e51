"""The stored due list: the clinic's due list and the dashboard's counts read rows kept by
``services.due``; they must say what the schedule says, whatever changed since."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ketacare.assessments import schedule, selectors, services
from ketacare.assessments.models import (
    DUE_STALE,
    AssessmentPlan,
    DueQuestionnaire,
    ScheduleRule,
)
from ketacare.audit.services import RequestOrigin

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
SYSTEM = RequestOrigin.system("test")


# --- the pure function: stored ahead, read later ----------------------------------------------

RULES = [
    schedule.RuleSpec(1, "phq9", "baseline", window_hours=168, grace_hours=72),
    schedule.RuleSpec(2, "phq9", "before_treatment", "induction", window_hours=72, grace_hours=2),
    schedule.RuleSpec(3, "phq9", "after_treatment", "induction", 24, None, 12, 24),
    schedule.RuleSpec(4, "gad7", "every_n_days", "maintenance", 0, 7, 48, 72),
    schedule.RuleSpec(5, "cssrs_screen", "every_visit", window_hours=24, grace_hours=2),
    schedule.RuleSpec(6, "gad7", "every_n_days", "any", 0, 3, 0, 0),
]
hours = st.integers(min_value=-24 * 10, max_value=24 * 40).map(lambda h: T0 + h * H)


def _open_at(stored: list[schedule.Occurrence], now: dt.datetime) -> list[tuple]:
    """What the SQL of selectors.due_* keeps of the stored rows at ``now``."""
    return sorted(
        (o.key, "due" if now <= o.due_at else "overdue")
        for o in stored
        if o.opens_at <= now and (o.closes_at is None or o.closes_at >= now)
    )


@settings(max_examples=300, deadline=None)
@given(
    treatments=st.lists(hours, max_size=8),
    answered=st.lists(
        st.tuples(st.sampled_from(["phq9", "gad7", "cssrs_screen"]), hours), max_size=10
    ),
    maintenance_after=st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 20)),
    ended_after=st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 40)),
    as_of=hours,
    ahead_hours=st.integers(min_value=0, max_value=24 * 10),
    read_after=st.floats(min_value=0, max_value=1),
)
def test_the_stored_list_read_at_any_time_of_its_span_is_what_the_schedule_says(
    treatments, answered, maintenance_after, ended_after, as_of, ahead_hours, read_after
):
    plan = schedule.PlanSpec(
        started_at=T0,
        maintenance_started_at=None if maintenance_after is None else T0 + maintenance_after * H,
        ended_at=None if ended_after is None else T0 + ended_after * H,
    )
    completed = [schedule.Completed(code, at, n) for n, (code, at) in enumerate(answered)]
    through = as_of + ahead_hours * H
    now = as_of + (through - as_of) * read_after
    stored = schedule.unanswered(
        RULES, plan, treatments=treatments, completed=completed, as_of=as_of, through=through
    )
    live = schedule.occurrences(RULES, plan, treatments=treatments, completed=completed, now=now)
    assert _open_at(stored, now) == sorted((o.key, str(o.state)) for o in live if o.is_open)


def test_a_span_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="through"):
        schedule.unanswered(
            RULES, schedule.PlanSpec(T0), treatments=[], completed=[], as_of=T0, through=T0 - H
        )


# --- kept in step with the database --------------------------------------------------------------


def _listed(clinic, now) -> set[tuple[str, str, str]]:
    services.due_catch_up(clinic=clinic, at=now)
    return {
        (row.item.instrument, row.item.trigger, str(row.item.state))
        for row in selectors.clinic_due(clinic, now=now)
    }


def _scheduled(patient, now) -> set[tuple[str, str, str]]:
    from ketacare.assessments.treatments import treatment_times_for

    items = selectors.assessments_due_for(patient, treatments=treatment_times_for(patient), now=now)
    return {(i.instrument, i.trigger, str(i.state)) for i in items}


@pytest.mark.django_db
def test_a_new_plan_lists_its_baseline_and_a_response_takes_it_off(
    patient, clinic, make_plan, submit
):
    now = timezone.now()
    make_plan(patient, started_at=now - 4 * D)
    assert _listed(clinic, now) == {
        ("phq9", "baseline", "overdue"),
        ("gad7", "baseline", "overdue"),
    }
    assert selectors.due_counts(clinic, now=now) == selectors.DueCounts(overdue=2, due=0)

    submit(patient, "phq9", [1] * 9, completed_at=now - 3 * D)

    assert _listed(clinic, now) == {("gad7", "baseline", "overdue")} == _scheduled(patient, now)
    assert selectors.due_counts(clinic, now=now).total == 1


@pytest.mark.django_db
def test_a_correction_that_moves_the_answer_out_of_the_window_puts_it_back(
    patient, clinic, make_plan, submit
):
    now = timezone.now()
    make_plan(patient, started_at=now - 4 * D)
    submitted = submit(patient, "phq9", [1] * 9, completed_at=now - 3 * D)
    assert ("phq9", "baseline", "overdue") not in _listed(clinic, now)

    services.response_correct(
        response=submitted.response,
        answers=[1] * 9,
        reason="Entered against the wrong visit",
        completed_at=now - 20 * D,  # before the baseline window opened
        origin=SYSTEM,
        at=now,
    )

    assert ("phq9", "baseline", "overdue") in _listed(clinic, now)
    assert _listed(clinic, now) == _scheduled(patient, now)


@pytest.mark.django_db
def test_an_ended_plan_lists_nothing(patient, clinic, make_plan):
    now = timezone.now()
    plan = make_plan(patient, started_at=now - 4 * D)
    assert _listed(clinic, now)

    services.plan_update(
        plan=plan,
        started_at=plan.started_at,
        maintenance_started_at=None,
        prescriber=plan.prescriber,
        ended_at=now,
        origin=SYSTEM,
        at=now,
    )

    assert _listed(clinic, now) == set()
    assert not DueQuestionnaire.objects.filter(plan=plan).exists()


@pytest.mark.django_db
def test_a_rule_added_or_retired_changes_every_open_plan_at_once(
    patient, make_patient, clinic, make_plan
):
    now = timezone.now()
    other = make_patient(clinic, first_name="Ola")
    for who in (patient, other):
        make_plan(who, started_at=now - 4 * D)
    rule = services.rule_create(
        clinic=clinic,
        values={"instrument": "pcl5", "trigger": "every_n_days", "interval_days": 1},
        origin=SYSTEM,
        at=now,
    )
    listed = selectors.clinic_due(clinic, now=now)
    assert {r.patient.pk for r in listed if r.item.instrument == "pcl5"} == {patient.pk, other.pk}

    services.rule_update(rule=rule, values={"active": False}, origin=SYSTEM, at=now)

    assert not [r for r in selectors.clinic_due(clinic, now=now) if r.item.instrument == "pcl5"]


@pytest.mark.django_db
def test_a_treatment_booked_or_cancelled_changes_the_list_at_the_next_read(
    patient, clinic, make_plan, submit
):
    from ketacare.treatment.models import Appointment

    now = timezone.now()
    plan = make_plan(patient, started_at=now - 4 * D)
    submit(patient, "phq9", [1] * 9, completed_at=now - 3 * D)
    submit(patient, "gad7", [1] * 7, completed_at=now - 3 * D)
    assert _listed(clinic, now) == set()

    starts = now + 2 * H
    appointment = Appointment.objects.create(
        clinic=clinic, patient=patient, starts_at=starts, ends_at=starts + 2 * H, created_at=now
    )
    plan.refresh_from_db()
    assert plan.due_through == DUE_STALE  # marked by the booking, stored again when read

    expected = {
        ("phq9", "before_treatment", "due"),
        ("gad7", "before_treatment", "due"),
        ("cssrs_screen", "every_visit", "due"),
    }
    assert _listed(clinic, now) == expected == _scheduled(patient, now)

    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])

    assert _listed(clinic, now) == set() == _scheduled(patient, now)


@pytest.mark.django_db
def test_time_passing_beyond_the_stored_span_is_caught_up_when_read(patient, clinic, make_plan):
    now = timezone.now()
    plan = make_plan(patient, started_at=now - 30 * D, maintenance_started_at=now - 20 * D)
    plan.refresh_from_db()
    later = plan.due_through + 10 * D  # weekly PHQ-9/GAD-7 occurrences not stored yet

    assert services.due_catch_up(clinic=clinic, at=later) == 1
    listed = _listed(clinic, later)

    assert ("phq9", "every_n_days", "overdue") in listed or (
        "phq9",
        "every_n_days",
        "due",
    ) in listed
    assert listed == _scheduled(patient, later)
    assert services.due_catch_up(clinic=clinic, at=later) == 0  # stored: nothing more to do


@pytest.mark.django_db
def test_the_nightly_refresh_carries_plans_forward_before_anyone_reads(patient, clinic, make_plan):
    now = timezone.now()
    plan = make_plan(patient, started_at=now - 4 * D)
    plan.refresh_from_db()
    stored_through = plan.due_through
    AssessmentPlan.objects.filter(pk=plan.pk).update(due_through=DUE_STALE)

    call_command("due_refresh", now=(now + D).isoformat(), stdout=io.StringIO())

    plan.refresh_from_db()
    assert plan.due_through > stored_through
    assert services.due_catch_up(clinic=clinic, at=now + D) == 0


@pytest.mark.django_db
def test_rules_of_another_clinic_and_its_patients_stay_out(
    patient, make_patient, clinic, other_clinic, make_plan
):
    now = timezone.now()
    elsewhere = make_patient(other_clinic)
    make_plan(patient, started_at=now - 4 * D)
    make_plan(elsewhere, started_at=now - 4 * D, prescriber=None)

    assert {r.patient.pk for r in selectors.clinic_due(clinic, now=now)} == {patient.pk}
    assert {r.patient.pk for r in selectors.clinic_due(other_clinic, now=now)} == {elsewhere.pk}


# --- the page and the API, a page at a time ------------------------------------------------------


@pytest.mark.django_db
def test_the_due_list_pages_overdue_first(make_patient, clinic, make_plan, client_for):
    now = timezone.now()
    patients = [make_patient(clinic, first_name=f"P{n:02d}") for n in range(30)]
    for n, who in enumerate(patients):
        make_plan(who, started_at=now - (4 if n % 2 else 2) * D)  # overdue, or still due
    ScheduleRule.objects.filter(clinic=clinic).exclude(trigger="baseline").update(active=False)

    nurse = client_for("nurse")
    first = nurse.get("/assessments/").content.decode()
    assert "Overdue (30) · Due (30)" in first
    assert "Page 1 of 2" in first
    assert first.count('class="badge critical">') == 30
    assert first.count('class="badge warning">') == selectors.DUE_PAGE_SIZE - 30
    second = nurse.get("/assessments/?page=2").content.decode()
    assert second.count('class="badge warning">') == 10

    rows = nurse.get("/api/v1/assessments/due?page=1&page_size=40").json()
    assert [r["state"] for r in rows] == ["overdue"] * 30 + ["due"] * 10
    assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)
    rest = nurse.get("/api/v1/assessments/due?page=2&page_size=40").json()
    assert len(rest) == 20
    assert nurse.get("/api/v1/assessments/due?page_size=0").status_code == 422


@pytest.mark.django_db
def test_the_dashboard_counts_from_the_stored_list(patient, clinic, make_plan, client_for):
    make_plan(patient, started_at=timezone.now() - 4 * D)
    page = client_for("prescriber").get("/").content.decode()
    assert "2 overdue" in page
