"""Drawing a dose up: one step writes the ledger's administration entry and starts the session's
dosing; the rest is wasted with a licensed witness or (whole devices) returned; the session never
gives more than was drawn up for it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketacare.clinical.controlled_substances import EntryKind
from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import LedgerEntry
from ketacare.controlled_substances.selectors import balances, session_dose_account
from ketacare.core.errors import Invalid, Refused
from ketacare.sessions import services as session_services
from ketacare.sessions.models import AdministrationEvent
from tests.web.controlled_substances.conftest import (
    ESKETAMINE_SETTINGS,
    at,
    ready_to_dose,
)

pytestmark = pytest.mark.django_db


def iv_session(stocked, make_booking, patient, nurse_origin):
    appointment = make_booking(patient)
    return ready_to_dose(appointment, nurse_origin)


def draw_up(stocked, session, origin, *, product=None, lot="K10-A", **amount):
    product = product or stocked.ketamine_10
    return services.dose_draw_up(
        session=session,
        lot=product.lots.get(number=lot),
        location=stocked.safe,
        amount=services.Amount(**(amount or {"mg": 35})),
        origin=origin,
        at=at(0),
    )


def safe_balance(stocked, product):
    return sum(
        (
            b.mg
            for b in balances(stocked.clinic)
            if b.product == product and b.location == stocked.safe
        ),
        Decimal(0),
    )


def test_drawing_up_writes_the_ledger_entry_and_starts_the_session_in_one_step(
    stocked, make_booking, patient, iv_protocol, nurse_origin
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    entry = draw_up(stocked, session, nurse_origin)
    session.refresh_from_db()
    assert session.state == "dosing"
    assert session.lot_number == "K10-A"
    assert session.bag_drug_mg == Decimal("35.00")
    assert session.vial_concentration_mg_per_ml == Decimal("10.00")
    assert (entry.kind, entry.quantity_mg, entry.quantity_units) == (
        "administration", Decimal("35.00"), Decimal("3.5000"),
    )  # fmt: skip
    assert entry.session_id == session.pk and entry.patient_id == session.patient_id
    assert safe_balance(stocked, stocked.ketamine_10) == Decimal(365)
    assert AdministrationEvent.objects.filter(session=session, kind="start").count() == 1


def test_a_failed_start_leaves_no_ledger_entry(
    stocked, make_booking, patient, iv_protocol, nurse_origin
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    before = LedgerEntry.objects.count()
    with pytest.raises(Invalid, match="pump rate"):
        services.dose_draw_up(
            session=session,
            lot=stocked.ketamine_10.lots.get(),
            location=stocked.safe,
            amount=services.Amount(mg=30),
            origin=nurse_origin,
            at=at(0),
        )  # fmt: skip  -- a bag other than the order's needs its own rate
    assert LedgerEntry.objects.count() == before
    session.refresh_from_db()
    assert session.state == "prechecks_passed"


@pytest.mark.parametrize(
    ("product", "lot", "amount", "message"),
    [
        ("ketamine_50", None, {"mg": 35}, "10 mg/mL vial"),
        ("spravato", "ESK-1", {"units": 1}, "is not given as"),
        ("ketamine_10", "K10-A", {"units": 41}, "below zero"),
    ],
)
def test_a_draw_up_from_the_wrong_stock_is_refused(
    stocked, make_booking, patient, iv_protocol, nurse_origin, product, lot, amount, message
):
    if product == "ketamine_50":
        stocked.receive(stocked.ketamine_50, "K50-1", 1)
        lot = "K50-1"
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    with pytest.raises(Exception, match=message):
        draw_up(
            stocked, session, nurse_origin, product=getattr(stocked, product), lot=lot, **amount
        )
    assert not LedgerEntry.objects.filter(session=session).exists()


def test_starting_dosing_without_drawing_up_is_refused_once_the_ledger_is_kept(
    stocked, make_booking, patient, iv_protocol, nurse_origin
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    with pytest.raises(services.NotDrawnUp, match="Draw the dose up"):
        session_services.session_start_dosing(
            session=session, lot_number="typed", origin=nurse_origin, at=at(0)
        )
    session.refresh_from_db()
    assert session.state == "prechecks_passed"


def end_iv_early(session, origin, minutes=20):
    session_services.administration_record(
        session=session, kind="stop", given_at=at(minutes), origin=origin, at=at(minutes),
        reason="Patient asked to stop",
    )  # fmt: skip
    session_services.session_end_dosing(
        session=session, origin=origin, at=at(minutes), reason="Patient asked to stop"
    )
    session.refresh_from_db()


def test_waste_of_the_undelivered_rest_needs_a_witness_who_confirms_with_a_password(
    stocked, make_booking, patient, iv_protocol, nurse_origin, staff, witness
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    draw_up(stocked, session, nurse_origin)
    end_iv_early(session, nurse_origin)  # 150 mL/h for 20 min = 50 mL of 0.35 mg/mL = 17.5 mg
    account = session_dose_account(session, now=at(30))
    assert (account.drawn_mg, account.administered_mg, account.open_mg) == (
        Decimal("35.00"), Decimal("17.50"), Decimal("17.50"),
    )  # fmt: skip

    def waste(witnesses, **amount):
        return services.dose_rest_dispose(
            session=session,
            kind=EntryKind.WASTE,
            amount=services.Amount(**(amount or {"mg": "17.5"})),
            origin=nurse_origin,
            at=at(30),
            witnesses=witnesses,
        )

    with pytest.raises(Invalid, match="needs 1 witness"):
        waste(())
    with pytest.raises(Invalid, match="someone other than"):
        waste((witness(staff["nurse"]),))
    with pytest.raises(Invalid, match="password is not right"):
        witness(staff["prescriber"], password="guess")
    with pytest.raises(Invalid, match="not licensed"):
        waste((witness(staff["front_desk"]),))
    with pytest.raises(Invalid, match=r"Only 17\.50 mg"):
        waste((witness(),), mg=18)
    entry = waste((witness(),))
    assert (entry.kind, entry.quantity_mg, entry.change_mg) == ("waste", Decimal("17.50"), 0)
    assert entry.witness == staff["prescriber"] and entry.recorded_by == staff["nurse"]
    assert entry.of_entry.kind == "administration"
    assert session_dose_account(session, now=at(31)).open_mg == 0
    assert safe_balance(stocked, stocked.ketamine_10) == Decimal(365)  # waste left stock at draw-up
    with pytest.raises(Refused, match="Drawn-up solution cannot go back"):
        services.dose_rest_dispose(
            session=session, kind=EntryKind.RETURN_TO_STOCK, amount=services.Amount(mg=1),
            origin=nurse_origin, at=at(31),
        )  # fmt: skip


def test_waste_waits_for_the_end_of_dosing(
    stocked, make_booking, patient, iv_protocol, nurse_origin, witness
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    draw_up(stocked, session, nurse_origin)
    with pytest.raises(Refused, match="once dosing has ended"):
        services.dose_rest_dispose(
            session=session, kind=EntryKind.WASTE, amount=services.Amount(mg=1),
            origin=nurse_origin, at=at(5), witnesses=(witness(),),
        )  # fmt: skip


@pytest.fixture
def esketamine_session(stocked, make_booking, patient, configure_protocol, nurse_origin):
    from ketacare.treatment.models import RemsEnrolment

    configure_protocol("esketamine_nasal", ESKETAMINE_SETTINGS)
    RemsEnrolment.objects.create(
        patient=patient, status="enrolled", updated_at=at(-100), updated_by=stocked.staff["nurse"]
    )
    appointment = make_booking(patient, route="esketamine_nasal", dose_mg="84")
    return ready_to_dose(appointment, nurse_origin)


def test_esketamine_is_drawn_per_device_and_an_unused_device_goes_back(
    stocked, esketamine_session, nurse_origin
):
    session = esketamine_session
    with pytest.raises(Invalid, match="one by one"):
        draw_up(stocked, session, nurse_origin, product=stocked.spravato, lot="ESK-1", mg=42)
    entry = draw_up(stocked, session, nurse_origin, product=stocked.spravato, lot="ESK-1", units=3)
    assert (entry.quantity_mg, entry.quantity_units) == (Decimal("84.00"), Decimal("3.0000"))
    session.refresh_from_db()
    assert session.state == "dosing"
    assert session.administration.get().dose_mg == Decimal("28.00")  # one device at a time
    session_services.administration_record(
        session=session, kind="dose", dose_mg=Decimal(28), given_at=at(5), origin=nurse_origin,
        at=at(5),
    )  # fmt: skip
    session_services.session_end_dosing(
        session=session, origin=nurse_origin, at=at(6), reason="Declined the third device"
    )
    back = services.dose_rest_dispose(
        session=session, kind=EntryKind.RETURN_TO_STOCK, amount=services.Amount(units=1),
        origin=nurse_origin, at=at(10),
    )  # fmt: skip
    assert (back.change_units, back.balance_units) == (Decimal("1.0000"), Decimal("4.0000"))
    assert session_dose_account(session, now=at(11)).open_mg == 0


def test_a_session_cannot_give_more_devices_than_were_drawn_up(
    stocked, esketamine_session, nurse_origin
):
    session = esketamine_session
    draw_up(stocked, session, nurse_origin, product=stocked.spravato, lot="ESK-1", units=1)
    with pytest.raises(services.NotDrawnUp, match="draw up more"):
        session_services.administration_record(
            session=session, kind="dose", dose_mg=Decimal(28), given_at=at(5), origin=nurse_origin,
            at=at(5),
        )  # fmt: skip
    draw_up(stocked, session, nurse_origin, product=stocked.spravato, lot="ESK-1", units=1)
    session_services.administration_record(
        session=session,
        kind="dose",
        dose_mg=Decimal(28),
        given_at=at(6),
        origin=nurse_origin,
        at=at(6),
    )
    assert LedgerEntry.objects.filter(session=session, kind="administration").count() == 2


def test_take_home_troches_are_dispensed_to_the_patient(stocked, patient, nurse_origin):
    entry = services.dispense_record(
        clinic=stocked.clinic, patient=patient, lot=stocked.troches.lots.get(),
        location=stocked.safe, amount=services.Amount(units=8), origin=nurse_origin, at=at(0),
    )  # fmt: skip
    assert (entry.kind, entry.quantity_mg, entry.balance_units) == (
        "dispense", Decimal("800.00"), Decimal("22.0000"),
    )  # fmt: skip
    assert entry.patient == patient
    with pytest.raises(Invalid, match="one by one"):
        services.dispense_record(
            clinic=stocked.clinic, patient=patient, lot=stocked.troches.lots.get(),
            location=stocked.safe, amount=services.Amount(units="1.5"), origin=nurse_origin,
            at=at(1),
        )  # fmt: skip


def test_the_ledger_verifies_after_a_session(
    stocked, make_booking, patient, iv_protocol, nurse_origin, witness
):
    session = iv_session(stocked, make_booking, patient, nurse_origin)
    draw_up(stocked, session, nurse_origin)
    end_iv_early(session, nurse_origin)
    services.dose_rest_dispose(
        session=session, kind=EntryKind.WASTE, amount=services.Amount(mg="17.5"),
        origin=nurse_origin, at=at(30), witnesses=(witness(),),
    )  # fmt: skip
    assert list(services.ledger_check(stocked.clinic.pk)) == []


def test_the_session_page_reads_the_dose_and_its_ledger_record_once(
    stocked, make_booking, patient, iv_protocol, nurse_origin, client_for
):
    """The screen, the ledger panel and the waste prompt all show the dose: one read each of
    the administration record, the draw-ups and the dispositions serves them all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = iv_session(stocked, make_booking, patient, nurse_origin)
    draw_up(stocked, session, nurse_origin)
    end_iv_early(session, nurse_origin)
    nurse = client_for("nurse")
    nurse.get(f"/sessions/{session.pk}/")  # one-off writes (session activity) out of the way
    with CaptureQueriesContext(connection) as queries:
        page = nurse.get(f"/sessions/{session.pk}/")
    assert page.status_code == 200
    assert "17.50" in page.content.decode()  # the rest still to waste, from the dose account
    reads = [
        q["sql"]
        for q in queries
        if 'FROM "treatment_sessions_administrationevent"' in q["sql"]
        or ('FROM "controlled_substances_ledgerentry"' in q["sql"]
        and '"session_id"' in q["sql"])
    ]
    assert len(reads) == len(set(reads)), [r[:120] for r in reads]
