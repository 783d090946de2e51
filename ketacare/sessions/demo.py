"""Demo sessions for ``ketacare demo``: only when the treatment demo booked appointments.

Past treatment appointments with a signed order become complete, signed sessions (readings in
normal ranges, so no alert e-mails go out); today's appointment that has started is put in its
chair, dosing. The demo clinic's monitoring protocol gets ILLUSTRATIVE values for the settings
the clinical reference leaves open, marked as the demo's in the audit trail — a real clinic's
medical director sets its own on the protocol page.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.clinical.common import Route
from ketacare.clinical.infusion import order_reached_at
from ketacare.core.errors import DomainError
from ketacare.sessions import services
from ketacare.sessions.protocol import FASTING_KEYS, protocol_for, section
from ketacare.sessions.records import InvalidEntry, SessionRefused, pump_record
from ketacare.sessions.selectors import uses_pump
from ketacare.sessions.services import administration_record, vitals_record
from ketacare.treatment.models import Appointment
from ketacare.treatment.selectors import consent_is_current
from ketacare.treatment.services import protocol_setting_set

# Illustrative only (demo data); never defaults for a real clinic.
DEMO_SETTINGS = {
    Route.RACEMIC_IV.value: {
        "predose_caution_heart_rate_bpm": 100,
        "spo2_alert_below_percent": 92,
        "respiratory_rate_alert_below_per_min": 10,
        "minimum_observation_minutes": 30,
        "discharge_bp_margin_mmhg": 20,
        "discharge_heart_rate_margin_bpm": 15,
        "fasting_food_minutes": 240,
        "fasting_liquid_minutes": 60,
    },
    Route.ESKETAMINE_NASAL.value: {
        "predose_caution_heart_rate_bpm": 100,
        "spo2_alert_below_percent": 92,
        "respiratory_rate_alert_below_per_min": 10,
        "dosing_reading_interval_minutes": 10,
        "post_dose_reading_interval_minutes": 30,
        "discharge_bp_margin_mmhg": 20,
        "discharge_heart_rate_margin_bpm": 15,
    },
}
ORIGIN = RequestOrigin.system("ketacare demo")
# One lot per product in the demo's safe, so the controlled-substance ledger's demo records the
# same lots the sessions name.
DEMO_LOTS = {Route.ESKETAMINE_NASAL.value: "ESK-4471A", "racemic": "KET-3382B"}
OK = dict.fromkeys(
    (
        "mental_status_at_baseline",
        "walking_steadily",
        "nausea_controlled",
        "escort_present",
        "sedation_resolved",
        "dissociation_resolved",
        "respiratory_depression_resolved",
    ),
    "yes",
)


def load(*, rng: random.Random, clinics) -> None:
    now = timezone.now()
    booked = Appointment.objects.filter(
        clinic__in=clinics,
        kind=Appointment.Kind.TREATMENT,
        status=Appointment.Status.BOOKED,
        course__route__in=list(DEMO_SETTINGS),
        starts_at__lt=now,
    ).select_related("course", "patient", "clinic")
    appointments = list(booked.order_by("-starts_at")[:15])
    if not appointments:
        return
    for clinic in {a.clinic for a in appointments}:
        for route, values in DEMO_SETTINGS.items():
            if not any(k.startswith(f"{section(route)}.") for k in clinic_protocol(clinic).stored):
                _configure(clinic, route, values, now)
    for appointment in appointments:
        nurse = appointment.nurse
        origin = RequestOrigin(actor=nurse, actor_label=nurse.get_username()) if nurse else ORIGIN
        try:
            _run(appointment, rng, origin, now)
        except (SessionRefused, InvalidEntry):
            continue  # e.g. no signed order or consent in the treatment demo: left as it is


def _configure(clinic, route: str, values: dict, now: dt.datetime) -> None:
    elsewhere = FASTING_KEYS  # the treatment protocol's
    clinic_settings_update(
        clinic=clinic,
        values={f"{section(route)}.{k}": v for k, v in values.items() if k not in elsewhere},
        origin=ORIGIN,
        at=now,
    )
    current = protocol_for(clinic, route)
    for key in elsewhere:
        if key in values and getattr(current, key).value is None:
            try:
                protocol_setting_set(
                    clinic=clinic,
                    key=f"monitoring.{route}.{key}",
                    value=values[key],
                    origin=ORIGIN,
                    at=now,
                )
            except DomainError:  # the treatment protocol's rules: leave the value unset
                continue


def _first_dose(route: str, ordered_mg: Decimal) -> Decimal:
    return Decimal(28) if route == Route.ESKETAMINE_NASAL.value else ordered_mg


def _vitals(rng: random.Random) -> dict:
    return {
        "systolic_mmhg": rng.randint(112, 138),
        "diastolic_mmhg": rng.randint(68, 86),
        "heart_rate_bpm": rng.randint(60, 88),
        "spo2_percent": rng.randint(96, 99),
        "respiratory_rate_per_min": rng.randint(12, 18),
    }


def prechecked(appointment, baseline: dict, origin: RequestOrigin, t: dt.datetime):
    """The appointment's session opened, checked in and past its pre-checks at ``t`` (with
    ``baseline`` vitals), ready to draw up and dose; None when the demo leaves it before that
    (no current consent, already opened, or a pre-check failed)."""
    if not consent_is_current(appointment.patient, appointment.course.route, at=t):
        return None  # the treatment demo's consent postdates this visit: leave it unopened
    session = services.session_open(appointment=appointment, origin=origin, at=t)
    if session.state != "scheduled":
        return None
    services.session_check_in(session=session, origin=origin, at=t)
    if session.route == Route.ESKETAMINE_NASAL.value:
        from ketacare.treatment.services import rems_enrolment_set

        rems_enrolment_set(
            patient=session.patient,
            status="enrolled",
            origin=origin,
            at=t,
            enrolled_on=(t - dt.timedelta(days=7)).date(),
        )
    entry = services.PrecheckInput(
        identity_confirmed="yes",
        could_be_pregnant="no",
        new_medications_since_last_visit="no",
        substance_use_since_last_visit="no",
        phq9_completed="yes",
        cssrs_completed="yes",
        escort_confirmed="yes",
        last_food_at=t - dt.timedelta(hours=6),
        last_liquid_at=t - dt.timedelta(hours=2),
        vitals=baseline,
    )
    if services.session_prechecks(session=session, entry=entry, origin=origin, at=t):
        return None  # left checked in with its failures, as a nurse would find it
    session.refresh_from_db()
    return session


def _run(appointment, rng: random.Random, origin: RequestOrigin, now: dt.datetime) -> None:
    t = appointment.starts_at
    live = now - t < dt.timedelta(hours=3)
    if live:
        t = now  # in the chair now
    baseline = _vitals(rng)
    session = prechecked(appointment, baseline, origin, t)
    if session is None:
        return
    start = t if live else t + dt.timedelta(minutes=5)
    order = session.order
    pump = uses_pump(session)
    services.session_start_dosing(
        session=session,
        lot_number=DEMO_LOTS.get(session.route, DEMO_LOTS["racemic"]),
        origin=origin,
        at=start,
        dose_mg=None if pump else _first_dose(session.route, order.dose_mg),
    )
    session.refresh_from_db()
    end = start + dt.timedelta(minutes=40)
    if live and now < end:
        vitals_record(
            session=session,
            values=_vitals(rng),
            taken_at=start,
            origin=origin,
            at=start,
        )
        return  # in the chair, dosing: the today board shows it
    if pump:
        reached = order_reached_at(
            pump_record(list(session.administration.all())),
            bag_concentration_mg_per_ml=session.pump_contents.concentration_mg_per_ml,
            ordered_mg=float(order.dose_mg),
        )
        end = min(end, reached) if reached else end
    else:
        given = Decimal(28)
        at = start
        while given + 28 <= order.dose_mg:
            at += dt.timedelta(minutes=5)
            administration_record(
                session=session, kind="dose", dose_mg=Decimal(28), given_at=at, origin=origin, at=at
            )
            given += 28
        end = at + dt.timedelta(minutes=1)
    for minutes in (10, 20, 30):
        at = start + dt.timedelta(minutes=minutes)
        if at < end:
            vitals_record(session=session, values=_vitals(rng), taken_at=at, origin=origin, at=at)
    services.session_end_dosing(session=session, origin=origin, at=end)
    session.refresh_from_db()
    leave = end + dt.timedelta(minutes=45 if pump else 125)
    if leave > now:
        return  # still in recovery
    vitals_record(
        session=session,
        values=baseline | {"moaas_level": 5},
        taken_at=leave - dt.timedelta(minutes=2),
        origin=origin,
        at=leave - dt.timedelta(minutes=2),
    )
    services.session_discharge(
        session=session,
        answers=OK,
        origin=origin,
        at=leave,
        instructions="No driving until tomorrow after sleep.",
    )
    services.session_sign(session=session, origin=origin, at=leave + dt.timedelta(minutes=5))
