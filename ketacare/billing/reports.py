"""The daily close: what the clinic took in and gave back on one day (its own time zone), by
method, to reconcile with the card terminal, the cash drawer and the deposit slip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ketacare.billing.models import Charge, LedgerEntry, Payment, Refund
from ketacare.core.models import Clinic

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    received: Decimal
    refunded: Decimal
    count: int

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass(frozen=True)
class DailyClose:
    clinic: Clinic
    day: dt.date
    payments: tuple[Payment, ...]
    refunds: tuple[Refund, ...]
    by_method: tuple[MethodTotal, ...]
    charges_posted: int
    charges_total: Decimal
    adjustments_total: Decimal
    pending_online: int

    @property
    def received(self) -> Decimal:
        return sum((m.received for m in self.by_method), ZERO)

    @property
    def refunded(self) -> Decimal:
        return sum((m.refunded for m in self.by_method), ZERO)

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


def day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = clinic.zone
    start = dt.datetime.combine(day, dt.time.min, zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, zone)


def daily_close(clinic: Clinic, day: dt.date) -> DailyClose:
    start, end = day_bounds(clinic, day)
    payments = tuple(Payment.objects.filter(
        clinic=clinic, status=Payment.Status.SUCCEEDED, received_at__gte=start,
        received_at__lt=end).select_related("patient").order_by("received_at", "pk"))
    refunds = tuple(Refund.objects.filter(
        clinic=clinic, refunded_at__gte=start, refunded_at__lt=end)
        .select_related("payment__patient").order_by("refunded_at", "pk"))
    by_method = []
    for method, label in Payment.Method.choices:
        received = [p.amount for p in payments if p.method == method]
        refunded = [r.amount for r in refunds if r.payment.method == method]
        if received or refunded:
            by_method.append(MethodTotal(method, label, sum(received, ZERO), sum(refunded, ZERO),
                                         len(received)))
    posted = Charge.objects.filter(clinic=clinic, status=Charge.Status.POSTED,
                                   posted_at__gte=start, posted_at__lt=end)
    adjustments = LedgerEntry.objects.filter(clinic=clinic, kind="adjustment",
                                             posted_at__gte=start, posted_at__lt=end)
    return DailyClose(
        clinic=clinic, day=day, payments=payments, refunds=refunds, by_method=tuple(by_method),
        charges_posted=posted.count(),
        charges_total=sum((c.total for c in posted), ZERO),
        adjustments_total=sum((a.amount for a in adjustments), ZERO),
        pending_online=Payment.objects.filter(clinic=clinic, status=Payment.Status.PENDING,
                                              created_at__gte=start, created_at__lt=end).count(),
    )
