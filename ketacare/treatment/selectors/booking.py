"""Reads for booking: how long a treatment blocks a chair, and what an appointment would overlap."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from ketacare.clinical.common import Route
from ketacare.core.models import Chair, User
from ketacare.patients.models import Patient
from ketacare.treatment import selectors
from ketacare.treatment.models import (
    Appointment,
    TreatmentCourse,
)

# Booking defaults, editable per booking: time in the chair, not clinical limits. IV: the
# protocol's infusion + 90 min recovery (BP/HR back to baseline within 1.5 h, S95) + 30 min
# check-in; esketamine: 120 min observation (S10, S11, S12) + 30 min check-in and dosing.
CHECK_IN_MINUTES = 30


IV_RECOVERY_MINUTES = 90


OTHER_ROUTES_MINUTES = 120


def default_duration_minutes(course: TreatmentCourse) -> int:
    protocol = selectors.clinic_protocol(course.clinic)
    route = Route(course.route)
    if route is Route.RACEMIC_IV:
        return int(protocol.iv.infusion_minutes) + IV_RECOVERY_MINUTES + CHECK_IN_MINUTES
    if route is Route.ESKETAMINE_NASAL:
        observe = protocol.monitoring[route].minimum_observation_minutes.value or 120
        return int(observe) + CHECK_IN_MINUTES
    return OTHER_ROUTES_MINUTES


def _when(starts: dt.datetime, ends: dt.datetime, zone) -> str:
    return f"{starts.astimezone(zone):%a %Y-%m-%d %H:%M}–{ends.astimezone(zone):%H:%M}"


def appointment_conflicts(
    *,
    patient: Patient,
    chair: Chair | None,
    nurse: User | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_pk: int | None = None,
) -> list[str]:
    """Why the slot cannot be booked: each overlapping booking of the chair, nurse or patient."""
    who = Q(patient=patient)
    if chair is not None:
        who |= Q(chair=chair)
    if nurse is not None:
        who |= Q(nurse=nurse)
    overlapping = (
        Appointment.objects.filter(
            who,
            status__in=selectors.ACTIVE_APPOINTMENT,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=exclude_pk)
        .select_related("chair", "nurse", "patient")
    )
    zone = patient.clinic.zone
    problems = []
    for other in overlapping:
        when = _when(other.starts_at, other.ends_at, zone)
        if other.patient_id == patient.pk:
            problems.append(f"The patient already has an appointment {when}.")
        if chair is not None and other.chair_id == chair.pk:
            problems.append(f"{chair.name} is booked {when} ({other.patient.mrn}).")
        if nurse is not None and other.nurse_id == nurse.pk:
            name = nurse.get_full_name() or nurse.username
            problems.append(f"{name} is booked {when} ({other.patient.mrn}).")
    return problems
