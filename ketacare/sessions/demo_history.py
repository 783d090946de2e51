"""The demo's documented history, in proportion to its patients (``ketacare demo``).

Every IV infusion the demo completed in the last ``HISTORY_DAYS`` days (the analytics demo's
treatment histories) was documented in the chair: a signed
session under its course's signed order (0.5 mg/kg over 40 minutes on the intake weight), with
its readings (one before dosing, three while the pump ran, two in recovery), the pump started
and stopped, its lifecycle events and the nurse's signature. The controlled-
substance demo, which runs next, draws each dose from the ledger and wastes the rest. Older
treatments stay undocumented, as if the clinic had started documenting in Ketacare then. A
larger clinic's histories are spread over more weeks (its chairs treat only so many a week,
``assessments.demo.history_weeks``), so it documents a proportionally longer stretch: the
sessions, readings and ledger entries stay in proportion to the patients.

Written in bulk: through the services a session costs about fifteen audited steps, and a demo of
10,000 patients holds thousands. These are past records, quiet by construction (readings in
normal ranges), so they open no alert and carry no audit entries of their own; the demo's one
audit entry says what was loaded. The demo clinics' monitoring protocol is configured first
(the sessions demo's illustrative values), as a clinic documenting sessions has it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketacare.assessments.demo import RECENT_WEEKS, history_weeks
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.common import Route
from ketacare.clinical.monitoring.readings import Phase
from ketacare.core.roles import Role
from ketacare.patients.models import IntakeVersion
from ketacare.sessions.demo import DEMO_LOTS, DEMO_SETTINGS, _configure, _vitals
from ketacare.sessions.models import (
    AdministrationEvent,
    SessionEvent,
    TreatmentSession,
    VitalsEntry,
)
from ketacare.sessions.protocol import section
from ketacare.treatment.demo import _staff
from ketacare.treatment.models import Appointment, Order

HISTORY_DAYS = 7  # at the default size; scaled with the clinic's history (documented_days)
BATCH = 500
DOSE_MG_PER_KG = Decimal("0.5")  # source: S1, S2 (standard IV dose for depression)
INFUSION_MINUTES = 40  # source: S1, S2 (0.5 mg/kg over 40 min)
INFUSION = dt.timedelta(minutes=INFUSION_MINUTES)
BAG_ML = Decimal(100)  # the demo's bag (illustrative)
VIAL_MG_PER_ML = Decimal(10)  # the demo safe's 10 mg/mL vials
RATE_ML_PER_H = Decimal("150.0")  # 100 mL over 40 minutes
INDUCTION_SESSIONS = 6  # source: S5, S30 (6 infusions over 2–3 weeks)
STEPS = (  # event, minutes after the appointment starts, from, to
    ("check_in", 5, "scheduled", "checked_in"),
    ("prechecks", 15, "checked_in", "prechecks_passed"),
    ("start_dosing", 20, "prechecks_passed", "dosing"),
    ("end_dosing", 60, "dosing", "recovery"),
    ("discharge", 105, "recovery", "discharged"),
    ("sign", 110, "discharged", "signed"),
)
READINGS = (  # minutes after the appointment starts, phase
    (12, Phase.PRE_DOSE),
    (30, Phase.DOSING),
    (40, Phase.DOSING),
    (50, Phase.DOSING),
    (75, Phase.POST_DOSE),
    (100, Phase.POST_DOSE),
)


def load(*, rng: random.Random, clinics) -> None:
    now = timezone.now()
    for clinic in clinics:
        for route, values in DEMO_SETTINGS.items():
            # The values the sessions demo (or the scheduling demo's observation time) left unset.
            stored = clinic_protocol(clinic).stored
            unset = {k: v for k, v in values.items() if f"{section(route)}.{k}" not in stored}
            if unset:
                _configure(clinic, route, unset, now)
        nurse, prescriber = _staff(clinic, Role.NURSE), _staff(clinic, Role.PRESCRIBER)
        if nurse is None or prescriber is None:
            continue
        days = documented_days(clinic.patients.count())
        done = (
            Appointment.objects.filter(
                clinic=clinic,
                kind=Appointment.Kind.TREATMENT,
                status=Appointment.Status.COMPLETED,
                course__route=Route.RACEMIC_IV.value,
                starts_at__gte=now - dt.timedelta(days=days),
                ends_at__lte=now,
                treatment_session__isnull=True,
            )
            .select_related("course")
            .order_by("starts_at", "pk")
        )
        batch: list[Appointment] = []
        for appointment in done.iterator(chunk_size=BATCH):
            batch.append(appointment)
            if len(batch) >= BATCH:
                _document(batch, nurse, prescriber, rng)
                batch = []
        if batch:
            _document(batch, nurse, prescriber, rng)


def documented_days(clinic_patients: int) -> int:
    """The last days documented in the chair: a week, or as many more as the clinic's histories
    are spread over more than the twelve recent weeks."""
    return math.ceil(HISTORY_DAYS * history_weeks(clinic_patients) / RECENT_WEEKS)


@transaction.atomic
def _document(appointments: list[Appointment], nurse, prescriber, rng: random.Random) -> None:
    orders = _orders(appointments, prescriber)
    sessions = TreatmentSession.objects.bulk_create(
        [_session(a, orders[a.course_id], nurse) for a in appointments], batch_size=BATCH
    )
    events, pump, readings = [], [], []
    for appointment, session in zip(appointments, sessions, strict=True):
        start = appointment.starts_at
        for event, minutes, before, after in STEPS:
            at = start + dt.timedelta(minutes=minutes)
            events.append(
                SessionEvent(
                    session=session,
                    event=event,
                    from_state=before,
                    to_state=after,
                    recorded_at=at,
                    recorded_by=nurse,
                )
            )
        for kind, at in (
            (AdministrationEvent.Kind.START, session.dosing_started_at),
            (AdministrationEvent.Kind.STOP, session.dosing_ended_at),
        ):
            pump.append(
                AdministrationEvent(
                    session=session,
                    kind=kind,
                    at=at,
                    rate_ml_per_h=RATE_ML_PER_H if kind == AdministrationEvent.Kind.START else None,
                    recorded_at=at,
                    recorded_by=nurse,
                )
            )
        baseline = _vitals(rng)
        for minutes, phase in READINGS:
            at = start + dt.timedelta(minutes=minutes)
            values = baseline if phase is Phase.PRE_DOSE else _vitals(rng)
            if phase is Phase.POST_DOSE and minutes == READINGS[-1][0]:
                values = baseline | {"moaas_level": 5}
            readings.append(
                VitalsEntry(
                    session=session,
                    taken_at=at,
                    phase=phase.value,
                    recorded_at=at,
                    recorded_by=nurse,
                    **values,
                )
            )
    SessionEvent.objects.bulk_create(events, batch_size=BATCH)
    AdministrationEvent.objects.bulk_create(pump, batch_size=BATCH)
    VitalsEntry.objects.bulk_create(readings, batch_size=BATCH)


def _orders(appointments: list[Appointment], prescriber) -> dict[int, Order]:
    """Each course's signed order: the one it has, or one written now, signed when the course
    was planned (0.5 mg/kg on the intake weight, for the induction's six infusions)."""
    courses = {a.course_id: a for a in appointments}
    orders = {
        o.course_id: o
        for o in Order.objects.filter(course_id__in=courses, status=Order.Status.SIGNED)
    }
    weights = dict(
        IntakeVersion.objects.filter(patient_id__in={a.patient_id for a in appointments})
        .order_by("patient_id", "number")
        .values_list("patient_id", "data__weight_kg")
    )
    new = []
    for course_id, appointment in courses.items():
        if course_id in orders:
            continue
        weight_kg = Decimal(str(weights.get(appointment.patient_id) or 70)).quantize(Decimal("0.1"))
        dose_mg = (weight_kg * DOSE_MG_PER_KG).quantize(Decimal("0.01"))
        signed_at = appointment.course.created_at
        new.append(
            Order(
                course_id=course_id,
                patient_id=appointment.patient_id,
                route=Route.RACEMIC_IV.value,
                dose_mg=dose_mg,
                dose_mg_per_kg=DOSE_MG_PER_KG,
                dosing_weight_kg=weight_kg,
                dosing_weight_basis="actual",
                concentration_mg_per_ml=VIAL_MG_PER_ML,
                drug_volume_ml=(dose_mg / VIAL_MG_PER_ML).quantize(Decimal("0.01")),
                bag_volume_ml=BAG_ML,
                infusion_minutes=INFUSION_MINUTES,
                rate_ml_per_h=RATE_ML_PER_H,
                sessions_authorised=INDUCTION_SESSIONS,
                calculation={
                    "summary": f"{dose_mg} mg = {DOSE_MG_PER_KG} mg/kg × {weight_kg} kg "
                    f"(actual weight) over {INFUSION_MINUTES} min (demo history)",
                    "warnings": [],
                },
                status=Order.Status.SIGNED,
                created_at=signed_at,
                created_by=prescriber,
                signed_at=signed_at,
                signed_by=prescriber,
            )
        )
    for order in Order.objects.bulk_create(new, batch_size=BATCH):
        orders[order.course_id] = order
    return orders


def _session(appointment: Appointment, order: Order, nurse) -> TreatmentSession:
    start = appointment.starts_at
    dosing = start + dt.timedelta(minutes=20)
    signed = start + dt.timedelta(minutes=110)
    return TreatmentSession(
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        appointment=appointment,
        course_id=appointment.course_id,
        order=order,
        route=Route.RACEMIC_IV.value,
        state="signed",
        state_changed_at=signed,
        created_at=start,
        checked_in_at=start + dt.timedelta(minutes=5),
        prechecks_passed_at=start + dt.timedelta(minutes=15),
        prechecked_at=start + dt.timedelta(minutes=15),
        prechecked_by=nurse,
        dosing_started_at=dosing,
        dosing_ended_at=dosing + INFUSION,
        discharged_at=start + dt.timedelta(minutes=105),
        drug="ketamine",
        vial_concentration_mg_per_ml=VIAL_MG_PER_ML,
        bag_drug_mg=order.dose_mg,
        bag_volume_ml=BAG_ML,
        lot_number=DEMO_LOTS["racemic"],
        signed_at=signed,
        signed_by=nurse,
    )
