"""What the billing API reads and writes. Money is a string of dollars with two decimals
("550.00") both ways, never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from ketacare.billing.models import (
    Charge,
    FeeScheduleItem,
    Package,
    Payment,
    PriorAuthorisation,
    Refund,
    SlidingScaleAssessment,
)
from ketacare.billing.statements import AccountView, Line
from ketacare.core.schemas import RecordOut

Money = Decimal
IdempotencyKey = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$",
                       description="A new key per payment; the same key when retrying it.")


class FeeOut(RecordOut):
    service: str
    label: str
    code: str
    unit_price: Money
    active: bool

    @classmethod
    def of(cls, item: FeeScheduleItem) -> FeeOut:
        return cls.of_record(item)


class FeeIn(Schema):
    unit_price: Money = Field(ge=0, max_digits=10, decimal_places=2)
    code: str = Field(default="", max_length=10)
    description: str = Field(default="", max_length=200)
    active: bool = True


class PackageOut(RecordOut):
    id: int
    name: str
    route: str
    sessions: int
    price: Money
    active: bool

    @classmethod
    def of(cls, p: Package) -> PackageOut:
        return cls.of_record(p)


class PackageIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    route: str
    sessions: int = Field(ge=1, le=100)
    price: Money = Field(ge=0, max_digits=10, decimal_places=2)
    active: bool = True


class BandIO(Schema):
    label: str = Field(min_length=1, max_length=60)
    above_percent: Decimal = Field(ge=0)
    up_to_percent: Decimal | None = None
    discount_percent: Decimal | None = None
    fixed_fee: Money | None = None


class BandsIO(Schema):
    version: int | None = None
    bands: list[BandIO]


class ProfileIO(Schema):
    billing_name: str = Field(default="", max_length=200)
    npi: str = Field(default="", max_length=10)
    tax_id: str = Field(default="", max_length=10)
    poverty_guideline_region: str = "contiguous"
    authorisation_warning_days: int = Field(default=14, ge=0, le=365)
    statement_message: str = Field(default="", max_length=2000)


class ChargeLineOut(RecordOut):
    position: int
    service: str
    code: str
    units: int
    unit_price: Money
    amount: Money
    discount: Money
    fee: Money
    code_verified: bool
    code_source: str


class ChargeOut(RecordOut):
    id: int
    patient_id: int
    session_id: int | None
    source: str
    status: str
    problem: str
    date_of_service: dt.date
    diagnosis_codes: list[str]
    explanation: str
    list_total: Money
    discount_total: Money
    total: Money
    package_session_number: int | None
    review_note: str
    posted_at: dt.datetime | None
    void_reason: str
    lines: list[ChargeLineOut]

    @classmethod
    def of(cls, c: Charge) -> ChargeOut:
        return cls.of_record(c, lines=[ChargeLineOut.of_record(ln) for ln in c.lines.all()])


class ChargeUpdateIn(Schema):
    diagnosis_codes: list[str] | None = Field(default=None, max_length=12)
    line_codes: dict[int, str] | None = None
    review_note: str | None = Field(default=None, max_length=300)


class ServiceUnits(Schema):
    service: str
    units: int = Field(default=1, ge=1, le=99)


class ChargeCreateIn(Schema):
    date_of_service: dt.date
    lines: list[ServiceUnits] = Field(min_length=1, max_length=20)
    diagnosis_codes: list[str] = Field(default_factory=list, max_length=12)


class BillingReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class PaymentIn(Schema):
    method: Literal["card", "cash", "check", "hsa_fsa", "insurance"]
    amount: Money = Field(gt=0, max_digits=10, decimal_places=2)
    purpose: Literal["payment", "deposit"] = "payment"
    reference: str = Field(default="", max_length=80)
    payer: str = Field(default="", max_length=120)
    note: str = Field(default="", max_length=300)
    idempotency_key: str = IdempotencyKey


class PaymentOut(RecordOut):
    id: int
    patient_id: int
    method: str
    purpose: str
    amount: Money
    status: str
    received_at: dt.datetime | None
    reference: str
    payer: str
    card_brand: str
    card_last4: str
    refunded: Money
    checkout_url: str

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        refunded = sum((r.amount for r in p.refunds.all()), Decimal("0.00"))
        return cls.of_record(
            p,
            refunded=refunded,
            checkout_url=p.provider_checkout_url if p.status == "pending" else "",
        )


class RefundIn(Schema):
    amount: Money = Field(gt=0, max_digits=10, decimal_places=2)
    reason: str = Field(min_length=1, max_length=300)
    idempotency_key: str = IdempotencyKey


class RefundOut(RecordOut):
    id: int
    payment_id: int
    amount: Money
    reason: str
    refunded_at: dt.datetime

    @classmethod
    def of(cls, r: Refund) -> RefundOut:
        return cls.of_record(r)


class AdjustmentIn(Schema):
    amount: Money = Field(max_digits=10, decimal_places=2,
                          description="Negative writes off; positive corrects upwards.")
    reason: str = Field(min_length=1, max_length=280)
    idempotency_key: str = IdempotencyKey


class PackageSaleIn(Schema):
    package_id: int
    method: Literal["card", "cash", "check", "hsa_fsa", "insurance"]
    reference: str = Field(default="", max_length=80)
    idempotency_key: str = IdempotencyKey


class LedgerLineOut(RecordOut):
    reference: str
    kind: str
    amount: Money
    description: str
    posted_at: dt.datetime
    balance: Money

    @classmethod
    def of(cls, line: Line) -> LedgerLineOut:
        """A ledger entry with the account's balance after it."""
        return cls.of_record(line.entry, balance=line.balance)


class PackageUseOut(RecordOut):
    id: int
    name: str
    sessions: int
    used: int
    price: Money
    remaining_value: Money


class AssessmentOut(RecordOut):
    id: int
    household_size: int
    annual_income: Money
    proof: str
    guideline_year: int
    region: str
    fpl_percent: Decimal
    band: str
    description: str
    assessed_on: dt.date
    valid_until: dt.date

    @classmethod
    def of(cls, a: SlidingScaleAssessment) -> AssessmentOut:
        return cls.of_record(a, band=a.band_label)


class AssessmentIn(Schema):
    household_size: int = Field(ge=1, le=30)
    annual_income: Money = Field(ge=0, max_digits=12, decimal_places=2)
    proof: str
    proof_note: str = Field(default="", max_length=300)
    assessed_on: dt.date
    guideline_year: int | None = None


class AccountOut(Schema):
    patient_id: int
    balance: Money
    medicare_primary: bool
    ledger: list[LedgerLineOut]
    open_charges: list[ChargeOut]
    packages: list[PackageUseOut]
    sliding_scale: AssessmentOut | None

    @classmethod
    def of(cls, view: AccountView) -> AccountOut:
        return cls(
            patient_id=view.patient.pk, balance=view.balance,
            medicare_primary=view.medicare_primary,
            ledger=[LedgerLineOut.of(ln) for ln in view.lines],
            open_charges=[ChargeOut.of(c) for c in view.open_charges],
            packages=[
                PackageUseOut.of_record(u.purchase, used=u.used, remaining_value=u.remaining_value)
                for u in view.packages
            ],
            sliding_scale=AssessmentOut.of(view.assessment) if view.assessment else None,
        )


class AccountIn(Schema):
    medicare_primary: bool


class AuthorisationIn(Schema):
    payer: str = Field(default="", max_length=120)
    payer_reference: str = Field(default="", max_length=80)
    course_id: int | None = None
    submitted_on: dt.date
    note: str = Field(default="", max_length=300)


class DecisionIn(Schema):
    status: Literal["approved", "denied", "appealed"]
    on: dt.date
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    approved_units: int | None = Field(default=None, ge=1, le=1000)
    denial_reason: str = Field(default="", max_length=300)
    payer_reference: str = Field(default="", max_length=80)
    note: str = Field(default="", max_length=300)


class WarningOut(Schema):
    kind: str
    message: str
    dates: list[dt.date]


class AuthorisationOut(RecordOut):
    id: int
    patient_id: int
    course_id: int | None
    payer: str
    payer_reference: str
    status: str
    submitted_on: dt.date
    decided_on: dt.date | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    approved_units: int | None
    used_units: int | None = None
    booked: list[dt.date] = []
    warnings: list[WarningOut] = []

    @classmethod
    def of(cls, a: PriorAuthorisation, coverage=None) -> AuthorisationOut:
        used = {"used_units": None, "booked": [], "warnings": []}
        if coverage is not None:
            used = {"used_units": coverage.used_units, "booked": list(coverage.booked),
                    "warnings": [WarningOut(kind=w.kind, message=w.message, dates=list(w.dates))
                                 for w in coverage.warnings]}
        return cls.of_record(a, **used)


class MethodTotalOut(RecordOut):
    method: str
    count: int
    received: Money
    refunded: Money
    net: Money


class DailyCloseOut(RecordOut):
    day: dt.date
    received: Money
    refunded: Money
    net: Money
    by_method: list[MethodTotalOut]
    charges_posted: int
    charges_total: Money
    adjustments_total: Money
    pending_online: int


class WebhookOut(Schema):
    received: bool
    payment_id: int | None = None
