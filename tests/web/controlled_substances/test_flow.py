"""A session through the ledger on the pages: the session page offers the draw-up (not a typed
lot), the nurse draws up and dosing starts; the infusion ends early, the prompt leads to the
witnessed waste; a closing count finds a vial missing, the medical director is told and
resolves it; the reports show it all and ``ledger_verify`` accepts the ledger."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from pypdf import PdfReader

from ketacare.controlled_substances.models import Discrepancy, LedgerEntry
from ketacare.sessions import services as session_services
from tests.web.controlled_substances.conftest import ready_to_dose

pytestmark = pytest.mark.django_db(transaction=False)


def test_session_to_ledger_to_count_to_report(
    stocked,
    make_booking,
    patient,
    iv_protocol,
    staff,
    client_for,
    nurse_origin,
    django_capture_on_commit_callbacks,
):
    patient.address_line1, patient.city, patient.state = "12 Elm St", "Salem", "MA"
    patient.save()
    session = ready_to_dose(make_booking(patient), nurse_origin)
    nurse = client_for("nurse")
    lot = stocked.ketamine_10.lots.get()

    page = nurse.get(f"/sessions/{session.pk}/").content.decode()
    assert "Draw up and start dosing" in page
    assert 'name="lot_number"' not in page  # no typed lot once the ledger is kept
    assert f'value="{lot.pk}-{stocked.safe.pk}"' in page

    response = nurse.post(
        f"/controlled-substances/sessions/{session.pk}/draw-up/",
        {"stock": f"{lot.pk}-{stocked.safe.pk}", "mg": "35"},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state == "dosing" and session.lot_number == lot.number

    # The infusion stops early; what was drawn and not given is to be wasted.
    session_services.session_end_dosing(
        session=session,
        origin=nurse_origin,
        at=session.dosing_started_at + dt.timedelta(minutes=20),  # 50 mL of 0.35 mg/mL given
        reason="Patient asked to stop",
    )
    page = nurse.get(f"/sessions/{session.pk}/").content.decode()
    assert "Waste to record" in page and 'href="#record-waste"' in page
    assert 'id="record-waste"' in page

    # A checkbox cannot stand in for the witness: a wrong password is refused.
    response = nurse.post(
        f"/controlled-substances/sessions/{session.pk}/dispose/",
        {"kind": "waste", "mg": "17.5", "witness_username": staff["prescriber"].username,
         "witness_password": "wrong"},
        follow=True,
    )  # fmt: skip
    assert "password is not right" in response.content.decode()
    response = nurse.post(
        f"/controlled-substances/sessions/{session.pk}/dispose/",
        {"kind": "waste", "mg": "17.5", "witness_username": staff["prescriber"].username,
         "witness_password": "correct-horse-battery"},
        follow=True,
    )  # fmt: skip
    assert "17.50 mg wasted, witnessed." in response.content.decode()
    waste = LedgerEntry.objects.get(kind="waste")
    assert waste.witness == staff["prescriber"] and waste.recorded_by == staff["nurse"]
    assert "Waste recorded: 17.50 mg, witnessed by" in response.content.decode()

    # Closing count of the safe: one 20 mL vial is missing (365 mg on the ledger).
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = nurse.post(
            "/controlled-substances/count/",
            {
                "kind": "closing",
                "location": stocked.safe.pk,
                "period": "day",
                "stock": [
                    f"{lot.pk}-{stocked.safe.pk}",
                    f"{stocked.spravato.lots.get().pk}-{stocked.safe.pk}",
                    f"{stocked.troches.lots.get().pk}-{stocked.safe.pk}",
                ],
                f"sealed-{lot.pk}-{stocked.safe.pk}": "0",
                f"opened-{lot.pk}-{stocked.safe.pk}": "16.5",
                f"sealed-{stocked.spravato.lots.get().pk}-{stocked.safe.pk}": "6",
                f"sealed-{stocked.troches.lots.get().pk}-{stocked.safe.pk}": "1",
            },
            follow=True,
        )
    text = response.content.decode()
    assert "discrepancy(ies): the medical director has been told" in text
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.difference_mg == Decimal("-200.00")
    assert [m.to for m in mail.outbox] == [[staff["medical_director"].email]]

    # It stays on the dashboard until resolved; billing never sees it.
    md = client_for("medical_director")
    assert "Discrepancy" in md.get("/").content.decode()
    assert "Controlled substances" not in client_for("billing").get("/").content.decode()

    # The nurse cannot resolve it; the medical director finds a significant loss.
    assert (
        nurse.post(f"/controlled-substances/discrepancies/{discrepancy.pk}/resolve/").status_code
        == 403
    )
    md.post(
        f"/controlled-substances/discrepancies/{discrepancy.pk}/resolve/",
        {"finding": "significant_loss", "explanation": "Vial missing from the safe after a shift"},
    )
    safe_page = md.get("/controlled-substances/").content.decode()
    assert "Written notice to the local DEA Field Division" in safe_page
    assert "DEA Form 106" in safe_page
    dashboard = md.get("/").content.decode()
    assert "Discrepancy" not in dashboard and "Written notice" in dashboard
    loss = LedgerEntry.objects.get(kind="loss")
    assert (loss.quantity_mg, loss.balance_mg) == (Decimal("200.00"), Decimal("165.00"))

    # Reports: the administration log has the §8 fields; the Form 106 draft has the loss.
    day = session.dosing_started_at.astimezone(stocked.clinic.zone).date().isoformat()
    csv_text = nurse.get(
        f"/controlled-substances/reports/administration.csv?from={day}&to={day}"
    ).content.decode()
    assert patient.full_name in csv_text and "12 Elm St, Salem, MA" in csv_text
    assert (
        "35" in csv_text and "17.5" in csv_text and staff["prescriber"].get_full_name() in csv_text
    )
    pdf = nurse.get(f"/controlled-substances/reports/form-106.pdf?from={day}&to=2099-01-01")
    assert pdf["Content-Type"] == "application/pdf"
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Form 106" in pdf_text and "Vial missing" in pdf_text
    receipts = nurse.get(
        "/controlled-substances/reports/receipts.csv?from=2025-01-01&to=2025-12-31"
    )
    assert "PH1234563" in receipts.content.decode()

    call_command("ledger_verify")


def test_the_medical_director_sees_the_ledger_settings_and_the_unverified_rules(
    stocked, client_for
):
    settings_page = client_for("medical_director").get("/clinic/protocol/").content.decode()
    assert "Controlled substances" in settings_page
    assert "Licensed witnesses to the waste of a drawn dose" in settings_page
    safe = client_for("medical_director").get("/controlled-substances/").content.decode()
    assert safe.count("unverified</span>") == 5
    assert "(S22, S23)" in safe
    dashboard = client_for("nurse").get("/").content.decode()
    assert "Initial inventory due by" in dashboard  # due the day stock was first handled
