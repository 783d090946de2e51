"""Two people booking the last chair at the same moment: one booking and one clear refusal.

Real concurrent transactions on PostgreSQL: two threads, each with its own database
connection, released together by a barrier. SQLite serialises writers itself (every
transaction begins IMMEDIATE), so these run on PostgreSQL only; the triggers that hold on SQLite
are tested in test_booking.py.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.errors import Refused
from ketacare.scheduling.models import Occupancy
from ketacare.scheduling.services import SlotChoice, series_book
from ketacare.treatment.models import Appointment
from tests.web.scheduling.conftest import at, monday_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent transactions: PostgreSQL"
    ),
]


def _race(*work):
    """Run each callable in its own thread and connection, released together; returns each
    one's result or exception."""
    barrier = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_double_booking_of_the_last_chair_gives_one_booking_and_one_refusal(
    ready, make_course, make_patient, clinic, staff
):
    # Only Chair 2 can take IV at that hour: Chair 1 is blocked.
    from ketacare.scheduling.resources import chair_block_add

    origin = RequestOrigin(actor=staff["front_desk"], actor_label="front desk")
    start = at(monday_in(), "09:00", clinic.zone)
    chair_block_add(
        chair=ready["Chair 1"],
        starts_at=start - dt.timedelta(hours=1),
        ends_at=start + dt.timedelta(hours=4),
        reason="Pump service",
        origin=origin,
        at=timezone.now(),
    )
    courses = [
        make_course(make_patient(clinic, last_name=name), "racemic_iv", "iv-depression")
        for name in ("First", "Second")
    ]

    def book(course):
        return lambda: series_book(
            course=course,
            phase=None,
            slots=[SlotChoice(start, ready["Chair 2"].pk)],
            origin=origin,
            at=timezone.now(),
        )

    results = _race(book(courses[0]), book(courses[1]))
    booked = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert "booked" in str(refused[0])
    assert Appointment.objects.filter(chair=ready["Chair 2"], starts_at=start).count() == 1


def test_concurrent_double_booking_straight_into_the_table_is_refused_by_postgresql(
    world, clinic, make_patient
):
    """No lock and no Python check: two transactions insert overlapping occupancies at once.
    The exclusion constraint makes the second wait for the first and then refuses it."""
    appointment = world["appointment"]
    Occupancy.objects.filter(appointment=appointment).delete()
    patients = [make_patient(clinic, last_name=n) for n in ("Left", "Right")]
    rows = []
    for index, patient in enumerate(patients):
        row = Appointment(
            clinic=clinic,
            patient=patient,
            kind="consult",
            starts_at=appointment.starts_at + dt.timedelta(minutes=10 * index),
            ends_at=appointment.ends_at,
            created_at=appointment.created_at,
        )
        Appointment.objects.bulk_create([row])  # no signal
        rows.append(Appointment.objects.get(patient=patient))
    entered = threading.Barrier(2)

    def insert(row):
        def job():
            with transaction.atomic():
                entered.wait(timeout=10)  # both transactions are open before either inserts
                Occupancy.objects.create(
                    appointment=row,
                    clinic=clinic,
                    chair_id=appointment.chair_id,
                    patient=row.patient,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                )
            return row.pk

        return job

    results = _race(insert(rows[0]), insert(rows[1]))
    # One insert stands; the other is refused by the constraint. When both rows are written
    # before either is checked, each check waits for the other transaction and PostgreSQL breaks
    # the tie as a deadlock (SQLSTATE 40P01), which refuses the booking just the same.
    stood = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert len(stood) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], IntegrityError) or (
        isinstance(refused[0], OperationalError)
        and "40P01"
        in (
            getattr(refused[0].__cause__, "sqlstate", None),
            getattr(refused[0].__cause__, "pgcode", None),
        )
    ), results
    assert any(isinstance(r, IntegrityError) for r in results)
    assert Occupancy.objects.filter(chair_id=appointment.chair_id).count() == 1
