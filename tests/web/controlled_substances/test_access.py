"""Every page and API endpoint of the ledger against every role: nurses, prescribers and medical
directors reach it (the set-up and discrepancies are the medical director's); front desk,
billing and clinic admin get 403. Expectations come from the matrix (ketacare.core.roles)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from ketacare.controlled_substances import services
from ketacare.controlled_substances.models import Count
from ketacare.core.roles import MATRIX, Capability, Role
from ketacare.sessions.services import session_open
from tests.conftest import ROLES, base_world, from_module_world
from tests.web.controlled_substances.conftest import Ledger, at, origin_of, stock
from tests.web.sessions.conftest import IV_SETTINGS, book, set_protocol

pytestmark = pytest.mark.django_db

VIEW, RECORD, OVERSEE = (
    Capability.CONTROLLED_VIEW,
    Capability.CONTROLLED_RECORD,
    Capability.CONTROLLED_OVERSEE,
)


@pytest.fixture(scope="module")
def module_world(module_data):
    """Built once for the module: stock, a count with an open discrepancy, and a scheduled
    session."""
    with module_data.building():
        base = base_world()
        staff, patient = base["staff"], base["patient"]
        stocked = stock(Ledger(base["clinic"], staff))
        set_protocol(stocked.clinic, "racemic_iv", IV_SETTINGS, staff["medical_director"])
        lot = stocked.ketamine_10.lots.get()
        count = services.count_record(
            clinic=stocked.clinic,
            kind="closing",
            location=stocked.safe,
            counted=[
                services.CountedStock(lot, stocked.safe, 1),  # one vial short
                services.CountedStock(stocked.spravato.lots.get(), stocked.safe, 6),
                services.CountedStock(stocked.troches.lots.get(), stocked.safe, 1),
            ],
            origin=origin_of(staff["nurse"]),
            at=at(0),
        )
        appointment = book(patient, clinic=stocked.clinic, staff=staff, starts_at=timezone.now())
        # A scheduled session: a draw-up or a waste answers 409 (not now) to those allowed.
        session = session_open(
            appointment=appointment, origin=origin_of(staff["nurse"]), at=at(-30)
        )
        world = {
            "lot": lot.pk,
            "safe": stocked.safe.pk,
            "count": count.pk,
            "discrepancy": count.lines.get(lot=lot).discrepancy.pk,
            "session": session.pk,
        }
        return base | {"world": world}


organisation, clinic, staff, patient, world = from_module_world(
    "organisation", "clinic", "staff", "patient", "world"
)


PAGES = [
    ("safe", "get", "/controlled-substances/", VIEW, None, 200),
    ("ledger", "get", "/controlled-substances/ledger/", VIEW, None, 200),
    ("ledger filtered", "get", "/controlled-substances/ledger/?kind=receipt", VIEW, None, 200),
    ("count screen", "get", "/controlled-substances/count/", RECORD, None, 200),
    ("count result", "get", "/controlled-substances/counts/{count}/", VIEW, None, 200),
    ("receive form", "get", "/controlled-substances/record/receipt/", RECORD, None, 200),
    ("record loss", "post", "/controlled-substances/record/loss/", RECORD,
     {"stock": "{lot}-{safe}", "mg": "1", "reason": "Spilled"}, 302),
    ("reports", "get", "/controlled-substances/reports/", VIEW, None, 200),
    ("receipts csv", "get", "/controlled-substances/reports/receipts.csv", VIEW, None, 200),
    ("administration pdf", "get", "/controlled-substances/reports/administration.pdf", VIEW,
     None, 200),
    ("inventory csv", "get", "/controlled-substances/reports/inventory.csv?count={count}", VIEW,
     None, 200),
    ("set-up", "get", "/controlled-substances/setup/", OVERSEE, None, 200),
    ("resolve", "post", "/controlled-substances/discrepancies/{discrepancy}/resolve/", OVERSEE,
     {"finding": "recording_error", "explanation": "Vial was in the fridge", "adjust": "yes"},
     302),
    ("draw up", "post", "/controlled-substances/sessions/{session}/draw-up/", RECORD,
     {"stock": "{lot}-{safe}", "mg": "35"}, 302),
]  # fmt: skip

API = [
    ("balances", "get", "/api/v1/controlled-substances/balances", VIEW, None, 200),
    ("ledger", "get", "/api/v1/controlled-substances/ledger?limit=5", VIEW, None, 200),
    ("entry", "post", "/api/v1/controlled-substances/entries", RECORD,
     {"kind": "loss", "lot_id": "{lot}", "location_id": "{safe}", "amount": {"mg": 1},
      "reason": "Spilled"}, 201),
    ("counts", "get", "/api/v1/controlled-substances/counts", VIEW, None, 200),
    ("count", "post", "/api/v1/controlled-substances/counts", RECORD,
     {"kind": "opening", "location_id": "{safe}", "lines": [
         {"lot_id": "{lot}", "location_id": "{safe}", "sealed_containers": 1}]}, 422),
    ("discrepancies", "get", "/api/v1/controlled-substances/discrepancies", VIEW, None, 200),
    ("resolve", "post", "/api/v1/controlled-substances/discrepancies/{discrepancy}/resolve",
     OVERSEE, {"finding": "recording_error", "explanation": "Miscounted"}, 200),
    ("draw up", "post", "/api/v1/controlled-substances/sessions/{session}/draw-up", RECORD,
     {"lot_id": "{lot}", "location_id": "{safe}", "amount": {"mg": 35}}, 409),
    ("dispose", "post", "/api/v1/controlled-substances/sessions/{session}/dispose", RECORD,
     {"kind": "waste", "amount": {"mg": 1}}, 409),
]  # fmt: skip


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "method", "url", "capability", "body", "ok"), PAGES,
                         ids=[p[0] for p in PAGES])  # fmt: skip
def test_pages_follow_the_matrix(client_for, world, role, label, method, url, capability, body, ok):
    client = client_for(role)
    data = {k: str(_fill(v, world)) for k, v in (body or {}).items()}
    response = getattr(client, method)(url.format(**world), data)
    if role in MATRIX[capability]:
        expected = ok if label != "draw up" else 302  # refused as a message on the session page
        assert response.status_code == expected, (label, role, response.status_code)
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "method", "url", "capability", "body", "ok"), API,
                         ids=[a[0] for a in API])  # fmt: skip
def test_api_follows_the_matrix(client_for, world, role, label, method, url, capability, body, ok):
    client = client_for(role)
    kwargs = {}
    if body is not None:
        kwargs = {"content_type": "application/json", "data": json.dumps(_fill(body, world))}
    response = getattr(client, method)(url.format(**world), **kwargs)
    if role in MATRIX[capability]:
        assert response.status_code == ok, (label, role, response.status_code, response.content)
    else:
        assert response.status_code == 403, (label, role, response.status_code)


def test_only_those_who_handle_or_oversee_the_drug_hold_the_capabilities():
    clinical = {Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR}
    assert MATRIX[VIEW] == clinical and MATRIX[RECORD] == clinical
    assert MATRIX[OVERSEE] == {Role.MEDICAL_DIRECTOR}


def test_another_clinics_ledger_is_not_found(world, make_staff, other_clinic, client):
    client.force_login(make_staff("medical_director", other_clinic))
    assert client.get("/api/v1/controlled-substances/balances").json() == []
    response = client.post(
        f"/api/v1/controlled-substances/discrepancies/{world['discrepancy']}/resolve",
        data=json.dumps({"finding": "recording_error", "explanation": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Count.objects.count() == 1
