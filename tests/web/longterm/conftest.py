"""Long-term safety fixtures: crafted administration histories made directly through the
session and treatment models (the session services would walk every step of each session), and
clinic settings set through the settings service (illustrative values, not recommendations)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from ketacare.audit.services import RequestOrigin

_made = itertools.count(1)


@pytest.fixture
def set_longterm(clinic, staff):
    from ketacare.clinic_settings.services import clinic_settings_update

    def set_values(values: dict, target=None):
        clinic_settings_update(
            clinic=target or clinic,
            values={f"longterm.{k}": v for k, v in values.items()},
            origin=RequestOrigin(actor=staff["medical_director"], actor_label="md"),
            at=timezone.now(),
        )

    return set_values


@pytest.fixture
def make_course(clinic, staff):
    from ketacare.treatment.models import Order, TreatmentCourse

    def make(patient, route="esketamine_nasal", dose_mg="56", weight_kg=None):
        now = timezone.now()
        course = TreatmentCourse.objects.create(
            clinic=patient.clinic,
            patient=patient,
            route=route,
            indication="depression",
            regimen_key="test",
            phase="maintenance",
            created_at=now,
            created_by=staff["prescriber"],
        )
        Order.objects.create(
            course=course,
            patient=patient,
            route=route,
            dose_mg=Decimal(dose_mg),
            dosing_weight_kg=None if weight_kg is None else Decimal(str(weight_kg)),
            status="signed",
            created_at=now,
            created_by=staff["prescriber"],
            signed_at=now,
            signed_by=staff["prescriber"],
        )
        return course

    return make


@pytest.fixture
def give_dose(staff):
    """``give_dose(course, days_ago, mg)``: a discharged session of the course with one dose."""
    from ketacare.sessions.models import AdministrationEvent, TreatmentSession
    from ketacare.treatment.models import Appointment, Order

    def give(course, days_ago: float, mg: str = "56", **precheck):
        at = timezone.now() - dt.timedelta(days=days_ago, minutes=next(_made))
        order = Order.objects.filter(course=course, status="signed").first()
        appointment = Appointment.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            course=course,
            kind="treatment",
            chair=course.clinic.chairs.first(),
            nurse=staff["nurse"],
            starts_at=at,
            ends_at=at + dt.timedelta(minutes=1),
            created_at=at,
            status="completed",
        )
        session = TreatmentSession.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            appointment=appointment,
            course=course,
            order=order,
            route=course.route,
            state="discharged",
            state_changed_at=at,
            created_at=at,
            checked_in_at=at,
            dosing_started_at=at,
            precheck_facts=precheck,
            prechecked_at=at if precheck else None,
        )
        AdministrationEvent.objects.create(
            session=session,
            kind="dose",
            at=at,
            dose_mg=Decimal(mg),
            recorded_at=at,
            recorded_by=staff["nurse"],
        )
        return session

    return give


@pytest.fixture
def api_as(client_for):
    def call(role: str, method: str, url: str, body=None):
        c = client_for(role)
        if method == "get":
            return c.get(url)
        return c.post(url, body or {}, content_type="application/json")

    return call
