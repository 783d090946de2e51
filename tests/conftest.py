"""Fixtures shared by every test: clinics, staff of each role, patients, logged-in clients."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import itertools
import os
from collections.abc import Iterator

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


class ModuleData:
    """Opens the database to a module-scoped fixture while it builds the module's data."""

    def __init__(self, blocker) -> None:
        self._blocker = blocker

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        with self._blocker.unblock():
            yield


@pytest.fixture(scope="module")
def module_data(django_db_setup, django_db_blocker) -> Iterator[ModuleData]:
    """Django's ``setUpTestData`` for a pytest module: data built once (inside
    ``module_data.building()``) in a transaction that stays open for the module's tests and is
    rolled back after the last one. Each test still runs in a savepoint of its own, so no test
    sees another's writes. Not for modules with ``transaction=True`` tests (they would flush
    it); on-commit callbacks registered while building never run, as in any test."""
    from django.db import connections, transaction

    with django_db_blocker.unblock():
        atomics = []
        for alias in connections:
            atomic = transaction.atomic(using=alias)
            atomic._from_testcase = True  # what Django's TestCase marks its class-wide atomics
            atomic.__enter__()
            atomics.append((alias, atomic))
    try:
        yield ModuleData(django_db_blocker)
    finally:
        with django_db_blocker.unblock():
            for alias, atomic in reversed(atomics):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


@pytest.fixture
def module_world_copy(module_world, db):
    """This test's own copy of the module's ``module_world`` (a dict of model instances): a test
    changing an instance in memory (``refresh_from_db``, an assignment) leaves the next test's
    copy as built, as Django's ``TestData`` does for ``setUpTestData``."""
    return copy.deepcopy(module_world)


def from_module_world(*names: str) -> tuple:
    """Function-scoped fixtures ``names``, each this test's copy of ``module_world[name]``::

    @pytest.fixture(scope="module")
    def module_world(module_data):
        with module_data.building():
            return base_world() | {"ids": ...}

    organisation, clinic, staff, patient, ids = from_module_world(
        "organisation", "clinic", "staff", "patient", "ids"
    )
    """

    def fixture(name: str):
        @pytest.fixture(name=name)
        def from_copy(module_world_copy):
            return module_world_copy[name]

        return from_copy

    return tuple(fixture(name) for name in names)


def new_organisation():
    from ketacare.core.models import Organisation

    return Organisation.objects.create(name="Test Network", slug=f"net-{next(_counter)}")


def new_clinic(organisation, name: str = "Harbor Clinic", prefix: str = "HC"):
    """A clinic of ``organisation`` with three chairs."""
    from ketacare.core.models import Chair, Clinic

    clinic = Clinic.objects.create(
        organisation=organisation,
        name=name,
        slug=f"{prefix.lower()}-{next(_counter)}",
        mrn_prefix=prefix,
        time_zone="America/New_York",
        phone="(555) 010-0000",
    )
    Chair.objects.bulk_create([Chair(clinic=clinic, name=f"Chair {n}") for n in (1, 2, 3)])
    return clinic


def new_staff_member(organisation, role: str, clinic, *, username: str | None = None):
    """A user with ``role`` at ``clinic``; ``clinic=None`` is network-wide."""
    from ketacare.core.models import StaffMembership, User

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


def new_staff(organisation, clinic) -> dict:
    """One user per role at ``clinic``."""
    return {role: new_staff_member(organisation, role, clinic) for role in ROLES}


def new_patient(clinic, **overrides):
    """A patient registered through the patients service (audited like any registration)."""
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.schemas import PatientIn
    from ketacare.patients.services import patient_register

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


def base_world(*, patient: bool = True) -> dict:
    """What most web tests start from, made once: ``organisation``, ``clinic`` (three chairs),
    ``staff`` (one user per role) and, unless ``patient=False``, ``patient`` (Jane Doe)."""
    organisation = new_organisation()
    clinic = new_clinic(organisation)
    world = {"organisation": organisation, "clinic": clinic}
    world["staff"] = new_staff(organisation, clinic)
    if patient:
        world["patient"] = new_patient(clinic, first_name="Jane", last_name="Doe")
    return world


@pytest.fixture
def organisation(db):
    return new_organisation()


@pytest.fixture
def clinic(organisation):
    return new_clinic(organisation, "Harbor Clinic", "HC")


@pytest.fixture
def other_clinic(organisation):
    return new_clinic(organisation, "Hill Clinic", "HL")


@pytest.fixture
def make_staff(db, organisation):
    """``make_staff("nurse", clinic)``; ``clinic=None`` makes a network-wide medical director."""

    def make(role: str, clinic, *, username: str | None = None):
        return new_staff_member(organisation, role, clinic, username=username)

    return make


@pytest.fixture
def staff(organisation, clinic):
    """One user per role at ``clinic``: ``staff["nurse"]``."""
    return new_staff(organisation, clinic)


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
    return new_patient


@pytest.fixture
def patient(clinic):
    return new_patient(clinic, first_name="Jane", last_name="Doe")


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
