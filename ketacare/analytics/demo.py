"""Treatment histories for the demo's measured patients, so the outcomes dashboard shows real
figures: every patient the assessments demo put on a questionnaire plan (about a third) gets a
course whose first treatment follows the baseline score, an induction series, and weekly
maintenance for those measured longer. Phase changes go through the treatment service (so they
are audited with their times); the past appointments are written directly as completed, each in
a chair that was free then (``ChairDiary``), with the occupancy a booking would have, so a past
week never holds more than the clinic's chairs could treat. Courses whose plan ended are
completed when it ended."""

from __future__ import annotations

import datetime as dt
import random

from ketacare.assessments.models import AssessmentPlan
from ketacare.audit.services import RequestOrigin
from ketacare.core.models import Chair, Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.scheduling.models import ChairSetup, Occupancy
from ketacare.treatment.models import Appointment, TreatmentCourse
from ketacare.treatment.services import course_move

# route, regimen template, share of the demo's treated patients (a demo mix, not a clinical fact)
ROUTES = (
    ("racemic_iv", "iv-depression", 0.6),
    ("esketamine_nasal", "esketamine-trd", 0.25),
    ("racemic_im", "im-depression", 0.1),
    ("racemic_sublingual", "sublingual-clinic", 0.05),
)
INDICATIONS = (("depression", 0.8), ("anxiety", 0.1), ("ptsd", 0.1))
INDUCTION_SESSIONS = 6  # reference §1.1: 6 infusions over about 2–3 weeks [S5][S30]
# The demo's treatment slots: two hours each, starting on the hour within the scheduling demo's
# weekday opening hours (8:00–18:00); illustrative, not a clinical figure.
SLOT_HOURS = (8, 10, 12, 14, 16)
TREATMENT = dt.timedelta(hours=2)
DAYS_LATE_AT_MOST = 14  # a treatment with no free chair within two weeks is left out
NEEDS = {"racemic_iv": "iv_pump", "esketamine_nasal": "esketamine_observation"}


class ChairDiary:
    """A clinic's chairs over time: places each past treatment in the first chair free at one of
    the day's slots, on or after the day it was due, next to what the clinic already booked."""

    def __init__(self, clinic: Clinic) -> None:
        self.zone = clinic.zone
        chairs = Chair.objects.filter(clinic=clinic, active=True).order_by("pk")
        setups = {
            s.chair_id: set(s.capabilities) for s in ChairSetup.objects.filter(chair__clinic=clinic)
        }
        self.chairs: list[tuple[int, set[str], str]] = [
            (c.pk, setups.get(c.pk, set()), c.kind) for c in chairs
        ]
        self.busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for held in Occupancy.objects.filter(clinic=clinic, chair__isnull=False):
            self.busy.setdefault(held.chair_id, []).append((held.starts_at, held.ends_at))
        self.taken: set[tuple[int, dt.datetime]] = set()

    def _fits(self, route: str, capabilities: set[str], kind: str) -> bool:
        need = NEEDS.get(route)
        return need in capabilities if need else kind == Chair.Kind.CHAIR

    def _free(self, chair_id: int, start: dt.datetime) -> bool:
        if (chair_id, start) in self.taken:
            return False
        end = start + TREATMENT
        return not any(s < end and start < e for s, e in self.busy.get(chair_id, ()))

    def next_day(self, start: dt.datetime) -> dt.datetime:
        """Midnight after ``start`` in the clinic's time zone: a patient's next treatment day."""
        day = start.astimezone(self.zone).date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)

    def place(self, route: str, due: dt.datetime) -> tuple[int, dt.datetime] | None:
        """The chair and start of the first free slot at or after ``due``, taken; None if none."""
        day = due.astimezone(self.zone).date()
        for _ in range(DAYS_LATE_AT_MOST):
            if day.weekday() < 5:
                for hour in SLOT_HOURS:
                    start = dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone)
                    if start < due:
                        continue
                    for chair_id, capabilities, kind in self.chairs:
                        if self._fits(route, capabilities, kind) and self._free(chair_id, start):
                            self.taken.add((chair_id, start))
                            return chair_id, start
            day += dt.timedelta(days=1)
        return None


def _pick(rng: random.Random, options):
    return rng.choices([o[:-1] for o in options], weights=[o[-1] for o in options])[0]


def load(*, rng: random.Random, clinics: list[Clinic]) -> None:
    for clinic in clinics:
        prescriber = (
            StaffMembership.objects.filter(clinic=clinic, role=Role.PRESCRIBER, active=True)
            .select_related("user")
            .first()
        )
        if prescriber is None:
            continue
        origin = RequestOrigin(actor=prescriber.user, actor_label=prescriber.user.username)
        treated = set(
            TreatmentCourse.objects.filter(clinic=clinic).values_list("patient_id", flat=True)
        )
        plans = (
            AssessmentPlan.objects.filter(patient__clinic=clinic, patient__portal_user=None)
            .exclude(patient_id__in=treated)
            .select_related("patient")
            .order_by("patient_id")
        )
        diary = ChairDiary(clinic)
        appointments: list[Appointment] = []
        now = _now()
        for plan in plans:
            route, regimen = _pick(rng, ROUTES)
            (indication,) = _pick(rng, INDICATIONS)
            first = plan.started_at + dt.timedelta(hours=4)  # after the baseline questionnaire
            course = TreatmentCourse.objects.create(
                clinic=clinic,
                patient=plan.patient,
                route=route,
                indication=indication,
                regimen_key=regimen,
                created_at=first - dt.timedelta(days=3),
                created_by=prescriber.user,
            )
            course_move(course=course, to="induction", origin=origin, at=first)
            due = [first + dt.timedelta(days=round(i * 2.5)) for i in range(INDUCTION_SESSIONS)]
            if plan.maintenance_started_at is not None:
                course_move(
                    course=course, to="evaluation", origin=origin, at=due[-1] + dt.timedelta(1)
                )
                course_move(
                    course=course, to="maintenance", origin=origin, at=plan.maintenance_started_at
                )
                at = plan.maintenance_started_at
                until = min(plan.created_at + dt.timedelta(weeks=12), plan.ended_at or now, now)
                while at < until:
                    due.append(at)
                    at += dt.timedelta(weeks=1)
            if plan.ended_at is not None:
                course_move(course=course, to="completed", origin=origin, at=plan.ended_at)
            not_before = first
            for number, wanted in enumerate(due, start=1):
                placed = diary.place(route, max(wanted, not_before))
                if placed is None:
                    continue
                chair_id, start = placed
                if start + TREATMENT >= now:
                    break
                appointments.append(
                    Appointment(
                        clinic=clinic,
                        patient=plan.patient,
                        course=course,
                        kind=Appointment.Kind.TREATMENT,
                        chair_id=chair_id,
                        starts_at=start,
                        ends_at=start + TREATMENT,
                        status=Appointment.Status.COMPLETED,
                        sequence=number,
                        created_at=first - dt.timedelta(days=2),
                    )
                )
                not_before = diary.next_day(start)  # even when this one was placed late
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        # bulk_create skips the signal that keeps occupancies in step: write them here
        Occupancy.objects.bulk_create(
            [
                Occupancy(
                    appointment_id=a.pk,
                    clinic_id=a.clinic_id,
                    chair_id=a.chair_id,
                    patient_id=a.patient_id,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                )
                for a in appointments
            ],
            batch_size=1000,
        )


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()
