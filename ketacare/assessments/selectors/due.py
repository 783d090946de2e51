"""What is due: one patient's schedule, and the clinic's due list read from the stored rows.

The clinic's list and counts read ``DueQuestionnaire`` (kept by ``services.due``; the caller
runs ``services.due_catch_up`` first): they count and page in SQL and read values, not model
objects, so they cost the same few queries whatever the size of the clinic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from ketacare.assessments import schedule
from ketacare.assessments.models import AssessmentPlan, DueQuestionnaire
from ketacare.assessments.selectors.plans import plan_current, plan_spec, rule_spec, rules_for
from ketacare.assessments.selectors.responses import responses_current
from ketacare.patients.models import Patient


def _completed(responses) -> list[schedule.Completed]:
    return [schedule.Completed(r.instrument, r.completed_at, r.pk) for r in responses]


def schedule_for(
    patient: Patient,
    *,
    treatments: list[dt.datetime],
    now: dt.datetime,
    plan: AssessmentPlan | None = None,
) -> list[schedule.Occurrence]:
    """Every occurrence of the clinic's rules for the patient's open plan (all states).

    Pass ``plan`` when the caller already holds the open plan (one query fewer)."""
    plan = plan or plan_current(patient)
    if plan is None:
        return []
    rules = [rule_spec(r) for r in rules_for(patient.clinic)]
    return schedule.occurrences(
        rules,
        plan_spec(plan),
        treatments=treatments,
        completed=_completed(responses_current(patient)),
        now=now,
    )


def assessments_due_for(
    patient: Patient,
    *,
    treatments: list[dt.datetime],
    now: dt.datetime,
    plan: AssessmentPlan | None = None,
) -> list[schedule.Occurrence]:
    """Due and overdue questionnaires for the patient, oldest due first.

    Public for the treatment app: pass the patient's treatment start times (timezone-aware). A
    patient without an open measurement plan has nothing due.
    """
    items = schedule_for(patient, treatments=treatments, now=now, plan=plan)
    return schedule.open_items(items)


# --- the clinic's due list ----------------------------------------------------------------------

DUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class DuePatient:
    """What the due list shows of a patient (values, not the patient row)."""

    pk: int
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str

    @property
    def display_name(self) -> str:  # as Patient.display_name
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.last_name}, {self.first_name} ({self.preferred_name})"
        return f"{self.last_name}, {self.first_name}"


@dataclass(frozen=True)
class DueRow:
    patient: DuePatient
    item: schedule.Occurrence


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    due: int

    @property
    def total(self) -> int:
        return self.overdue + self.due


def _open_at(clinic, now: dt.datetime) -> QuerySet[DueQuestionnaire]:
    """The clinic's questionnaires open at ``now``: window opened, not closed, unanswered."""
    return DueQuestionnaire.objects.filter(
        Q(closes_at__isnull=True) | Q(closes_at__gte=now),
        clinic=clinic,
        opens_at__lte=now,
    )


def due_counts(clinic, *, now: dt.datetime) -> DueCounts:
    """How many questionnaires are overdue and how many due at ``now`` (one query)."""
    counts = _open_at(clinic, now).aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)), due=Count("pk", filter=Q(due_at__gte=now))
    )
    return DueCounts(overdue=counts["overdue"] or 0, due=counts["due"] or 0)


_ROW_FIELDS = (
    "key", "rule_id", "instrument", "trigger", "anchor_at", "opens_at", "due_at", "closes_at",
    "patient_id", "patient__mrn", "patient__first_name", "patient__last_name",
    "patient__preferred_name",
)  # fmt: skip


def due_rows(clinic, *, now: dt.datetime, offset: int = 0, limit: int = DUE_PAGE_SIZE):
    """One page of the questionnaires open at ``now``, overdue first (earliest due first: every
    overdue one is due before every one still due), as values."""
    page = (
        _open_at(clinic, now)
        .order_by("due_at", "pk")
        .values_list(*_ROW_FIELDS)[offset : offset + limit]
    )
    return [_row(values, now) for values in page]


def _row(values: tuple, now: dt.datetime) -> DueRow:
    key, rule_id, instrument, trigger, anchor_at, opens_at, due_at, closes_at, *who = values
    item = schedule.Occurrence(
        key=key,
        rule_id=rule_id,
        instrument=instrument,
        trigger=trigger,
        anchor_at=anchor_at,
        opens_at=opens_at,
        due_at=due_at,
        closes_at=closes_at,
        state=schedule.State.DUE if now <= due_at else schedule.State.OVERDUE,
    )
    return DueRow(DuePatient(*who), item)


class DueList:
    """The clinic's open questionnaires as a sequence a ``Paginator`` pages: its length is the
    counted total, a slice one query."""

    def __init__(self, clinic, *, now: dt.datetime, counts: DueCounts | None = None) -> None:
        self.clinic, self.now = clinic, now
        self.counts = counts or due_counts(clinic, now=now)

    def count(self) -> int:
        return self.counts.total

    def __len__(self) -> int:
        return self.counts.total

    def __getitem__(self, index: slice) -> list[DueRow]:
        if not isinstance(index, slice):
            raise TypeError("The due list is read a page at a time.")
        start = index.start or 0
        stop = self.counts.total if index.stop is None else index.stop
        return due_rows(self.clinic, now=self.now, offset=start, limit=max(0, stop - start))


def clinic_due(clinic, *, now: dt.datetime) -> list[DueRow]:
    """Every questionnaire open at ``now`` at the clinic, overdue first (the whole list: pages
    and counts use ``DueList`` and ``due_counts``)."""
    return due_rows(clinic, now=now, offset=0, limit=due_counts(clinic, now=now).total)
