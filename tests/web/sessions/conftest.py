"""Session fixtures: a course, a signed order, current consent and a booked appointment, made
directly through the treatment models (the treatment services belong to another issue), and a
clinic protocol with every required value set (illustrative values, not recommendations)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin

# Illustrative clinic values for the settings the reference leaves open.
IV_SETTINGS = {
    "predose_caution_heart_rate_bpm": 100,
    "spo2_alert_below_percent": 92,
    "respiratory_rate_alert_below_per_min": 10,
    "minimum_observation_minutes": 30,
    "discharge_bp_margin_mmhg": 20,
    "discharge_heart_rate_margin_bpm": 15,
    "fasting_food_minutes": 240,
    "fasting_liquid_minutes": 60,
}
ESKETAMINE_SETTINGS = {
    "predose_caution_heart_rate_bpm": 100,
    "spo2_alert_below_percent": 92,
    "respiratory_rate_alert_below_per_min": 10,
    "dosing_reading_interval_minutes": 10,
    "post_dose_reading_interval_minutes": 30,
    "discharge_bp_margin_mmhg": 20,
    "discharge_heart_rate_margin_bpm": 15,
}
SUBLINGUAL_SETTINGS = {"spo2_alert_below_percent": 92, "respiratory_rate_alert_below_per_min": 10}
SIGNED_AT = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)  # before every test time
PRECHECKS_OK = {
    "identity_confirmed": "yes",
    "could_be_pregnant": "no",
    "new_medications_since_last_visit": "no",
    "substance_use_since_last_visit": "no",
    "phq9_completed": "yes",
    "cssrs_completed": "yes",
    "escort_confirmed": "yes",
}
DISCHARGE_OK = {
    "mental_status_at_baseline": "yes",
    "walking_steadily": "yes",
    "nausea_controlled": "yes",
    "escort_present": "yes",
    "sedation_resolved": "yes",
    "dissociation_resolved": "yes",
    "respiratory_depression_resolved": "yes",
}


def set_protocol(clinic, route: str, values: dict, actor) -> None:
    """The clinic's monitoring values, through the services that own them: the clinic-settings
    registry, and the treatment protocol for the fasting times."""
    from ketacare.clinic_settings.services import clinic_settings_update
    from ketacare.sessions.protocol import FASTING_KEYS, section
    from ketacare.treatment.services import protocol_setting_set

    origin = RequestOrigin(actor=actor, actor_label="md")
    for key in FASTING_KEYS:
        if key in values:
            protocol_setting_set(
                clinic=clinic,
                key=f"monitoring.{route}.{key}",
                value=values[key],
                origin=origin,
                at=timezone.now(),
            )
    clinic_settings_update(
        clinic=clinic,
        values={f"{section(route)}.{k}": v for k, v in values.items() if k not in FASTING_KEYS},
        origin=origin,
        at=timezone.now(),
    )


@pytest.fixture
def configure_protocol(clinic, staff):
    def configure(route: str, values: dict, target=None):
        set_protocol(target or clinic, route, values, staff["medical_director"])

    return configure


@pytest.fixture
def iv_protocol(configure_protocol):
    return configure_protocol("racemic_iv", IV_SETTINGS)


def book(
    patient,
    *,
    clinic,
    staff,
    starts_at,
    route="racemic_iv",
    signed=True,
    consent=True,
    dose_mg="35",
    chair=None,
    order_overrides=None,
):
    """A course with an order (signed by default), the patient's consent and a two-hour
    treatment booked from ``starts_at`` -> Appointment."""
    from ketacare.treatment.models import (
        Appointment,
        ConsentDocument,
        ConsentSignature,
        Order,
        TreatmentCourse,
    )

    now = timezone.now()
    course = TreatmentCourse.objects.create(
        clinic=clinic,
        patient=patient,
        route=route,
        indication="depression",
        regimen_key="test",
        phase="induction",
        created_at=now,
        created_by=staff["prescriber"],
    )
    order_fields = {}
    if route == "racemic_iv":
        # A 35 mg dose drawn from a 10 mg/mL vial (3.5 mL) into a 100 mL bag: 0.35 mg/mL
        # in the bag, the whole of it at 150 mL/h over 40 min.
        order_fields = {
            "concentration_mg_per_ml": Decimal("10"),
            "drug_volume_ml": Decimal("3.5"),
            "rate_ml_per_h": Decimal("150"),
            "infusion_minutes": 40,
            "bag_volume_ml": Decimal("100"),
        }
    order_fields |= order_overrides or {}
    Order.objects.create(
        course=course,
        patient=patient,
        route=route,
        dose_mg=Decimal(dose_mg),
        status="signed" if signed else "draft",
        created_at=now,
        created_by=staff["prescriber"],
        signed_at=now if signed else None,
        signed_by=staff["prescriber"] if signed else None,
        **order_fields,
    )
    if consent:
        document, _ = ConsentDocument.objects.get_or_create(
            clinic=clinic,
            route=route,
            version=1,
            defaults={
                "title": "Consent",
                "body": "Risks...",
                "effective_from": dt.date(2024, 1, 1),
            },
        )
        ConsentSignature.objects.create(
            document=document,
            patient=patient,
            patient_typed_name=patient.full_name,
            patient_signed_at=SIGNED_AT,
            clinician=staff["prescriber"],
            clinician_signed_at=SIGNED_AT,
        )
    return Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        kind="treatment",
        chair=chair or clinic.chairs.first(),
        nurse=staff["nurse"],
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        created_at=now,
    )


@pytest.fixture
def make_booking(clinic, staff):
    """``make_booking(patient, route=..., signed=True, consent=True)`` -> Appointment."""
    made = itertools.count()

    def make(patient, *, starts_at=None, target=None, **options):
        # Without a start, each further booking follows the last: the database refuses two
        # bookings of one chair or one patient at overlapping times.
        start = starts_at or timezone.now() + dt.timedelta(hours=2 * next(made))
        return book(
            patient, clinic=target or clinic, staff=staff, starts_at=start, **options
        )

    return make


@pytest.fixture
def appointment(make_booking, patient, iv_protocol):
    return make_booking(patient)


@pytest.fixture
def nurse_origin(staff):
    return RequestOrigin(actor=staff["nurse"], actor_label=staff["nurse"].username)


@pytest.fixture
def prescriber_origin(staff):
    return RequestOrigin(actor=staff["prescriber"], actor_label=staff["prescriber"].username)


def actor_of_user(user, clinic):
    """The service-level actor of ``user`` at ``clinic`` (roles from their memberships)."""
    from ketacare.core.access import access_for
    from ketacare.core.actions import actor_of

    return actor_of(access_for(user, clinic_id=clinic.pk))


@pytest.fixture
def nurse_actor(staff, clinic):
    return actor_of_user(staff["nurse"], clinic)


@pytest.fixture
def prescriber_actor(staff, clinic):
    return actor_of_user(staff["prescriber"], clinic)
