"""The demo clinic runs on the scheduling: opening hours, chair capabilities, staff hours, series
booked through slot finding in proportion to its patients, and a patient on the waitlist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketacare.scheduling.models import (
    Booking,
    ChairSetup,
    OpeningHours,
    Series,
    StaffHours,
    WaitlistEntry,
)
from ketacare.treatment.models import Appointment

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def test_the_demo_clinic_has_resources_and_realistic_bookings():
    call_command("demo", patients=90, seed=2)
    assert OpeningHours.objects.filter(weekday=5).exists()  # downtown on Saturday mornings
    assert any("iv_pump" in setup.capabilities for setup in ChairSetup.objects.all())
    assert StaffHours.objects.exists()
    series = Series.objects.all()
    assert series.count() >= 2
    for each in series:
        sessions = Appointment.objects.filter(booking__series=each)
        assert sessions.count() == each.pattern["sessions"]
        assert all(a.nurse_id for a in sessions)
    assert Booking.objects.filter(cancelled_at__isnull=False).exists()
    assert WaitlistEntry.objects.filter(priority=2).exists()
    later = Appointment.objects.filter(
        status="booked", course__route="racemic_iv", starts_at__gt=timezone.now() + HOUR
    ).select_related("chair__setup")
    assert later and all("iv_pump" in a.chair.setup.capabilities and a.nurse_id for a in later)
