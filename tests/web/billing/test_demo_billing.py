"""The demo clinic comes with billing: a fee schedule, charges (some posted and paid, some to
review), a sliding-scale household, a package sold and a prior authorisation."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from ketacare.billing.models import (
    Charge,
    FeeScheduleItem,
    PackagePurchase,
    Payment,
    PriorAuthorisation,
    SlidingScaleAssessment,
)
from ketacare.billing.statements import account_view

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_has_billing_to_look_at(client):
    call_command("demo", patients=30, seed=3)
    assert FeeScheduleItem.objects.filter(service="iv_infusion").exists()
    statuses = set(Charge.objects.values_list("status", flat=True))
    assert {"posted", "to_review"} <= statuses
    assert Payment.objects.filter(status="succeeded").exists()
    assessment = SlidingScaleAssessment.objects.get(clinic__slug="bayview-downtown")
    assert assessment.band_label == "101–150 %"
    discounted = Charge.objects.filter(patient=assessment.patient).first()
    assert discounted.discount_total > 0 and "142 %" in discounted.explanation
    assert PackagePurchase.objects.exists() and PriorAuthorisation.objects.exists()
    for charge in Charge.objects.filter(status="posted"):
        account_view(charge.patient, today=charge.date_of_service)  # every ledger balances
    client.login(username="billing", password="ketacare-demo")
    assert re.search(r"\d+ charges? to review", client.get("/").content.decode())
