"""In real Chromium: a nurse draws an IV dose up from the safe's lot (which starts dosing), the
infusion is stopped early, the waste prompt leads to the witnessed waste, and a prescriber at
the nurse's side types their own password to witness it; the ledger shows the entries."""

from __future__ import annotations

import re

import pytest

from ketacare.controlled_substances.models import LedgerEntry
from ketacare.sessions.models import TreatmentSession
from tests.browser.conftest import PASSWORD, sign_in
from tests.web.controlled_substances.conftest import Ledger, ready_to_dose
from tests.web.sessions.conftest import (  # noqa: F401 (fixtures)
    IV_SETTINGS,
    make_booking,
    set_protocol,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_drawing_up_administering_and_wasting_with_a_witness(
    new_page,
    staff,
    clinic,
    patient,
    make_booking,  # noqa: F811
):
    from ketacare.audit.services import RequestOrigin

    set_protocol(clinic, "racemic_iv", IV_SETTINGS, staff["medical_director"])
    ledger = Ledger(clinic, staff)
    ledger.receive(ledger.ketamine_10, "K10-A", 2)
    origin = RequestOrigin(actor=staff["nurse"], actor_label=staff["nurse"].username)
    session = ready_to_dose(make_booking(patient), origin)

    nurse = new_page()
    sign_in(nurse, staff["nurse"].username)
    nurse.goto(f"/sessions/{session.pk}/")

    # The draw-up replaces the typed lot number: the lot comes from what the safe holds.
    assert nurse.get_by_label("Lot number").count() == 0
    stock = nurse.get_by_label("Drawn from")
    assert "lot K10-A" in stock.inner_text() and "400 mg on hand" in stock.inner_text()
    assert nurse.get_by_label("Drawn up (mg)").input_value() == "35"
    nurse.get_by_role("button", name="Draw up and start dosing").click()
    nurse.get_by_text(
        re.compile(r"35\.00 mg drawn up from lot K10-A \(Safe\): dosing started")
    ).wait_for()
    session.refresh_from_db()
    assert session.state == "dosing" and session.lot_number == "K10-A"

    # The infusion is stopped early: the rest is waste to record with a witness.
    nurse.get_by_label("Reason for ending below the order").fill("Patient asked to stop")
    nurse.get_by_role("button", name="Stop pump and end dosing").click()
    nurse.get_by_text("recovery observation started").wait_for()
    prompt = nurse.locator("#waste-prompt")
    assert "drawn up but not given" in prompt.inner_text()
    prompt.get_by_role("link", name=re.compile("second licensed witness")).click()
    assert nurse.url.endswith("#record-waste")

    waste_form = nurse.locator("#record-waste")
    wasted = waste_form.get_by_label("Wasted (mg)").input_value()
    # The nurse cannot witness her own waste.
    waste_form.get_by_label("Witness username").fill(staff["nurse"].username)
    waste_form.get_by_label("Witness password").fill(PASSWORD)
    waste_form.get_by_role("button", name="Record the witnessed waste").click()
    nurse.get_by_text(re.compile("must be someone other than the person recording")).wait_for()
    assert not LedgerEntry.objects.filter(kind="waste").exists()

    # The prescriber, at the nurse's side, types their own credentials.
    waste_form = nurse.locator("#record-waste")
    waste_form.get_by_label("Witness username").fill(staff["prescriber"].username)
    waste_form.get_by_label("Witness password").fill(PASSWORD)
    waste_form.get_by_role("button", name="Record the witnessed waste").click()
    nurse.get_by_text(re.compile(r"mg wasted, witnessed\.")).wait_for()
    nurse.locator("#waste-recorded").get_by_text(re.compile("witnessed by Prescriber")).wait_for()

    waste = LedgerEntry.objects.get(kind="waste")
    assert waste.witness == staff["prescriber"] and waste.recorded_by == staff["nurse"]
    assert f"{waste.quantity_mg:.2f}" == f"{float(wasted):.2f}"
    assert TreatmentSession.objects.get().state == "recovery"

    # The ledger page lists the draw-up and the witnessed waste.
    nurse.goto("/controlled-substances/ledger/")
    nurse.get_by_role("cell", name="Administration").wait_for()
    row = nurse.locator("tr", has_text="Waste")
    assert "witness Prescriber Tester" in row.inner_text()
