"""Account-level billing facts a charge depends on."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import Account
from ketacare.billing.services.ledger import account_lock
from ketacare.patients.models import Patient


@transaction.atomic
def account_set_medicare(
    *, patient: Patient, medicare_primary: bool, origin: RequestOrigin, at: dt.datetime
) -> Account:
    """Whether Medicare is the primary payer: from 2026 the reference gives no esketamine drug
    code for Medicare, so such a charge waits for billing to code the drug."""
    account = account_lock(patient, at=at)
    before = account.medicare_primary
    account.medicare_primary = bool(medicare_primary)
    account.save(update_fields=["medicare_primary"])
    audit_record(origin=origin, action="update", object_type="patient_account",
                 object_id=account.pk, patient=patient,
                 summary="Primary payer set" if medicare_primary else "Primary payer cleared",
                 changes={"medicare_primary": {"before": before, "after": medicare_primary}},
                 at=at)
    return account
