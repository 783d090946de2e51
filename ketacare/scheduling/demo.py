"""Demo scheduling for ``ketacare demo``: opening hours, what each chair can take, staff hours,
time off, a closure, a chair block, and induction series booked through the real slot finding
for a share of each clinic's patients (one in fifteen, up to what the chairs hold).

The chair, nurse and observation minutes below are ILLUSTRATIVE values for the settings the
clinical reference leaves to the clinic, written as the demo's in the audit trail; a real
clinic's medical director sets its own. Runs after the sessions demo (whose monitoring values
it reads) and only sets an observation time the sessions demo left unset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.actions import Actor
from ketacare.core.errors import DomainError
from ketacare.core.models import Chair, Clinic, StaffMembership
from ketacare.core.roles import Role
from ketacare.patients.models import IntakeVersion
from ketacare.scheduling import resources, services, waitlist
from ketacare.scheduling.finding import Preferences, slots_find
from ketacare.scheduling.models import ChangeRequest
from ketacare.treatment.demo import _complete_intake, _course, _prepare
from ketacare.treatment.models import Appointment, TreatmentCourse

ORIGIN = RequestOrigin.system("ketacare demo")
# Illustrative only (demo data); never defaults for a real clinic.
DEMO_VALUES = {
    "scheduling.racemic_iv.arrival_minutes": 20,
    "scheduling.racemic_iv.discharge_minutes": 15,
    "scheduling.racemic_iv.nurse_minutes": 30,
    "scheduling.racemic_iv.prescriber_on_site": False,
    "scheduling.esketamine_nasal.arrival_minutes": 15,
    "scheduling.esketamine_nasal.discharge_minutes": 15,
    "scheduling.esketamine_nasal.nurse_minutes": 20,
    "scheduling.nurse_concurrent_sessions": 3,
}
DEMO_IV_OBSERVATION = {"monitoring.racemic_iv.minimum_observation_minutes": 30}
CHAIR_SETUP = {
    "Chair 1": ["iv_pump", "esketamine_observation"],
    "Chair 2": ["iv_pump", "esketamine_observation"],
    "Chair 3": ["iv_pump"],
    "Chair 4": ["iv_pump"],
    "Quiet room": ["esketamine_observation"],
}
PATIENTS_PER_COURSE = 15
MAX_COURSES_PER_CLINIC = 30
WEEKDAY_HOURS = [(dt.time(8), dt.time(18))]


def _hours(clinic: Clinic, index: int, now: dt.datetime) -> None:
    for weekday in range(5):
        resources.opening_hours_set(
            clinic=clinic, weekday=weekday, hours=WEEKDAY_HOURS, origin=ORIGIN, at=now
        )
    if index == 0:  # downtown also opens Saturday mornings
        resources.opening_hours_set(
            clinic=clinic, weekday=5, hours=[(dt.time(9), dt.time(13))], origin=ORIGIN, at=now
        )
    for chair in Chair.objects.filter(clinic=clinic, active=True):
        resources.chair_capabilities_set(
            chair=chair, capabilities=CHAIR_SETUP.get(chair.name, []), origin=ORIGIN, at=now
        )
    for membership in StaffMembership.objects.filter(clinic=clinic, active=True):
        if membership.role == Role.NURSE:
            week = {d: [(dt.time(7, 45), dt.time(18, 15))] for d in range(5)}
            week[5] = [(dt.time(8, 45), dt.time(13, 15))] if index == 0 else []
        elif membership.role == Role.PRESCRIBER:
            week = {d: [(dt.time(8), dt.time(18))] for d in (0, 2, 4)}
            week |= {d: [(dt.time(12), dt.time(18))] for d in (1, 3)}
        else:
            continue
        for weekday in range(7):
            resources.staff_hours_set(
                clinic=clinic,
                user_id=membership.user_id,
                weekday=weekday,
                hours=week.get(weekday, []),
                origin=ORIGIN,
                at=now,
            )


def _calendar_events(clinic: Clinic, now: dt.datetime) -> None:
    today = now.astimezone(clinic.zone).date()
    training = today + dt.timedelta(days=21 + (2 - today.weekday()) % 7)  # a Wednesday
    resources.closure_add(
        clinic=clinic,
        starts_on=training,
        ends_on=training,
        reason="Staff training day",
        origin=ORIGIN,
        at=now,
    )
    service_day = today + dt.timedelta(days=7 + (1 - today.weekday()) % 7)  # a Tuesday
    chair = Chair.objects.filter(clinic=clinic, name="Chair 4").first()
    if chair is not None:
        start = dt.datetime.combine(service_day, dt.time(12), tzinfo=clinic.zone)
        with contextlib.suppress(DomainError):
            resources.chair_block_add(
                chair=chair,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                reason="Infusion pump service",
                origin=ORIGIN,
                at=now,
            )


def _candidates(clinic: Clinic, rng: random.Random, wanted: int) -> list:
    planned = TreatmentCourse.objects.filter(clinic=clinic).values("patient_id")
    pool = [
        version.patient
        for version in IntakeVersion.objects.filter(
            patient__clinic=clinic, status="signed", source=IntakeVersion.Source.DEMO
        )
        .exclude(patient_id__in=planned)
        .select_related("patient", "patient__clinic")
        .order_by("patient_id")[: wanted * 20]
        if any(d["code"].startswith(("F32", "F33")) for d in version.data["diagnoses"])
    ]
    return rng.sample(pool, k=min(len(pool), wanted * 8))


def _book_courses(clinic: Clinic, rng: random.Random, now: dt.datetime) -> list:
    prescriber = StaffMembership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).first()
    nurse = StaffMembership.objects.filter(clinic=clinic, role=Role.NURSE).first()
    desk = StaffMembership.objects.filter(clinic=clinic, role=Role.FRONT_DESK).first()
    if prescriber is None:
        return []
    doctor = RequestOrigin(actor=prescriber.user, actor_label=prescriber.user.username)
    front = RequestOrigin(actor=desk.user, actor_label=desk.user.username) if desk else ORIGIN
    patients = clinic.patients.count()
    wanted = min(MAX_COURSES_PER_CLINIC, max(1, patients // PATIENTS_PER_COURSE))
    unbooked: list[TreatmentCourse] = []
    booked = 0
    for patient in _candidates(clinic, rng, wanted):
        if booked >= wanted:
            break
        if _complete_intake(patient) is None:
            continue
        esketamine = rng.random() < 0.2
        route, regimen = (
            ("esketamine_nasal", "esketamine-trd")
            if esketamine
            else ("racemic_iv", "iv-depression")
        )
        course = _course(patient, route, regimen, doctor, now)
        if course is None:
            continue
        _prepare(course, prescriber.user, nurse.user if nurse else None, now)
        if booked == 2 and not unbooked:  # one patient waits for a first series
            unbooked.append(course)
            continue
        weekdays = rng.choice([None, None, frozenset({0, 2, 4}), frozenset({1, 3})])
        start = now + dt.timedelta(days=rng.randrange(0, 10))
        try:
            found = slots_find(
                course=course,
                phase="induction",
                not_before=start,
                at=now,
                preferences=Preferences(weekdays=None if esketamine else weekdays),
                limit=1,
            )
            if not found.proposals:
                unbooked.append(course)
                continue
            services.series_book(
                course=course,
                phase="induction",
                slots=[
                    services.SlotChoice(s.start, s.chair_id, s.nurse_id) for s in found.proposals[0]
                ],
                origin=front,
                at=now,
            )
        except (ClinicalRuleError, DomainError):
            unbooked.append(course)
            continue
        booked += 1
    return unbooked


def _life(clinic: Clinic, rng: random.Random, unbooked: list, now: dt.datetime) -> None:
    """A waitlist entry, a patient's request to change, a confirmation, a late cancellation."""
    director = StaffMembership.objects.filter(role=Role.MEDICAL_DIRECTOR).first()
    if unbooked and director is not None:
        with contextlib.suppress(DomainError, ClinicalRuleError):
            waitlist.waitlist_add(
                course=unbooked[0],
                wants="first_series",
                priority=2,
                priority_reason="Suicidal ideation (C-SSRS positive); seen by the director",
                actor=Actor(
                    user=director.user,
                    roles=frozenset({Role.MEDICAL_DIRECTOR}),
                    clinic_id=clinic.pk,
                ),
                origin=RequestOrigin(actor=director.user, actor_label=director.user.username),
                at=now,
            )
    future = list(
        Appointment.objects.filter(
            clinic=clinic,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now,
            booking__isnull=False,
        ).order_by("starts_at")[:40]
    )
    if len(future) < 4:
        return
    rng.shuffle(future)
    services.appointment_confirm(appointment=future[0], origin=ORIGIN, at=now)
    ChangeRequest.objects.create(
        clinic=clinic,
        appointment=future[1],
        source=ChangeRequest.Source.PORTAL,
        note="Could we move this to a morning? I start a new job that week.",
        created_at=now,
    )
    with contextlib.suppress(DomainError):
        services.appointment_cancel(
            appointment=future[2], reason="Patient unwell (demo)", origin=ORIGIN, at=now
        )


def _tidy_earlier_bookings(clinic: Clinic, now: dt.datetime) -> None:
    """Future treatments the treatment demo booked before the clinic had scheduling (some in a
    room without a pump, some without a nurse) move to the nearest slot that meets the needs."""
    legacy = (
        Appointment.objects.filter(
            clinic=clinic,
            kind=Appointment.Kind.TREATMENT,
            status=Appointment.Status.BOOKED,
            starts_at__gt=now + dt.timedelta(hours=1),
            booking__isnull=True,
            course__isnull=False,
        )
        .select_related("course", "clinic", "patient")
        .order_by("starts_at")
    )
    for appointment in legacy:
        with contextlib.suppress(ClinicalRuleError, DomainError):
            found = slots_find(
                course=appointment.course,
                phase=None,
                not_before=appointment.starts_at,
                at=now,
                preferences=Preferences(),
                limit=1,
            )
            if found.proposals:
                slot = found.proposals[0][0]
                services.appointment_move(
                    appointment=appointment,
                    start=slot.start,
                    chair_id=slot.chair_id,
                    nurse_id=slot.nurse_id,
                    origin=ORIGIN,
                    at=now,
                )


def load(*, rng: random.Random, clinics: list[Clinic]) -> None:
    now = timezone.now()
    for index, clinic in enumerate(clinics):
        values = dict(DEMO_VALUES)
        if clinic_protocol(clinic).get(next(iter(DEMO_IV_OBSERVATION))) is None:
            values |= DEMO_IV_OBSERVATION
        clinic_settings_update(clinic=clinic, values=values, origin=ORIGIN, at=now)
        _hours(clinic, index, now)
        _calendar_events(clinic, now)
        _tidy_earlier_bookings(clinic, now)
        unbooked = _book_courses(clinic, rng, now)
        _life(clinic, rng, unbooked, now)
