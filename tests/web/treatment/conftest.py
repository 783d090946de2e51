"""Fixtures for the treatment web layer: a clinic protocol ready to screen, intake versions,
and JSON calls to the API."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from tests.conftest import intake_payload

# The reference leaves the number of failed trials that defines TRD to the clinic.
TRD_TRIALS = 2

UNCONTROLLED = {
    "conditions": {
        **intake_payload()["conditions"],
        "hypertension": "yes",
        "hypertension_controlled": "no",
    },
    "baseline_vitals": {"systolic_mmhg": 162, "diastolic_mmhg": 98, "heart_rate_bpm": 80},
}
CONTROLLED = {
    "conditions": {
        **intake_payload()["conditions"],
        "hypertension": "yes",
        "hypertension_controlled": "yes",
    },
    "baseline_vitals": {"systolic_mmhg": 128, "diastolic_mmhg": 80, "heart_rate_bpm": 72},
}
COMPLETE = {"medications_complete": True, "antidepressant_history_complete": True}


def require_trd_trials(clinic, director) -> None:
    """The one value depression screening cannot run without, set by ``director``."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.treatment.services import protocol_setting_set

    protocol_setting_set(
        clinic=clinic,
        key="trd.required_adequate_trials",
        value=TRD_TRIALS,
        origin=RequestOrigin(actor=director, actor_label="director"),
        at=timezone.now(),
    )


def new_intake(patient, *, prescriber, signed: bool = True, **overrides):
    """A new intake version entered (and by default signed) by ``prescriber``."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.intake import IntakeData
    from ketacare.patients.services import intake_sign, intake_submit

    origin = RequestOrigin(actor=prescriber, actor_label="prescriber")
    version = intake_submit(
        patient=patient,
        data=IntakeData(**intake_payload(**{**COMPLETE, **overrides})),
        source="staff",
        origin=origin,
        at=timezone.now(),
    )
    return intake_sign(version=version, origin=origin, at=timezone.now()) if signed else version


@pytest.fixture
def protocol_ready(clinic, staff):
    """The clinic has set the one value depression screening cannot run without."""
    require_trd_trials(clinic, staff["medical_director"])
    return clinic


@pytest.fixture
def enter_intake(staff):
    """``enter_intake(patient, signed=True, **overrides)``: a new intake version."""

    def enter(patient, *, signed: bool = True, **overrides):
        return new_intake(patient, prescriber=staff["prescriber"], signed=signed, **overrides)

    return enter


def call(client, method: str, url: str, body=None):
    """A JSON API call; returns (status, parsed body)."""
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body, default=str)
    response = getattr(client, method)(url, **kwargs)
    try:
        data = response.json()
    except ValueError:
        data = response.content.decode()
    return response.status_code, data


def new_eligible_course(patient, *, prescriber):
    """A planned IV depression course on an eligible screening of a newly signed intake."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.treatment import services

    new_intake(patient, prescriber=prescriber)
    origin = RequestOrigin(actor=prescriber, actor_label="prescriber")
    now = timezone.now()
    screening = services.screening_run(
        patient=patient, route="racemic_iv", indication="depression", origin=origin, at=now
    )
    assert screening.allows_treatment, screening.summary
    return services.course_create(
        patient=patient,
        route="racemic_iv",
        indication="depression",
        regimen_key="iv-depression",
        risk_benefit_note="Reviewed.",
        origin=origin,
        at=now,
    )


@pytest.fixture
def eligible_course(patient, staff, protocol_ready):
    """A planned IV depression course on an eligible screening of a signed intake."""
    return new_eligible_course(patient, prescriber=staff["prescriber"])


IV_ORDER = {"dose_mg_per_kg": 0.5, "concentration_mg_per_ml": 10, "bag_volume_ml": 100}


def new_booked_course(course, *, staff, patient, clinic) -> dict:
    """A draft IV order on ``course``, a booked treatment, and a consent the patient signed;
    their ids and the objects."""
    import datetime as dt

    from ketacare.audit.services import RequestOrigin
    from ketacare.treatment import selectors, services
    from ketacare.treatment.dose import DoseInput

    origin = RequestOrigin(actor=staff["prescriber"], actor_label="prescriber")
    now = timezone.now()
    order = services.order_draft(course=course, inputs=DoseInput(**IV_ORDER), origin=origin, at=now)
    chair = clinic.chairs.first()
    appointment = services.appointment_book(
        patient=patient,
        course=course,
        starts_at=now + dt.timedelta(days=2),
        ends_at=now + dt.timedelta(days=2, hours=2),
        chair=chair,
        nurse=staff["nurse"],
        origin=origin,
        at=now,
    )
    services.consent_documents_ensure(clinic=clinic, on=now.date(), origin=origin)
    document = selectors.consent_document_current(clinic, "racemic_iv", at=now)
    signature = services.consent_patient_sign(
        patient=patient,
        document=document,
        typed_name=patient.full_name,
        agreed=True,
        origin=RequestOrigin.system("patient"),
        at=now,
    )
    screening = course.screening
    return {
        "pid": patient.pk,
        "cid": course.pk,
        "oid": order.pk,
        "aid": appointment.pk,
        "sid": screening.pk,
        "sigid": signature.pk,
        "chair": chair.pk,
        "nurse": staff["nurse"].pk,
        "course": course,
        "order": order,
        "appointment": appointment,
        "signature": signature,
    }


@pytest.fixture
def world(eligible_course, staff, patient, clinic):
    """A course with a draft IV order, a booked treatment, and a consent the patient signed."""
    return new_booked_course(eligible_course, staff=staff, patient=patient, clinic=clinic)


@pytest.fixture
def make_course(staff, protocol_ready, enter_intake):
    """``make_course(patient, route, regimen_key, indication="depression", **intake)``."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.treatment import services

    origin = RequestOrigin(actor=staff["prescriber"], actor_label="prescriber")

    def make(patient, route, regimen_key, indication="depression", **intake):
        enter_intake(patient, **intake)
        now = timezone.now()
        screening = services.screening_run(
            patient=patient, route=route, indication=indication, origin=origin, at=now
        )
        assert screening.allows_treatment, screening.summary
        return services.course_create(
            patient=patient,
            route=route,
            indication=indication,
            regimen_key=regimen_key,
            risk_benefit_note="Reviewed with the patient.",
            origin=origin,
            at=now,
        )

    return make


@pytest.fixture
def set_protocol(clinic, staff):
    """``set_protocol(key, value)`` as the medical director."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.treatment.services import protocol_setting_set

    def set_(key, value):
        return protocol_setting_set(
            clinic=clinic,
            key=key,
            value=value,
            origin=RequestOrigin(actor=staff["medical_director"], actor_label="director"),
            at=timezone.now(),
        )

    return set_
