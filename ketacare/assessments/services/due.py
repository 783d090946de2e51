"""The stored due list: each open plan's unanswered questionnaires with their windows.

The clinic's due list and the dashboard's counts read ``DueQuestionnaire`` rows in SQL instead
of running the schedule for every plan on every request. The rows are derived from what the
schedule reads, so they are stored again whenever that changes:

- a response is entered or corrected, a plan starts, changes or ends: that plan, at once;
- a schedule rule is added or changed: every open plan of the clinic, at once;
- a treatment appointment is booked, moved, cancelled or missed (the treatment app calls
  ``due_mark_stale`` from its appointment signal): the plan is marked stale, one cheap UPDATE,
  and stored again by the next ``due_catch_up`` (a series books six appointments at once);
- time passes: a plan holds the questionnaires opening up to ``due_through`` (``DUE_AHEAD``
  after it was stored); ``due_catch_up`` stores plans whose span has run out (or that are
  stale) before the due list is read, and ``ketacare due_refresh`` (cron, nightly) carries every
  plan forward ahead of time and drops the questionnaires missed since.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from ketacare.assessments import schedule, selectors
from ketacare.assessments.models import (
    DUE_STALE,
    AssessmentPlan,
    AssessmentResponse,
    DueQuestionnaire,
)
from ketacare.assessments.treatments import treatment_times_for_many

DUE_AHEAD = dt.timedelta(days=7)  # how far ahead of its store a plan's due list reaches
CHUNK = 500  # plans stored per round of queries


@transaction.atomic
def due_store(*, plan_ids: Iterable[int], at: dt.datetime) -> int:
    """Store the due list of these plans (ended ones: none) as at ``at``, reaching
    ``DUE_AHEAD`` further; returns the rows. The plans are locked first, in id order, so two
    writers never interleave their rows."""
    ids = sorted(set(plan_ids))
    stored = 0
    for start in range(0, len(ids), CHUNK):
        stored += _store_chunk(ids[start : start + CHUNK], at)
    return stored


def _store_chunk(ids: list[int], at: dt.datetime) -> int:
    plans = list(
        AssessmentPlan.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("patient", "patient__clinic")
        .order_by("pk")
    )
    DueQuestionnaire.objects.filter(plan_id__in=ids).delete()
    plans = [plan for plan in plans if plan.ended_at is None]
    if not plans:
        return 0
    patients = [plan.patient for plan in plans]
    treatments = treatment_times_for_many(patients)
    completed: dict[int, list[schedule.Completed]] = defaultdict(list)
    current = AssessmentResponse.objects.filter(
        patient_id__in=[p.pk for p in patients], superseded_by__isnull=True
    ).values_list("patient_id", "instrument", "completed_at", "pk")
    for patient_id, instrument, completed_at, pk in current:
        completed[patient_id].append(schedule.Completed(instrument, completed_at, pk))
    rules_by_clinic: dict[int, list[schedule.RuleSpec]] = {}
    rows = []
    for plan in plans:
        clinic = plan.patient.clinic
        if clinic.pk not in rules_by_clinic:
            rules = selectors.rules_for(clinic)
            rules_by_clinic[clinic.pk] = [selectors.rule_spec(r) for r in rules]
        plan.due_as_of, plan.due_through = at, at + DUE_AHEAD
        for item in schedule.unanswered(
            rules_by_clinic[clinic.pk],
            selectors.plan_spec(plan),
            treatments=treatments[plan.patient_id],
            completed=completed[plan.patient_id],
            as_of=plan.due_as_of,
            through=plan.due_through,
        ):
            rows.append(
                DueQuestionnaire(
                    plan=plan,
                    clinic_id=clinic.pk,
                    patient_id=plan.patient_id,
                    key=item.key,
                    rule_id=item.rule_id,
                    instrument=item.instrument,
                    trigger=item.trigger,
                    anchor_at=item.anchor_at,
                    opens_at=item.opens_at,
                    due_at=item.due_at,
                    closes_at=item.closes_at,
                )
            )
    DueQuestionnaire.objects.bulk_create(rows, batch_size=1000)
    AssessmentPlan.objects.bulk_update(plans, ["due_as_of", "due_through"], batch_size=1000)
    return len(rows)


def due_store_for_patient(*, patient_id: int, at: dt.datetime) -> int:
    """Store the due list of the patient's open plan, if any (after their responses or plan
    changed)."""
    ids = AssessmentPlan.objects.filter(patient_id=patient_id, ended_at__isnull=True).order_by()
    return due_store(plan_ids=ids.values_list("pk", flat=True), at=at)


def due_store_for_clinic(*, clinic, at: dt.datetime) -> int:
    """Store the due list of every open plan of the clinic (after its rules changed)."""
    ids = AssessmentPlan.objects.filter(patient__clinic=clinic, ended_at__isnull=True).order_by()
    return due_store(plan_ids=ids.values_list("pk", flat=True), at=at)


def due_mark_stale(*, patient_ids: Iterable[int]) -> int:
    """The patients' treatment times changed: their open plans are stored again by the next
    ``due_catch_up``. One UPDATE, so booking a series costs the booking almost nothing."""
    return AssessmentPlan.objects.filter(
        patient_id__in=list(patient_ids), ended_at__isnull=True
    ).update(due_through=DUE_STALE)


def _stale(at: dt.datetime) -> Q:
    # One range on the partial index of open plans' due_through: the stale ones come first.
    return Q(ended_at__isnull=True, due_through__lt=at)


def due_catch_up(*, clinic, at: dt.datetime) -> int:
    """Before the clinic's due list is read at ``at``: store the plans that are stale or whose
    span ends before ``at``. Usually none (one indexed query); returns how many plans."""
    # Every clinic's stale plans (a handful, read from the index), then this clinic's: asking
    # for the clinic in SQL would walk the clinic's patients instead.
    stale = AssessmentPlan.objects.filter(_stale(at)).order_by()
    ids = [
        pk
        for pk, clinic_id in stale.values_list("pk", "patient__clinic_id")
        if clinic_id == clinic.pk
    ]
    if ids:
        due_store(plan_ids=ids, at=at)
    return len(ids)


def due_refresh(*, at: dt.datetime, margin: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Every clinic: store again the plans whose span ends within ``margin`` of ``at`` (and the
    stale ones), carrying them ``DUE_AHEAD`` forward; returns how many plans."""
    ids = list(
        AssessmentPlan.objects.filter(_stale(at + margin))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        due_store(plan_ids=ids[start : start + CHUNK], at=at)
    return len(ids)
