"""Data built once per module (``module_data``): every test starts from the world as built, its
own writes and in-memory changes undone before the next test."""

from __future__ import annotations

import pytest

from tests.conftest import base_world, from_module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_data):
    with module_data.building():
        return base_world(patient=False)


organisation, clinic = from_module_world("organisation", "clinic")


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_each_test_starts_from_the_world_as_built(clinic, attempt):
    from ketacare.core.models import Chair, Clinic

    assert clinic.name == "Harbor Clinic"
    assert Clinic.objects.get(pk=clinic.pk).name == "Harbor Clinic"
    assert Chair.objects.filter(clinic=clinic).count() == 3
    Chair.objects.create(clinic=clinic, name="Chair 4")
    Clinic.objects.filter(pk=clinic.pk).update(name="Renamed in the database")
    clinic.name = "Renamed in memory"


def test_each_test_gets_its_own_copy_of_the_instances(module_world, clinic, organisation):
    assert clinic is not module_world["clinic"]
    assert clinic.pk == module_world["clinic"].pk
    assert clinic.organisation_id == organisation.pk
