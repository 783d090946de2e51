"""The ledger's forms render for every kind and record through the same path as the API."""

from __future__ import annotations

import pytest

from ketacare.controlled_substances.models import LedgerEntry, StorageLocation
from tests.web.controlled_substances.conftest import SUPPLIER

pytestmark = pytest.mark.django_db

KINDS = ["receipt", "transfer", "loss", "return_to_distributor", "destruction", "dispense"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_entry_form_renders(stocked, client_for, patient, kind):
    page = client_for("nurse").get(f"/controlled-substances/record/{kind}/")
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()


def test_a_transfer_and_a_correction_through_the_pages(stocked, client_for):
    nurse = client_for("nurse")
    lot = stocked.ketamine_10.lots.get()
    response = nurse.post(
        "/controlled-substances/record/transfer/",
        {
            "stock": f"{lot.pk}-{stocked.safe.pk}",
            "containers": "1",
            "to_location_id": stocked.cart.pk,
        },
    )
    assert response.status_code == 302
    moved = LedgerEntry.objects.get(kind="transfer_in")
    form = nurse.get(f"/controlled-substances/record/correction/?entry={moved.pk}").content.decode()
    assert f"#{moved.sequence}" in form
    refused = nurse.post("/controlled-substances/record/correction/", {"corrects_id": moved.pk})
    assert refused.status_code == 422 and "needs its reason" in refused.content.decode()
    nurse.post(
        "/controlled-substances/record/correction/",
        {"corrects_id": moved.pk, "reason": "Went back to the safe unopened"},
    )
    assert LedgerEntry.objects.get(kind="correction").corrects == moved
    ledger = nurse.get("/controlled-substances/ledger/").content.decode()
    assert "corrected by #" in ledger


def test_a_receipt_through_the_page_and_a_refusal_shown_on_it(stocked, client_for):
    nurse = client_for("nurse")
    data = {
        "product_id": stocked.ketamine_50.pk, "lot_number": "K50-9", "lot_expires_on": "2030-01-01",
        "location_id": stocked.safe.pk, "containers": "2", "received_on": "2026-01-05",
        "counterparty_name": SUPPLIER.name, "counterparty_address": SUPPLIER.address,
        "counterparty_dea_number": "XX0000001", "document_reference": "INV-9",
    }  # fmt: skip
    refused = nurse.post("/controlled-substances/record/receipt/", data)
    assert refused.status_code == 422 and "valid DEA number" in refused.content.decode()
    data["counterparty_dea_number"] = SUPPLIER.dea_number
    assert nurse.post("/controlled-substances/record/receipt/", data).status_code == 302
    assert LedgerEntry.objects.filter(lot__number="K50-9", quantity_mg=1000).exists()


def test_the_medical_director_sets_up_a_location(stocked, client_for):
    md = client_for("medical_director")
    md.post(
        "/controlled-substances/setup/", {"section": "location", "name": "Cart 2", "kind": "cart"}
    )
    assert StorageLocation.objects.filter(name="Cart 2").exists()
    refused = md.post("/controlled-substances/setup/", {"section": "registration", "number": "AB1"})
    assert refused.status_code == 422
