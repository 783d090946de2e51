"""A patient's account as billing and the patient see it: the ledger with its running balance,
charges with their discounts explained, packages drawn down, the statement for a period and the
superbill. Balances come from ``clinical.patient_account``; what each charge has been paid from
``clinical.billing_allocation.settle_oldest_first``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ketacare.billing.models import (
    Charge,
    LedgerEntry,
    PackagePurchase,
    Payment,
    SlidingScaleAssessment,
)
from ketacare.billing.services.ledger import core_entry
from ketacare.billing.services.pricing import assessment_valid_on
from ketacare.billing.services.setup import billing_profile_of
from ketacare.clinical.billing_allocation import Settled, settle_oldest_first
from ketacare.clinical.patient_account import EntryKind, running_balance
from ketacare.core.models import StaffMembership
from ketacare.patients.models import IntakeVersion, Patient

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Line:
    entry: LedgerEntry
    balance: Decimal


@dataclass(frozen=True)
class PackageUse:
    purchase: PackagePurchase
    used: int
    drawn: Decimal

    @property
    def remaining(self) -> int:
        return self.purchase.sessions - self.used

    @property
    def remaining_value(self) -> Decimal:
        return self.purchase.price - self.drawn


@dataclass(frozen=True)
class RefundablePayment:
    payment: Payment
    refunded: Decimal

    @property
    def refundable(self) -> Decimal:
        return self.payment.amount - self.refunded


@dataclass(frozen=True)
class AccountView:
    patient: Patient
    lines: tuple[Line, ...]
    balance: Decimal
    open_charges: tuple[Charge, ...]
    posted_charges: tuple[Charge, ...]
    settled: dict[int, Settled]
    payments: tuple[RefundablePayment, ...]
    packages: tuple[PackageUse, ...]
    assessment: SlidingScaleAssessment | None
    assessments: tuple[SlidingScaleAssessment, ...]
    medicare_primary: bool = False


def ledger_lines(patient: Patient) -> tuple[Line, ...]:
    entries = list(LedgerEntry.objects.filter(patient=patient).order_by("pk"))  # append order
    lines = running_balance([core_entry(e) for e in entries])
    return tuple(Line(entry, line.balance) for entry, line in zip(entries, lines, strict=True))


def settlement(patient: Patient, lines: tuple[Line, ...]) -> dict[int, Settled]:
    """What each posted charge has been paid, oldest first, keyed by charge id."""
    credits = sum((ln.entry.amount for ln in lines if ln.entry.kind == EntryKind.PAYMENT), ZERO)
    credits -= sum((ln.entry.amount for ln in lines if ln.entry.kind == EntryKind.REFUND), ZERO)
    charged = [ln.entry for ln in lines if ln.entry.kind == EntryKind.CHARGE and ln.entry.charge_id]
    settled = settle_oldest_first(charges=[(str(e.charge_id), e.amount) for e in charged],
                                  credits=credits)
    return {int(s.reference): s for s in settled}


def package_uses(patient: Patient) -> tuple[PackageUse, ...]:
    uses = []
    for purchase in PackagePurchase.objects.filter(patient=patient).order_by("-purchased_at"):
        drawdowns = list(purchase.drawdowns.exclude(status=Charge.Status.VOIDED))
        drawn = sum((c.total for c in drawdowns if c.status == Charge.Status.POSTED), ZERO)
        uses.append(PackageUse(purchase, len(drawdowns), drawn))
    return tuple(uses)


def account_view(patient: Patient, *, today: dt.date) -> AccountView:
    from ketacare.billing.models import Account

    lines = ledger_lines(patient)
    charges = list(Charge.objects.filter(patient=patient).prefetch_related("lines")
                   .select_related("sliding_scale", "package_purchase"))
    payments = []
    for payment in Payment.objects.filter(patient=patient).prefetch_related("refunds"):
        payments.append(RefundablePayment(payment, sum((r.amount for r in payment.refunds.all()),
                                                       ZERO)))
    account = Account.objects.filter(patient=patient).first()
    return AccountView(
        patient=patient,
        lines=lines,
        balance=lines[-1].balance if lines else ZERO,
        open_charges=tuple(c for c in charges if c.is_open),
        posted_charges=tuple(c for c in charges if c.status == Charge.Status.POSTED),
        settled=settlement(patient, lines),
        payments=tuple(payments),
        packages=package_uses(patient),
        assessment=assessment_valid_on(patient, today),
        assessments=tuple(SlidingScaleAssessment.objects.filter(patient=patient)
                          .select_related("created_by")),
        medicare_primary=bool(account and account.medicare_primary),
    )


@dataclass(frozen=True)
class Statement:
    patient: Patient
    profile: object
    issued_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    opening_balance: Decimal
    lines: tuple[Line, ...]
    closing_balance: Decimal
    charges: tuple[Charge, ...]
    settled: dict[int, Settled]

    @property
    def amount_due(self) -> Decimal:
        return max(self.closing_balance, ZERO)

    @property
    def explanations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.explanation for c in self.charges if c.explanation))


def statement_for(patient: Patient, *, starts_on: dt.date, ends_on: dt.date,
                  issued_on: dt.date) -> Statement:
    """Everything posted from ``starts_on`` to ``ends_on`` (clinic days), with the balance
    brought forward and carried out."""
    zone = patient.clinic.zone
    every = ledger_lines(patient)

    def day(line: Line) -> dt.date:
        return line.entry.posted_at.astimezone(zone).date()

    before = [ln for ln in every if day(ln) < starts_on]
    inside = tuple(ln for ln in every if starts_on <= day(ln) <= ends_on)
    through = [ln for ln in every if day(ln) <= ends_on]
    charge_ids = [ln.entry.charge_id for ln in inside if ln.entry.charge_id]
    charges = tuple(Charge.objects.filter(pk__in=charge_ids).prefetch_related("lines")
                    .order_by("date_of_service", "pk"))
    return Statement(
        patient=patient, profile=billing_profile_of(patient.clinic), issued_on=issued_on,
        starts_on=starts_on, ends_on=ends_on,
        opening_balance=before[-1].balance if before else ZERO, lines=inside,
        closing_balance=through[-1].balance if through else ZERO, charges=charges,
        settled=settlement(patient, tuple(through)),
    )


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str


@dataclass(frozen=True)
class Diagnosis:
    pointer: str
    code: str
    description: str


@dataclass(frozen=True)
class Superbill:
    patient: Patient
    profile: object
    issued_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    charges: tuple[Charge, ...]
    diagnoses: tuple[Diagnosis, ...]
    providers: tuple[Provider, ...]
    settled: dict[int, Settled]
    pointers: dict[int, str] = field(default_factory=dict)  # charge id -> "A, B"

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.charges), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((self.settled[c.pk].paid for c in self.charges if c.pk in self.settled), ZERO)

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.paid


def _descriptions(patient: Patient) -> dict[str, str]:
    intake = (IntakeVersion.objects.filter(patient=patient, status=IntakeVersion.Status.SIGNED)
              .order_by("-number").first())
    rows = intake.data.get("diagnoses", []) if intake else []
    return {str(r.get("code", "")).upper(): str(r.get("description", "")) for r in rows}


def superbill_for(patient: Patient, *, starts_on: dt.date, ends_on: dt.date,
                  issued_on: dt.date) -> Superbill:
    """The posted charges with dates of service in the period, for the patient to send to their
    insurer: codes with units and fees, diagnoses with pointers, providers with NPIs, paid."""
    charges = tuple(
        Charge.objects.filter(patient=patient, status=Charge.Status.POSTED,
                              date_of_service__range=(starts_on, ends_on))
        .prefetch_related("lines").select_related("rendering_provider")
        .order_by("date_of_service", "pk")
    )
    described = _descriptions(patient)
    codes = list(dict.fromkeys(code for c in charges for code in c.diagnosis_codes))[:12]
    diagnoses = tuple(Diagnosis(chr(ord("A") + n), code, described.get(code, ""))
                      for n, code in enumerate(codes))
    letter = {d.code: d.pointer for d in diagnoses}
    providers = []
    for user in dict.fromkeys(c.rendering_provider for c in charges if c.rendering_provider):
        npi = (StaffMembership.objects.filter(user=user, clinic=patient.clinic).exclude(npi="")
               .values_list("npi", flat=True).first()) or ""
        providers.append(Provider(user.get_full_name() or user.get_username(), npi))
    return Superbill(
        patient=patient, profile=billing_profile_of(patient.clinic), issued_on=issued_on,
        starts_on=starts_on, ends_on=ends_on, charges=charges, diagnoses=diagnoses,
        providers=tuple(providers), settled=settlement(patient, ledger_lines(patient)),
        pointers={c.pk: ", ".join(letter[d] for d in c.diagnosis_codes if d in letter)
                  for c in charges},
    )
