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
from ketacare.sessions.models import LOCKED_STATES, RemsEnrolment, TreatmentSession
from ketacare.treatment.models import Appointment, TreatmentCourse

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


def rems_status(patient_id: int, course: TreatmentCourse | None) -> RemsStatus:
    """Enrolment recorded on the course, else the patient's REMS enrolment record."""
    if course is not None and course.rems_enrolled_on is not None:
        ident = f" ({course.rems_enrolment_id})" if course.rems_enrolment_id else ""
        return RemsStatus(True, f"Enrolled {course.rems_enrolled_on:%Y-%m-%d}{ident}")
    row = RemsEnrolment.objects.filter(patient_id=patient_id).first()
    if row is None:
        return RemsStatus(None, "Not documented")
    if row.status == RemsEnrolment.Status.ENROLLED:
        when = f" {row.enrolled_on:%Y-%m-%d}" if row.enrolled_on else ""
        return RemsStatus(True, f"Enrolled{when}")
    return RemsStatus(False, "Not enrolled")


def _day(moment: dt.datetime | None, zone) -> dt.date | None:
    return moment.astimezone(zone).date() if moment else None


def coverage_of(authorisation: PriorAuthorisation, *, today: dt.date) -> Coverage:
    clinic = authorisation.clinic
    zone = clinic.zone
    sessions = TreatmentSession.objects.filter(patient_id=authorisation.patient_id,
                                               route=ESKETAMINE, state__in=LOCKED_STATES)
    booked = Appointment.objects.filter(patient_id=authorisation.patient_id,
                                        kind=Appointment.Kind.TREATMENT,
                                        status=Appointment.Status.BOOKED,
                                        course__route=ESKETAMINE)
    if authorisation.course_id:
        sessions = sessions.filter(course_id=authorisation.course_id)
        booked = booked.filter(course_id=authorisation.course_id)
    approval = None
    used = 0
    if authorisation.status == AuthorisationStatus.APPROVED:
        approval = Approval(starts_on=authorisation.starts_on, ends_on=authorisation.ends_on,
                            units=authorisation.approved_units)
        given = (_day(s.dosing_started_at or s.state_changed_at, zone) for s in sessions)
        used = sum(1 for day in given if day is not None and approval.covers(day))
    dates = tuple(sorted(_day(a.starts_at, zone) for a in booked))
    warnings = authorisation_warnings(
        status=authorisation.status, approval=approval, used_units=used, booked=dates,
        today=today, warn_days=billing_profile_of(clinic).authorisation_warning_days,
    )
    return Coverage(authorisation, used, dates, warnings)


def current_authorisations(clinic: Clinic):
    """Each patient's newest authorisation at the clinic."""
    newest = PriorAuthorisation.objects.filter(patient=OuterRef("patient")).order_by(
        "-submitted_on", "-pk").values("pk")[:1]
    return PriorAuthorisation.objects.filter(clinic=clinic, pk=Subquery(newest)).select_related(
        "patient", "course", "clinic")


def coverage_needing_action(clinic: Clinic, *, today: dt.date, limit: int = 50) -> list[Coverage]:
    """Current authorisations with a warning (expiring, expired, sessions booked beyond the
    period or units, or booked while pending or denied), soonest end first."""
    found = []
    for authorisation in current_authorisations(clinic)[:500]:
        coverage = coverage_of(authorisation, today=today)
        if coverage.warnings:
            found.append(coverage)
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
