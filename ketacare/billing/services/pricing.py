"""What a charge's lines cost: codes and units from the clinical core, prices from the fee
schedule, then a prepaid package or the sliding scale, explained in one sentence.

A session's charge draws down a package of its route while sessions are left on it; otherwise
a household assessment valid on the date of service applies the clinic's current band table to
the visit's list total. Both discounts are shared over the lines in proportion to their amounts
(``billing_allocation.allocate``), so every line's fee is its amount less its share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ketacare.billing.models import FeeScheduleItem, PackagePurchase, SlidingScaleAssessment
from ketacare.billing.models.charges import Charge
from ketacare.billing.services.setup import bands_of, sliding_scale_policy_current
from ketacare.clinical.billing import (
    ChargeLine as CoreLine,
)
from ketacare.clinical.billing import (
    Service,
    fpl_assessment,
    money_text,
    sliding_scale_fee,
)
from ketacare.clinical.billing_allocation import allocate, package_session_price
from ketacare.core.errors import Invalid
from ketacare.core.models import Clinic
from ketacare.patients.models import Patient

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PricedLine:
    service: str
    code: str
    units: int
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    code_verified: bool = True
    code_source: str = ""

    @property
    def fee(self) -> Decimal:
        return self.amount - self.discount


@dataclass(frozen=True)
class Pricing:
    lines: tuple[PricedLine, ...]
    explanation: str = ""
    sliding_scale: SlidingScaleAssessment | None = None
    package_purchase: PackagePurchase | None = None
    package_session_number: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def list_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)


def fee_items(clinic: Clinic) -> dict[str, FeeScheduleItem]:
    return {i.service: i for i in FeeScheduleItem.objects.filter(clinic=clinic, active=True)}


def priced_from_core(lines: tuple[CoreLine, ...], items: dict[str, FeeScheduleItem]):
    """The core's lines with the clinic's own code where the core gives none."""
    out = []
    for line in lines:
        item = items.get(line.service.value)
        code = line.code or (item.code if item else "")
        source = line.provenance.cite() if line.code else "clinic fee schedule"
        out.append(PricedLine(
            service=line.service.value, code=code, units=line.units, unit_price=line.unit_price,
            amount=line.amount, code_verified=line.provenance.verified if line.code else True,
            code_source=source,
        ))
    return tuple(out)


def assessment_valid_on(patient: Patient, day: dt.date) -> SlidingScaleAssessment | None:
    """The newest household assessment whose year covers ``day``."""
    return (
        SlidingScaleAssessment.objects.filter(
            patient=patient, assessed_on__lte=day, valid_until__gte=day
        )
        .select_related("policy")
        .order_by("-assessed_on", "-pk")
        .first()
    )


def package_to_draw(patient: Patient, route: str, *, excluding: Charge | None = None):
    """The oldest package of ``route`` with sessions left, and the number of the next session."""
    purchases = PackagePurchase.objects.filter(patient=patient, route=route).order_by(
        "purchased_at", "pk"
    )
    for purchase in purchases:
        used = purchase.drawdowns.exclude(status=Charge.Status.VOIDED)
        if excluding is not None and excluding.pk:
            used = used.exclude(pk=excluding.pk)
        count = used.count()
        if count < purchase.sessions:
            return purchase, count + 1
    return None, None


def _shared(lines: tuple[PricedLine, ...], discount: Decimal) -> tuple[PricedLine, ...]:
    shares = allocate(total=discount, weights=[line.amount for line in lines])
    return tuple(replace(line, discount=share) for line, share in zip(lines, shares, strict=True))


def with_discounts(
    lines: tuple[PricedLine, ...],
    *,
    patient: Patient,
    day: dt.date,
    route: str | None,
    excluding: Charge | None = None,
) -> Pricing:
    """Apply a package of ``route`` (session charges only) or else the sliding scale."""
    list_total = sum((line.amount for line in lines), ZERO)
    if not lines:
        return Pricing(lines)
    if route is not None:
        purchase, number = package_to_draw(patient, route, excluding=excluding)
        if purchase is not None:
            price = package_session_price(
                package_price=purchase.price, sessions=purchase.sessions, session_number=number
            )
            charged = min(price, list_total)
            explanation = (
                f"Package ‘{purchase.name}’, session {number} of {purchase.sessions}: "
                f"{money_text(charged)} of the prepaid {money_text(purchase.price)} "
                f"(list {money_text(list_total)})"
            )
            return Pricing(_shared(lines, list_total - charged), explanation,
                           package_purchase=purchase, package_session_number=number)
    assessment = assessment_valid_on(patient, day)
    if assessment is None:
        return Pricing(lines)
    policy = sliding_scale_policy_current(patient.clinic)
    if policy is None:
        return Pricing(lines, notes=("The household assessment cannot apply: the clinic has no "
                                     "sliding-scale bands",))
    fpl = fpl_assessment(
        annual_income=assessment.annual_income, household_size=assessment.household_size,
        year=assessment.guideline_year, region=assessment.region,
    )
    fee = sliding_scale_fee(price=list_total, fpl=fpl, table=bands_of(policy.bands))
    return Pricing(_shared(lines, fee.discount), fee.explanation, sliding_scale=assessment)


def manual_lines(
    items: dict[str, FeeScheduleItem], services: list[tuple[str, int]]
) -> tuple[PricedLine, ...]:
    """Lines for services billing enters by hand, priced and coded from the fee schedule."""
    lines = []
    for number, (service, units) in enumerate(services, 1):
        try:
            key = Service(service).value
        except ValueError:
            raise Invalid.field(f"lines.{number}.service",
                                f"{service!r} is not a service.") from None
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= 99:
            raise Invalid.field(f"lines.{number}.units", "Units are a whole number from 1 to 99.")
        item = items.get(key)
        if item is None:
            raise Invalid.field(f"lines.{number}.service",
                                f"The fee schedule has no active price for {key}.")
        lines.append(PricedLine(
            service=key, code=item.code, units=units, unit_price=item.unit_price,
            amount=(item.unit_price * units).quantize(Decimal("0.01")),
            code_source="clinic fee schedule",
        ))
    return tuple(lines)
