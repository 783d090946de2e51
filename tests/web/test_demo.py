from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.core.models import DemoMarker, StaffMembership
from ketacare.patients.models import IntakeVersion, Patient

pytestmark = pytest.mark.django_db


def _fingerprint() -> list[tuple]:
    return [
        (
            p.mrn,
            p.first_name,
            p.last_name,
            p.date_of_birth.isoformat(),
            v.data["conditions"],
            v.data["weight_kg"],
        )
        for p in Patient.objects.order_by("mrn")
        for v in p.intake_versions.all()
    ]


def _reset() -> None:
    call_command("flush", interactive=False, verbosity=0)


def test_demo_has_every_role_some_ineligible_patients_and_refuses_a_full_database():
    call_command("demo", patients=60, seed=7)
    roles = set(StaffMembership.objects.values_list("role", flat=True))
    assert roles == {
        "front_desk",
        "nurse",
        "prescriber",
        "medical_director",
        "billing",
        "clinic_admin",
    }
    assert StaffMembership.objects.filter(clinic__isnull=True, role="medical_director").exists()
    assert Patient.objects.count() == 60 and IntakeVersion.objects.count() == 60
    assert DemoMarker.objects.get().seed == 7
    assert Patient.objects.get(portal_user__username="patient")
    risky = [
        v
        for v in IntakeVersion.objects.all()
        if "yes"
        in (
            v.data["conditions"]["psychosis_history"],
            v.data["conditions"]["substance_use_active"],
            v.data["conditions"]["pregnant"],
        )
        or (
            v.data["conditions"]["hypertension"] == "yes"
            and v.data["conditions"]["hypertension_controlled"] == "no"
        )
    ]
    assert risky, "the demo should include patients who are not eligible"
    with pytest.raises(CommandError, match="empty"):
        call_command("demo", patients=5, seed=7)
    call_command("demo", patients=5, seed=7, if_empty=True)  # prints the logins, loads nothing
    assert Patient.objects.count() == 60


@pytest.mark.django_db(transaction=True)
def test_same_seed_same_clinic_other_seed_other_clinic():
    call_command("demo", patients=25, seed=3)
    first = _fingerprint()
    _reset()
    call_command("demo", patients=25, seed=3)
    assert _fingerprint() == first
    _reset()
    call_command("demo", patients=25, seed=4)
    assert _fingerprint() != first
