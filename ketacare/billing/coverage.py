"""Esketamine prior authorisation beside what is booked and given, and the REMS enrolment next
to it: what the billing home, the course page and the booking page show.

The warnings are ``clinical.prior_authorisation.authorisation_warnings``; this module only reads
the facts they need: sessions already given inside the period (signed esketamine sessions) and
the esketamine treatment sessions still booked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from ketacare.billing.models import PriorAuthorisation
from ketacare.billing.services.setup import billing_profile_of
from ketacare.clinical.common import Route
from ketacare.clinical.prior_authorisation import (
    Approval,
    AuthorisationStatus,
    AuthorisationWarning,
    authorisation_warnings,
)
from ketacare.core.models import Clinic
from ketacare.sessions.models import LOCKED_STATES, TreatmentSession
from ketacare.treatment.models import Appointment, RemsEnrolment, TreatmentCourse

ESKETAMINE = Route.ESKETAMINE_NASAL.value


@dataclass(frozen=True)
class RemsStatus:
    enrolled: bool | None  # None: not documented
    text: str


@dataclass(frozen=True)
class Coverage:
    authorisation: PriorAuthorisation
    used_units: int
    booked: tuple[dt.date, ...]
    warnings: tuple[AuthorisationWarning, ...]

    @property
    def units_left(self) -> int | None:
        units = self.authorisation.approved_units
        return None if units is None else max(units - self.used_units, 0)


def rems_status(patient_id: int) -> RemsStatus:
    """The patient's one REMS enrolment record, as the checklist and the session read it."""
    row = RemsEnrolment.objects.filter(patient_id=patient_id).first()
    if row is None:
        return RemsStatus(None, "Not documented")
    return RemsStatus(row.enrolled, row.summary)


def _day(moment: dt.datetime | None, zone) -> dt.date | None:
    return moment.astimezone(zone).date() if moment else None


@dataclass(frozen=True)
class _Activity:
    """A patient's esketamine treatment days: given (signed) and still booked, per course."""

    given: tuple[tuple[int | None, dt.date], ...]
    booked: tuple[tuple[int | None, dt.date], ...]


def _activity(patient_ids: set[int], zone) -> dict[int, _Activity]:
    """Every listed patient's esketamine days, read in two queries whatever their number."""
    given: dict[int, list] = {pid: [] for pid in patient_ids}
    booked: dict[int, list] = {pid: [] for pid in patient_ids}
    for pid, course_id, dosed, changed in TreatmentSession.objects.filter(
        patient_id__in=patient_ids, route=ESKETAMINE, state__in=LOCKED_STATES
    ).values_list("patient_id", "course_id", "dosing_started_at", "state_changed_at"):
        given[pid].append((course_id, _day(dosed or changed, zone)))
    for pid, course_id, starts in Appointment.objects.filter(
        patient_id__in=patient_ids, kind=Appointment.Kind.TREATMENT,
        status=Appointment.Status.BOOKED, course__route=ESKETAMINE,
    ).values_list("patient_id", "course_id", "starts_at"):
        booked[pid].append((course_id, _day(starts, zone)))
    return {pid: _Activity(tuple(given[pid]), tuple(booked[pid])) for pid in patient_ids}


def _coverage(authorisation: PriorAuthorisation, activity: _Activity, *, today: dt.date,
              warn_days: int) -> Coverage:
    def mine(days):  # the authorisation's course only, when it names one
        return [day for course_id, day in days
                if authorisation.course_id is None or course_id == authorisation.course_id]

    approval = None
    used = 0
    if authorisation.status == AuthorisationStatus.APPROVED:
        approval = Approval(starts_on=authorisation.starts_on, ends_on=authorisation.ends_on,
                            units=authorisation.approved_units)
        used = sum(1 for day in mine(activity.given) if approval.covers(day))
    dates = tuple(sorted(mine(activity.booked)))
    warnings = authorisation_warnings(
        status=authorisation.status, approval=approval, used_units=used, booked=dates,
        today=today, warn_days=warn_days,
    )
    return Coverage(authorisation, used, dates, warnings)


def coverages(authorisations, *, clinic: Clinic, today: dt.date) -> list[Coverage]:
    """Each authorisation beside what was given and booked (a fixed number of queries)."""
    authorisations = list(authorisations)
    activity = _activity({a.patient_id for a in authorisations}, clinic.zone)
    warn_days = billing_profile_of(clinic).authorisation_warning_days
    return [_coverage(a, activity[a.patient_id], today=today, warn_days=warn_days)
            for a in authorisations]


def coverage_of(authorisation: PriorAuthorisation, *, today: dt.date) -> Coverage:
    return coverages([authorisation], clinic=authorisation.clinic, today=today)[0]


def current_authorisations(clinic: Clinic):
    """Each patient's newest authorisation at the clinic."""
    newest = PriorAuthorisation.objects.filter(patient=OuterRef("patient")).order_by(
        "-submitted_on", "-pk").values("pk")[:1]
    return PriorAuthorisation.objects.filter(clinic=clinic, pk=Subquery(newest)).select_related(
        "patient", "course", "clinic")


def coverage_needing_action(clinic: Clinic, *, today: dt.date, limit: int = 50) -> list[Coverage]:
    """Current authorisations with a warning (expiring, expired, sessions booked beyond the
    period or units, or booked while pending or denied), soonest end first."""
    found = [c for c in coverages(current_authorisations(clinic)[:500], clinic=clinic,
                                  today=today) if c.warnings]
    found.sort(key=lambda c: (c.authorisation.ends_on or dt.date.max, c.authorisation.pk))
    return found[:limit]


def coverage_for_course(course: TreatmentCourse, *, today: dt.date) -> Coverage | None:
    """The course's authorisation (or the patient's newest one not tied to another course)."""
    authorisation = (
        PriorAuthorisation.objects.filter(patient_id=course.patient_id, course=course)
        .order_by("-submitted_on", "-pk").first()
        or PriorAuthorisation.objects.filter(patient_id=course.patient_id, course__isnull=True)
        .order_by("-submitted_on", "-pk").first()
    )
    return None if authorisation is None else coverage_of(authorisation, today=today)
