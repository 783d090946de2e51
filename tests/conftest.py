"""Fixtures shared by every test: clinics, staff of each role, patients, logged-in clients."""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pytest
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("KETACARE_ENV", "test")

# Deterministic and free of wall-clock deadlines: CI runs on two busy cores.
hypothesis_settings.register_profile("ketacare", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ketacare")

ROLES = ("front_desk", "nurse", "prescriber", "medical_director", "billing", "clinic_admin")
CREDENTIALS = {"prescriber": "MD", "medical_director": "MD", "nurse": "RN"}
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def _audit_anchor_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audit-anchors")


@pytest.fixture(autouse=True)
def _own_audit_anchors(settings, _audit_anchor_dir):
    """Each test anchors its audit trail in a file of its own (tests run in parallel)."""
    settings.AUDIT_ANCHOR_PATH = _audit_anchor_dir / f"anchors-{next(_counter)}.jsonl"


@pytest.fixture
def database_admin(db):
    """Someone with full access to the database: on PostgreSQL the append-only trigger of the
    audit table is switched off for this test."""
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
    yield
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.fixture
def organisation(db):
    from ketacare.core.models import Organisation

    return Organisation.objects.create(name="Test Network", slug=f"net-{next(_counter)}")


def _clinic(organisation, name: str, prefix: str):
    from ketacare.core.models import Chair, Clinic

    clinic = Clinic.objects.create(
        organisation=organisation,
        name=name,
        slug=f"{prefix.lower()}-{next(_counter)}",
        mrn_prefix=prefix,
        time_zone="America/New_York",
        phone="(555) 010-0000",
    )
    for n in (1, 2, 3):
        Chair.objects.create(clinic=clinic, name=f"Chair {n}")
    return clinic


@pytest.fixture
def clinic(organisation):
    return _clinic(organisation, "Harbor Clinic", "HC")


@pytest.fixture
def other_clinic(organisation):
    return _clinic(organisation, "Hill Clinic", "HL")


@pytest.fixture
def make_staff(db, organisation):
    """``make_staff("nurse", clinic)``; ``clinic=None`` makes a network-wide medical director."""
    from ketacare.core.models import StaffMembership, User

    def make(role: str, clinic, *, username: str | None = None):
        user = User.objects.create_user(
            username=username or f"{role}-{next(_counter)}",
            password="correct-horse-battery",
            first_name=role.replace("_", " ").title(),
            last_name="Tester",
            email=f"{role}@example.org",
        )
        StaffMembership.objects.create(
            user=user,
            role=role,
            credential=CREDENTIALS.get(role, ""),
            organisation=organisation,
            clinic=clinic,
        )
        return user

    return make


@pytest.fixture
def staff(make_staff, clinic):
    """One user per role at ``clinic``: ``staff["nurse"]``."""
    return {role: make_staff(role, clinic) for role in ROLES}


@pytest.fixture
def client_for(client, staff):
    """``client_for("nurse")``: the test client signed in as that role."""
    from django.test import Client

    def make(role: str) -> Client:
        c = Client()
        c.force_login(staff[role])
        return c

    return make


@pytest.fixture
def make_patient(db):
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.schemas import PatientIn
    from ketacare.patients.services import patient_register

    def make(clinic, **overrides):
        data = {
            "first_name": "Jane",
            "last_name": f"Doe{next(_counter)}",
            "date_of_birth": dt.date(1985, 4, 12),
            "sex_at_birth": "female",
            "email": "jane@example.com",
        } | overrides
        return patient_register(
            clinic=clinic,
            data=PatientIn(**data),
            origin=RequestOrigin.system("test"),
            at=timezone.now(),
        )

    return make


@pytest.fixture
def patient(make_patient, clinic):
    return make_patient(clinic, first_name="Jane", last_name="Doe")


def intake_payload(**overrides) -> dict:
    """A complete, valid intake (uncontrolled hypertension off, everything answered)."""
    from ketacare.patients.intake import CONDITION_NAMES

    conditions = {name: "no" for name in CONDITION_NAMES}
    data = {
        "height_cm": 178,
        "weight_kg": 82,
        "diagnoses": [{"code": "F33.2", "description": "MDD, recurrent, severe"}],
        "medications": [{"name": "sertraline", "dose": "150 mg daily"}],
        "no_known_allergies": False,
        "allergies": [{"substance": "penicillin", "reaction": "rash"}],
        "antidepressant_trials": [
            {
                "drug": "sertraline",
                "dose_mg": 150,
                "weeks": 10,
                "adequate": "yes",
                "outcome": "no_response",
                "current_episode": "yes",
            },
            {
                "drug": "bupropion",
                "dose_mg": 300,
                "weeks": 8,
                "adequate": "yes",
                "outcome": "partial",
                "current_episode": "yes",
            },
        ],
        "conditions": conditions,
        "baseline_vitals": {
            "systolic_mmhg": 122,
            "diastolic_mmhg": 78,
            "heart_rate_bpm": 70,
            "spo2_percent": 98,
        },
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_intake(patient, staff):
    """The patient's intake, entered and signed by the prescriber."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.intake import IntakeData
    from ketacare.patients.services import intake_sign, intake_submit

    origin = RequestOrigin(actor=staff["prescriber"], actor_label="prescriber")
    version = intake_submit(
        patient=patient,
        data=IntakeData(**intake_payload()),
        source="staff",
        origin=origin,
        at=timezone.now(),
    )
    return intake_sign(version=version, origin=origin, at=timezone.now())
