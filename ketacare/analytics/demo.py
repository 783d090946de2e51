"""Treatment histories for the demo's measured patients, so the outcomes dashboard shows real
figures: every patient the assessments demo put on a questionnaire plan (about a third) gets a
course whose first treatment follows the baseline score, an induction series, and weekly
maintenance for those measured longer. Phase changes go through the treatment service (so they
are audited with their times); the past appointments are written directly as completed."""

from __future__ import annotations

import datetime as dt
import random

from ketacare.assessments.models import AssessmentPlan
from ketacare.audit.services import RequestOrigin
from ketacare.core.models import Clinic, StaffMembership
from ketacare.core.roles import Role
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
        appointments = []
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
            starts = [first + dt.timedelta(days=round(i * 2.5)) for i in range(INDUCTION_SESSIONS)]
            if plan.maintenance_started_at is not None:
                course_move(
                    course=course, to="evaluation", origin=origin, at=starts[-1] + dt.timedelta(1)
                )
                course_move(
                    course=course, to="maintenance", origin=origin, at=plan.maintenance_started_at
                )
                at = plan.maintenance_started_at
                while at < plan.created_at + dt.timedelta(weeks=12) and at < _now():
                    starts.append(at)
                    at += dt.timedelta(weeks=1)
            for number, start in enumerate(starts, start=1):
                if start >= _now():
                    break
                appointments.append(
                    Appointment(
                        clinic=clinic,
                        patient=plan.patient,
                        course=course,
                        kind=Appointment.Kind.TREATMENT,
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=2),
                        status=Appointment.Status.COMPLETED,
                        sequence=number,
                        created_at=first - dt.timedelta(days=2),
                    )
                )
        Appointment.objects.bulk_create(appointments, batch_size=1000)


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()
