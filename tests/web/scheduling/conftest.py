"""A clinic ready to schedule: opening hours Monday to Friday 08:00–18:00, Chair 1 with an IV
pump and esketamine observation, Chair 2 with an IV pump, Chair 3 with neither, and the values
the reference leaves to the clinic (an IV visit is 20 + 40 + 30 + 10 = 100 minutes; esketamine
15 + 120 + 15 = 150; a nurse runs two sessions at once, one-to-one for the first 30 minutes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.web.treatment.conftest import (  # noqa: F401 (fixtures)
    call,
    eligible_course,
    enter_intake,
    make_course,
    protocol_ready,
    world,
)

SCHEDULING_VALUES = {
    "scheduling.racemic_iv.arrival_minutes": 20,
    "scheduling.racemic_iv.discharge_minutes": 10,
    "scheduling.racemic_iv.nurse_minutes": 30,
    "scheduling.racemic_iv.prescriber_on_site": False,
    "scheduling.esketamine_nasal.arrival_minutes": 15,
    "scheduling.esketamine_nasal.discharge_minutes": 15,
    "scheduling.esketamine_nasal.nurse_minutes": 20,
    "scheduling.nurse_concurrent_sessions": 2,
}
IV_MINUTES = 100


@pytest.fixture
def director_origin(staff):
    from ketacare.audit.services import RequestOrigin

    return RequestOrigin(actor=staff["medical_director"], actor_label="director")


def configure_scheduling(clinic, origin) -> dict:
    """Opening hours, chair capabilities and the clinic's scheduling values; chairs by name."""
    from ketacare.clinic_settings.services import clinic_settings_update
    from ketacare.scheduling import resources

    now = timezone.now()
    clinic_settings_update(clinic=clinic, values=SCHEDULING_VALUES, origin=origin, at=now)
    clinic_settings_update(
        clinic=clinic,
        values={"monitoring.racemic_iv.minimum_observation_minutes": 30},
        origin=origin,
        at=now,
    )
    for weekday in range(5):
        resources.opening_hours_set(
            clinic=clinic,
            weekday=weekday,
            hours=[(dt.time(8), dt.time(18))],
            origin=origin,
            at=now,
        )
    chairs = {chair.name: chair for chair in clinic.chairs.all()}
    setups = {
        "Chair 1": ["iv_pump", "esketamine_observation"],
        "Chair 2": ["iv_pump"],
        "Chair 3": [],
    }
    for name, capabilities in setups.items():
        resources.chair_capabilities_set(
            chair=chairs[name], capabilities=capabilities, origin=origin, at=now
        )
    return chairs


@pytest.fixture
def ready(clinic, staff, director_origin):
    """The clinic configured for scheduling; returns its chairs by name."""
    return configure_scheduling(clinic, director_origin)


def monday_in(weeks: int = 1) -> dt.date:
    """A Monday at least ``weeks`` weeks ahead (never today)."""
    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7) + dt.timedelta(weeks=weeks - 1)


def at(day: dt.date, clock: str, zone) -> dt.datetime:
    hours, minutes = (int(x) for x in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=zone)
