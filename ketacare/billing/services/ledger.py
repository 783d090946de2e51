"""The one way onto a patient's ledger: lock the account, check the new entry with the rest in
the clinical core (``patient_account.running_balance``), then write it once.

Every ledger write in billing goes through ``ledger_post`` inside its caller's transaction, after
``account_lock``: concurrent posts for one patient queue on the account row, so a refund limit
checked here cannot be overtaken by another refund of the same payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing.models import Account, Charge, LedgerEntry, Payment, Refund
from ketacare.clinical.patient_account import EntryKind, running_balance
from ketacare.clinical.patient_account import LedgerEntry as CoreEntry
from ketacare.core.errors import Refused
from ketacare.patients.models import Patient


def account_lock(patient: Patient, *, at: dt.datetime) -> Account:
    """The patient's account, created on first use, locked for the rest of the transaction."""
    try:
        with transaction.atomic():
            Account.objects.get_or_create(
                patient=patient, defaults={"clinic_id": patient.clinic_id, "created_at": at}
            )
    except IntegrityError:  # created at the same moment by another request: use theirs
        pass
    return Account.objects.select_for_update().get(patient=patient)


def core_entry(entry: LedgerEntry) -> CoreEntry:
    return CoreEntry(
        reference=entry.reference,
        kind=EntryKind(entry.kind),
        amount=entry.amount,
        refunds_payment=entry.refunds_payment or None,
    )


def ledger_check(account: Account, entry: CoreEntry) -> CoreEntry:
    """``entry`` if the core accepts it after every entry already posted (else it refuses with
    the reason: a refund above what is left of its payment, a repeated reference)."""
    running_balance([*(core_entry(e) for e in account.entries.order_by("pk")), entry])
    return entry


def ledger_post(
    *,
    account: Account,
    reference: str,
    kind: EntryKind,
    amount: Decimal,
    description: str,
    origin: RequestOrigin,
    at: dt.datetime,
    refunds_payment: str = "",
    charge: Charge | None = None,
    payment: Payment | None = None,
    refund: Refund | None = None,
) -> LedgerEntry:
    """Write one entry after the core accepts it with every earlier one (a repeated reference, a
    refund above what is left of its payment and amounts in fractions of a cent are refused).

    A retry of the same post finds its entry and returns it; the same reference with other
    content is refused.
    """
    existing = LedgerEntry.objects.filter(account=account, reference=reference).first()
    if existing is not None:
        if existing.kind == kind and existing.amount == amount:
            return existing
        raise Refused(f"Ledger entry {reference} was already posted with other content.")
    new = ledger_check(account, CoreEntry(reference, kind, amount, refunds_payment or None))
    entry = LedgerEntry.objects.create(
        clinic_id=account.clinic_id,
        account=account,
        patient_id=account.patient_id,
        reference=reference,
        kind=new.kind,
        amount=new.amount,
        refunds_payment=refunds_payment,
        description=description,
        posted_at=at,
        posted_by=origin.actor,
        charge=charge,
        payment=payment,
        refund=refund,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="account_entry",  # "ledger_entry" is the controlled-substance ledger's
        object_id=entry.pk,
        clinic_id=account.clinic_id,
        patient_id=account.patient_id,
        summary=f"Posted {kind.value} {reference} to the patient account",
        changes={"reference": reference, "kind": kind.value, "amount": new.amount,
                 "description": description},
        at=at,
    )
    return entry
