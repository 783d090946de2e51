"""Every billing page and API endpoint against every role: the roles without the capability get
403, the first role holding it gets the exact expected answer, and the others the same answer
again (or, where the first one's change cannot happen twice, the refusal named in ``AGAIN``).

Billing staff see demographics, insurance and charges, never the clinical chart.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from ketacare.billing.services import authorisations, payments
from ketacare.billing.services import charges as charge_services
from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES
from tests.web.billing.conftest import T0

pytestmark = pytest.mark.django_db
C = Capability
D = Decimal


def k() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def world(patient, signed_intake, priced_clinic, billing_origin, admin_origin):
    from ketacare.billing.services import setup

    to_review = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 1), services=[("consultation", 1)],
        diagnosis_codes=[], origin=billing_origin, at=T0)
    posted = charge_services.charge_create(
        patient=patient, date_of_service=dt.date(2025, 3, 2),
        services=[("integration_therapy", 1)], diagnosis_codes=[], origin=billing_origin, at=T0)
    charge_services.charge_post(charge=posted, origin=billing_origin, at=T0)
    payment = payments.payment_record(patient=patient, method="cash", amount="100.00",
                                      idempotency_key=k(), origin=billing_origin, at=T0)
    package = setup.package_save(clinic=priced_clinic, name="Six", route="racemic_iv",
                                 sessions=6, price=D("2400"), origin=admin_origin, at=T0)
    authorisation = authorisations.authorisation_submit(
        patient=patient, payer="Acme Health", submitted_on=dt.date(2025, 3, 1),
        origin=billing_origin, at=T0)
    return {"pid": patient.pk, "cid": to_review.pk, "pcid": posted.pk, "payid": payment.pk,
            "pkg": package.pk, "aid": authorisation.pk}


# (label, method, url, capability, form or JSON body, expected status for a permitted role)
PAGES = [
    ("home", "get", "/billing/", C.BILLING_VIEW, None, 200),
    ("close", "get", "/billing/close/", C.PAYMENT_RECORD, None, 200),
    ("authorisations", "get", "/billing/authorisations/", C.BILLING_VIEW, None, 200),
    ("charge", "get", "/billing/charges/{cid}/", C.BILLING_VIEW, None, 200),
    ("charge review", "post", "/billing/charges/{cid}/review/", C.CHARGE_POST,
     {"diagnosis_codes": "F33.2"}, 302),
    ("charge recompute", "post", "/billing/charges/{cid}/recompute/", C.CHARGE_POST, {}, 302),
    ("charge void", "post", "/billing/charges/{cid}/void/", C.CHARGE_POST, {"reason": "dup"},
     302),
    ("account", "get", "/billing/patients/{pid}/", C.BILLING_VIEW, None, 200),
    ("payment", "post", "/billing/patients/{pid}/payments/", C.PAYMENT_RECORD,
     {"method": "cash", "amount": "10.00", "idempotency_key": "{key}"}, 302),
    ("package sale", "post", "/billing/patients/{pid}/packages/", C.PAYMENT_RECORD,
     {"package_id": "{pkg}", "method": "card", "idempotency_key": "{key}"}, 302),
    ("add charge", "post", "/billing/patients/{pid}/charges/", C.CHARGE_POST,
     {"service": "consultation", "date_of_service": "2025-03-01"}, 302),
    ("adjustment", "post", "/billing/patients/{pid}/adjustments/", C.PAYMENT_REFUND,
     {"amount": "-5.00", "reason": "Goodwill", "idempotency_key": "{key}"}, 302),
    ("payer", "post", "/billing/patients/{pid}/payer/", C.CHARGE_POST,
     {"medicare_primary": "no"}, 302),
    ("assessment", "post", "/billing/patients/{pid}/sliding-scale/", C.SLIDING_SCALE_ASSESS,
     {"household_size": "3", "annual_income": "37843", "proof": "tax_return",
      "assessed_on": "2025-03-01", "guideline_year": "2025"}, 302),
    ("authorisation", "post", "/billing/patients/{pid}/authorisations/", C.PRIOR_AUTH_MANAGE,
     {"payer": "Acme", "submitted_on": "2025-03-01"}, 302),
    ("decision", "post", "/billing/authorisations/{aid}/decision/", C.PRIOR_AUTH_MANAGE,
     {"status": "denied", "on": "2025-03-02", "denial_reason": "Step therapy"}, 302),
    ("refund", "post", "/billing/payments/{payid}/refund/", C.PAYMENT_REFUND,
     {"amount": "1.00", "reason": "Overpaid", "idempotency_key": "{key}"}, 302),
    ("superbill", "get", "/billing/patients/{pid}/superbill.pdf?from=2025-03-01&to=2025-03-31",
     C.BILLING_VIEW, None, 200),
    ("statement", "get", "/billing/patients/{pid}/statement.pdf", C.BILLING_VIEW, None, 200),
    ("fees", "get", "/billing/fees/", C.BILLING_VIEW, None, 200),
    ("fee save", "post", "/billing/fees/save/", C.FEE_SCHEDULE_EDIT,
     {"service": "follow_up", "unit_price": "150.00", "code": "99214"}, 302),
    ("package save", "post", "/billing/fees/packages/", C.FEE_SCHEDULE_EDIT,
     {"name": "Booster", "route": "racemic_iv", "sessions": "2", "price": "900"}, 302),
    ("bands save", "post", "/billing/fees/bands/", C.FEE_SCHEDULE_EDIT,
     {"label": ["All"], "above_percent": ["0"], "up_to_percent": [""],
      "discount_percent": ["10"], "fixed_fee": [""]}, 302),
    ("details save", "post", "/billing/fees/details/", C.FEE_SCHEDULE_EDIT,
     {"billing_name": "Harbor PLLC", "npi": "1234567893", "tax_id": "12-3456789"}, 302),
]

API = [
    ("fees", "get", "/api/v1/billing/fees", C.BILLING_VIEW, None, 200),
    ("fee put", "put", "/api/v1/billing/fees/follow_up", C.FEE_SCHEDULE_EDIT,
     {"unit_price": "150.00", "code": "99214"}, 200),
    ("packages", "get", "/api/v1/billing/packages", C.BILLING_VIEW, None, 200),
    ("package create", "post", "/api/v1/billing/packages", C.FEE_SCHEDULE_EDIT,
     {"name": "Booster", "route": "racemic_iv", "sessions": 2, "price": "900.00"}, 200),
    ("package put", "put", "/api/v1/billing/packages/{pkg}", C.FEE_SCHEDULE_EDIT,
     {"name": "Six", "route": "racemic_iv", "sessions": 6, "price": "2300.00"}, 200),
    ("bands", "get", "/api/v1/billing/sliding-scale/bands", C.BILLING_VIEW, None, 200),
    ("bands put", "put", "/api/v1/billing/sliding-scale/bands", C.FEE_SCHEDULE_EDIT,
     {"bands": [{"label": "All", "above_percent": "0", "discount_percent": "10"}]}, 200),
    ("profile", "get", "/api/v1/billing/profile", C.BILLING_VIEW, None, 200),
    ("profile put", "put", "/api/v1/billing/profile", C.FEE_SCHEDULE_EDIT,
     {"billing_name": "Harbor PLLC", "npi": "1234567893"}, 200),
    ("charges", "get", "/api/v1/billing/charges", C.BILLING_VIEW, None, 200),
    ("charge", "get", "/api/v1/billing/charges/{cid}", C.BILLING_VIEW, None, 200),
    ("charge patch", "patch", "/api/v1/billing/charges/{cid}", C.CHARGE_POST,
     {"diagnosis_codes": ["F33.2"]}, 200),
    ("charge post", "post", "/api/v1/billing/charges/{cid}/post", C.CHARGE_POST, None, 200),
    ("charge void", "post", "/api/v1/billing/charges/{cid}/void", C.CHARGE_POST,
     {"reason": "dup"}, 200),
    ("charge recompute", "post", "/api/v1/billing/charges/{cid}/recompute", C.CHARGE_POST,
     None, 409),  # a manual charge has no session to recompute from
    ("charge create", "post", "/api/v1/billing/patients/{pid}/charges", C.CHARGE_POST,
     {"date_of_service": "2025-03-01", "lines": [{"service": "consultation"}]}, 200),
    ("account", "get", "/api/v1/billing/patients/{pid}/account", C.BILLING_VIEW, None, 200),
    ("account put", "put", "/api/v1/billing/patients/{pid}/account", C.CHARGE_POST,
     {"medicare_primary": False}, 200),
    ("payments", "get", "/api/v1/billing/patients/{pid}/payments", C.BILLING_VIEW, None, 200),
    ("payment", "post", "/api/v1/billing/patients/{pid}/payments", C.PAYMENT_RECORD,
     {"method": "cash", "amount": "10.00", "idempotency_key": "{key}"}, 200),
    ("package sale", "post", "/api/v1/billing/patients/{pid}/packages", C.PAYMENT_RECORD,
     {"package_id": "{pkg}", "method": "card", "idempotency_key": "{key}"}, 200),
    ("refund", "post", "/api/v1/billing/payments/{payid}/refunds", C.PAYMENT_REFUND,
     {"amount": "1.00", "reason": "Overpaid", "idempotency_key": "{key}"}, 200),
    ("adjustment", "post", "/api/v1/billing/patients/{pid}/adjustments", C.PAYMENT_REFUND,
     {"amount": "-5.00", "reason": "Goodwill", "idempotency_key": "{key}"}, 200),
    ("assessment", "post", "/api/v1/billing/patients/{pid}/sliding-scale",
     C.SLIDING_SCALE_ASSESS,
     {"household_size": 3, "annual_income": "37843.00", "proof": "tax_return",
      "assessed_on": "2025-03-01", "guideline_year": 2025}, 200),
    ("superbill", "get", "/api/v1/billing/patients/{pid}/superbill.pdf", C.BILLING_VIEW, None,
     200),
    ("statement", "get", "/api/v1/billing/patients/{pid}/statement.pdf", C.BILLING_VIEW, None,
     200),
    ("authorisations", "get", "/api/v1/billing/authorisations", C.BILLING_VIEW, None, 200),
    ("authorisation", "post", "/api/v1/billing/patients/{pid}/authorisations",
     C.PRIOR_AUTH_MANAGE, {"payer": "Acme", "submitted_on": "2025-03-01"}, 200),
    ("decision", "post", "/api/v1/billing/authorisations/{aid}/decision", C.PRIOR_AUTH_MANAGE,
     {"status": "approved", "on": "2025-03-05", "starts_on": "2025-03-05",
      "ends_on": "2025-06-30", "approved_units": 8}, 200),
    ("close", "get", "/api/v1/billing/close", C.PAYMENT_RECORD, None, 200),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(key=k(), **ids) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {key: _fill(v, ids) for key, v in value.items()}
    return value


# The API's answer to a second permitted role where the first one's change cannot happen twice
# (the page sends the browser back with the refusal, 302, either way).
AGAIN = {
    "charge void": 409,  # the charge is void already
    "decision": 422,  # a decided authorisation cannot be decided again
}


def _ordered(capability):
    """The roles refused first (they change nothing), then those permitted."""
    return sorted(ROLES, key=lambda role: role in MATRIX[capability])


@pytest.mark.parametrize(("label", "method", "url", "capability", "body", "status"), PAGES,
                         ids=[p[0] for p in PAGES])
def test_pages_follow_the_matrix(client_for, world, label, method, url, capability, body,
                                 status):
    first = True
    for role in _ordered(capability):
        request = getattr(client_for(role), method)
        response = request(_fill(url, world), _fill(body, world) if body else {})
        if role not in MATRIX[capability]:
            assert response.status_code == 403, (label, role, response.status_code)
        elif first:
            assert response.status_code == status, (label, role, response.status_code)
            first = False
        else:
            assert response.status_code == status, (label, role)


@pytest.mark.parametrize(("label", "method", "url", "capability", "body", "status"), API,
                         ids=[a[0] for a in API])
def test_api_follows_the_matrix(client_for, world, label, method, url, capability, body,
                                status):
    first = True
    for role in _ordered(capability):
        kwargs = {}
        if body is not None:
            kwargs = {"content_type": "application/json", "data": json.dumps(_fill(body, world))}
        response = getattr(client_for(role), method)(_fill(url, world), **kwargs)
        if role not in MATRIX[capability]:
            assert response.status_code == 403, (label, role, response.status_code)
            assert "detail" in response.json()
        elif first:
            assert response.status_code == status, (label, role, response.status_code,
                                                    response.content[:300])
            first = False
        else:
            assert response.status_code == AGAIN.get(label, status), (label, role)


def test_another_clinics_billing_is_not_found(make_staff, other_clinic, world, client):
    client.force_login(make_staff("billing", other_clinic))
    assert client.get(f"/billing/patients/{world['pid']}/").status_code == 404
    assert client.get(f"/billing/charges/{world['cid']}/").status_code == 404
    assert client.get(f"/api/v1/billing/patients/{world['pid']}/account").status_code == 404
    assert client.post(f"/api/v1/billing/payments/{world['payid']}/refunds",
                       data=json.dumps({"amount": "1.00", "reason": "x", "idempotency_key": k()}),
                       content_type="application/json").status_code == 404


def test_billing_sees_demographics_insurance_and_charges_never_clinical_notes(
    client_for, world, patient
):
    patient.insurance_payer, patient.insurance_member_id = "Acme Health", "AC-991"
    patient.save()
    page = client_for("billing").get(f"/billing/patients/{patient.pk}/").content.decode()
    assert patient.mrn in page and "AC-991" in page and "$100.00" in page
    for clinical in ("penicillin", "sertraline", "Antidepressant trials", "MDD, recurrent"):
        assert clinical not in page
    assert client_for("billing").get(f"/patients/{patient.pk}/intake/").status_code == 403
    assert client_for("billing").get(f"/api/v1/patients/{patient.pk}/intake").status_code == 403


def test_the_billing_role_lands_on_a_dashboard_about_billing(client_for, world):
    page = client_for("billing").get("/").content.decode()
    assert "charge to review" in page or "charges to review" in page
    assert "/billing/" in page
    assert "Billing" not in client_for("nurse").get("/").content.decode().split("<main")[1]
