"""The demo clinic's ledger: receipts, the initial inventory, an administration entry for every
demo session that dosed (same patient, lot and amount), a resolved discrepancy; it verifies."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketacare.controlled_substances.models import Count, Discrepancy, LedgerEntry
from ketacare.sessions.models import TreatmentSession

pytestmark = pytest.mark.django_db


def test_the_demo_ledger_matches_the_demo_sessions_and_verifies():
    real = timezone.now
    # Midday in the demo clinics (Oakland), so the morning's treatments are in the chair.
    midday = dt.datetime.combine(real().date(), dt.time(21, 30), dt.UTC)
    began = real()
    with mock.patch.object(timezone, "now", lambda: midday + (real() - began)):
        call_command("demo", patients=60, seed=3, verbosity=0)
    call_command("ledger_verify")
    sessions = list(TreatmentSession.objects.filter(dosing_started_at__isnull=False))
    assert sessions
    for session in sessions:
        drawn = LedgerEntry.objects.get(session=session, kind="administration")
        assert drawn.patient_id == session.patient_id
        assert drawn.lot.number == session.lot_number
        assert drawn.occurred_at == session.dosing_started_at
        if session.bag_drug_mg is not None:
            assert drawn.quantity_mg >= session.bag_drug_mg
    assert LedgerEntry.objects.filter(kind="receipt").exists()
    assert Count.objects.filter(kind="initial_inventory").count() == 2
    resolved = Discrepancy.objects.filter(resolution__isnull=False)
    assert resolved.exists() and not Discrepancy.objects.filter(resolution__isnull=True).exists()
    assert LedgerEntry.objects.filter(kind="count_adjustment").count() == resolved.count()
