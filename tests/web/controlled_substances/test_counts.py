"""Counts through the services: every lot held is counted, inventories in order, an opened
vial's estimate within the clinic's tolerance, and a loss that starts the DEA steps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import Discrepancy, LedgerEntry, LossReport
from ketacare.core.errors import Invalid, Refused
from tests.web.controlled_substances.conftest import at, origin_of

pytestmark = pytest.mark.django_db


def counted(ledger, k10=(2, 0), devices=6, troches=1):
    return [
        services.CountedStock(ledger.ketamine_10.lots.get(), ledger.safe, *k10),
        services.CountedStock(ledger.spravato.lots.get(), ledger.safe, devices),
        services.CountedStock(ledger.troches.lots.get(), ledger.safe, troches),
    ]


def count(ledger, lines, kind="closing", minutes=0, location="safe"):
    return services.count_record(
        clinic=ledger.clinic, kind=kind, counted=lines, at=at(minutes),
        location=getattr(ledger, location) if location else None,
        origin=origin_of(ledger.staff["nurse"]),
    )  # fmt: skip


def test_every_lot_held_must_be_counted(stocked):
    with pytest.raises(Invalid, match="not counted — SPRAVATO"):
        count(stocked, counted(stocked)[:1] + counted(stocked)[2:])


def test_an_exact_count_opens_no_discrepancy(stocked):
    row = count(stocked, counted(stocked))
    assert not Discrepancy.objects.exists()
    assert row.at_ledger_sequence == LedgerEntry.objects.count()


def test_an_estimate_within_the_clinics_tolerance_is_not_a_discrepancy(stocked):
    lines = counted(stocked, k10=(1, Decimal("19.6")))  # the ledger holds 40 mL: 0.4 mL short
    count(stocked, lines)
    assert Discrepancy.objects.count() == 1  # no tolerance set: none allowed
    clinic_settings_update(
        clinic=stocked.clinic,
        values={"controlled_substances.estimate_tolerance_ml": 0.5},
        origin=origin_of(stocked.staff["medical_director"]),
        at=at(1),
    )
    count(stocked, counted(stocked, k10=(1, Decimal("19.6"))), minutes=2)
    assert Discrepancy.objects.count() == 1


def test_inventories_come_in_order(stocked):
    with pytest.raises(Refused, match="initial inventory first"):
        count(stocked, counted(stocked), kind="biennial_inventory", location=None)
    with pytest.raises(Invalid, match="an inventory covers them all"):
        count(stocked, counted(stocked), kind="initial_inventory")
    count(stocked, counted(stocked), kind="initial_inventory", location=None)
    with pytest.raises(Refused, match="next one is biennial"):
        count(stocked, counted(stocked), kind="initial_inventory", location=None)


def test_a_significant_loss_opens_the_dea_steps_with_their_deadlines(stocked):
    count(stocked, counted(stocked, devices=4))  # two devices missing
    discrepancy = Discrepancy.objects.get()
    md = origin_of(stocked.staff["medical_director"])
    with pytest.raises(Invalid, match="Explain"):
        services.discrepancy_resolve(
            discrepancy=discrepancy, finding="significant_loss", explanation=" ", origin=md,
            at=at(30),
        )  # fmt: skip
    services.discrepancy_resolve(
        discrepancy=discrepancy, finding="significant_loss",
        explanation="Two devices missing; the safe was left open", origin=md, at=at(30),
    )  # fmt: skip
    loss = LedgerEntry.objects.get(kind="loss")
    assert (loss.quantity_units, loss.balance_units) == (Decimal("2.0000"), Decimal("4.0000"))
    report = LossReport.objects.get()
    assert report.discovered_on == dt.date(2025, 3, 3)
    with pytest.raises(Invalid, match="Form 106 confirmation"):
        services.loss_step_record(
            report=report, step="form_106", done_on=dt.date(2025, 3, 4), reference="",
            origin=md, at=at(60 * 24 * 2),
        )  # fmt: skip
    services.loss_step_record(
        report=report, step="field_division_notice", done_on=dt.date(2025, 3, 4),
        reference="Letter to the New England Field Division", origin=md, at=at(60 * 24 * 2),
    )  # fmt: skip
    with pytest.raises(Refused, match="already been resolved"):
        services.discrepancy_resolve(
            discrepancy=discrepancy, finding="loss", explanation="again", origin=md, at=at(40)
        )


def test_a_loss_reports_dea_step_through_the_api_answers_its_typed_record(stocked, client_for):
    count(stocked, counted(stocked, devices=4))
    services.discrepancy_resolve(
        discrepancy=Discrepancy.objects.get(), finding="significant_loss",
        explanation="Two devices missing", origin=origin_of(stocked.staff["medical_director"]),
        at=at(30),
    )  # fmt: skip
    report = LossReport.objects.get()
    response = client_for("medical_director").post(
        f"/api/v1/controlled-substances/loss-reports/{report.pk}/steps",
        data={"step": "form_106", "done_on": "2025-03-05", "reference": "DEA-106-0042"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "step": "form_106", "done_on": "2025-03-05", "reference": "DEA-106-0042",
    }  # fmt: skip
