"""Reads of the ledger that pages, the API, reports and services share, scoped to one clinic."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, QuerySet

from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.common import Route
from ketacare.clinical.controlled_substances import (
    FORMS_FOR_ROUTE,
    INVENTORY_REMINDER_DAYS,
    REGISTRATION_WARNING_DAYS,
    SECTION,
    DoseAccount,
    EntryKind,
    InventoryDue,
    Quantity,
    RegistrationStatus,
    inventory_due,
    registration_status,
)
from ketacare.controlled_substances.models import (
    Count,
    DeaRegistration,
    Discrepancy,
    LedgerEntry,
    LossReport,
    Lot,
    Product,
    StorageLocation,
)
from ketacare.core.access import Access
from ketacare.core.errors import NotFound
from ketacare.core.models import Clinic
from ketacare.sessions.models import TreatmentSession
from ketacare.sessions.selectors import administration_summary

DOSED_STATES = ("recovery", "discharged", "signed", "cosigned", "aborted")


def _clinic(access: Access) -> Clinic:
    if access.clinic is None:
        raise NotFound("No clinic in use.")
    return access.clinic


def setting(clinic: Clinic, default) -> object:
    return clinic_protocol(clinic).get(f"{SECTION}.{default.key}")


# --- catalogue ----------------------------------------------------------------------------------


def products(clinic: Clinic, *, active_only: bool = False) -> QuerySet[Product]:
    rows = Product.objects.filter(clinic=clinic)
    return rows.filter(active=True) if active_only else rows


def locations(clinic: Clinic) -> QuerySet[StorageLocation]:
    return StorageLocation.objects.filter(clinic=clinic, active=True)


def product_get(access: Access, product_id: int) -> Product:
    return _get(Product.objects.filter(clinic=_clinic(access)), product_id, "product")


def lot_get(access: Access, lot_id: int) -> Lot:
    return _get(Lot.objects.filter(product__clinic=_clinic(access)), lot_id, "lot")


def location_get(access: Access, location_id: int) -> StorageLocation:
    return _get(StorageLocation.objects.filter(clinic=_clinic(access)), location_id, "location")


def entry_get(access: Access, entry_id: int) -> LedgerEntry:
    return _get(LedgerEntry.objects.filter(clinic=_clinic(access)), entry_id, "ledger entry")


def discrepancy_get(access: Access, discrepancy_id: int) -> Discrepancy:
    return _get(Discrepancy.objects.filter(clinic=_clinic(access)), discrepancy_id, "discrepancy")


def loss_report_get(access: Access, report_id: int) -> LossReport:
    return _get(LossReport.objects.filter(clinic=_clinic(access)), report_id, "loss report")


def count_get(access: Access, count_id: int) -> Count:
    return _get(Count.objects.filter(clinic=_clinic(access)), count_id, "count")


def _get(rows: QuerySet, pk: int, what: str):
    try:
        return rows.get(pk=pk)
    except (rows.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"No such {what} at this clinic.") from None


# --- balances -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """One stock's balance after its latest entry."""

    product: Product
    lot: Lot
    location: StorageLocation
    mg: Decimal
    units: Decimal
    last_sequence: int

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.mg, self.units)

    @property
    def sealed_containers(self) -> int:
        """Whole containers the balance could fill (a vial's worth of mL, a pack's units)."""
        return int(self.units // self.product.units_per_container)


def balances(
    clinic: Clinic,
    *,
    location: StorageLocation | None = None,
    product: Product | None = None,
    up_to_sequence: int | None = None,
    include_empty: bool = False,
) -> list[Balance]:
    """Each stock's balance, from the latest entry of each product lot and location (its
    stored running balance, which ``ledger_verify`` recomputes from the entries)."""
    rows = LedgerEntry.objects.filter(clinic=clinic)
    if location is not None:
        rows = rows.filter(location=location)
    if product is not None:
        rows = rows.filter(product=product)
    if up_to_sequence is not None:
        rows = rows.filter(sequence__lte=up_to_sequence)
    latest = rows.values("product_id", "lot_id", "location_id").annotate(last=Max("sequence"))
    sequences = [row["last"] for row in latest]
    entries = LedgerEntry.objects.filter(clinic=clinic, sequence__in=sequences).select_related(
        "product", "lot", "location"
    )
    out = [
        Balance(e.product, e.lot, e.location, e.balance_mg, e.balance_units, e.sequence)
        for e in entries
        if include_empty or e.balance_units > 0
    ]
    return sorted(out, key=lambda b: (b.location.name, b.product.name, b.lot.expires_on))


@dataclass(frozen=True)
class ProductTotal:
    product: Product
    mg: Decimal
    units: Decimal


def product_totals(rows: list[Balance]) -> list[ProductTotal]:
    totals: dict[int, list] = {}
    for b in rows:
        item = totals.setdefault(b.product.pk, [b.product, Decimal(0), Decimal(0)])
        item[1] += b.mg
        item[2] += b.units
    return [ProductTotal(*item) for item in totals.values()]


def on_hand_for_route(clinic: Clinic, route: str, *, on: dt.date) -> list[Balance]:
    """Stock a dose for ``route`` may be drawn from: products of the route's form, lots not
    expired on ``on``, balance above zero; the soonest-expiring lot first."""
    form = FORMS_FOR_ROUTE[Route(route)]
    rows = [
        b
        for b in balances(clinic)
        if b.product.form == form and b.product.active and b.lot.expires_on >= on
    ]
    return sorted(
        rows, key=lambda b: (b.lot.expires_on, b.location.kind != "cart", b.location.name)
    )


# --- the ledger ---------------------------------------------------------------------------------


def ledger_entries(
    access: Access,
    *,
    kind: str | None = None,
    product_id: int | None = None,
    lot_id: int | None = None,
    location_id: int | None = None,
    patient_id: int | None = None,
    session_id: int | None = None,
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
) -> QuerySet[LedgerEntry]:
    """The clinic's entries, newest first, with the filters given."""
    rows = LedgerEntry.objects.filter(clinic=_clinic(access)).select_related(
        "product", "lot", "location", "recorded_by", "witness", "second_witness", "patient"
    )
    filters = {
        "kind": kind,
        "product_id": product_id,
        "lot_id": lot_id,
        "location_id": location_id,
        "patient_id": patient_id,
        "session_id": session_id,
        "occurred_at__gte": occurred_from,
        "occurred_at__lt": occurred_to,
    }
    rows = rows.filter(**{k: v for k, v in filters.items() if v not in (None, "")})
    return rows.order_by("-sequence")


# --- a session's drawn dose ---------------------------------------------------------------------


def _uncorrected(rows: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    return rows.filter(correction__isnull=True)


def session_draw_ups(session: TreatmentSession) -> list[LedgerEntry]:
    rows = LedgerEntry.objects.filter(session=session, kind=EntryKind.ADMINISTRATION.value)
    return list(
        _uncorrected(rows).select_related("product", "lot", "location").order_by("sequence")
    )


def session_dispositions(session: TreatmentSession) -> list[LedgerEntry]:
    kinds = (EntryKind.WASTE.value, EntryKind.RETURN_TO_STOCK.value)
    rows = LedgerEntry.objects.filter(session=session, kind__in=kinds)
    return list(
        _uncorrected(rows)
        .select_related("witness", "second_witness", "location")
        .order_by("sequence")
    )


def drawn_open_mg(draw_up: LedgerEntry, dispositions: list[LedgerEntry]) -> Decimal:
    """What of one draw-up is neither wasted nor returned (given or still to dispose of)."""
    done = sum((d.quantity_mg for d in dispositions if d.of_entry_id == draw_up.pk), Decimal(0))
    return draw_up.quantity_mg - done


def session_dose_account(
    session: TreatmentSession,
    *,
    now: dt.datetime,
    draw_ups: list[LedgerEntry] | None = None,
    done: list[LedgerEntry] | None = None,
) -> DoseAccount | None:
    """Drawn from the ledger for the session, given (the session's administration record),
    wasted and returned; None when nothing was drawn up for it. A page that already read the
    draw-ups and dispositions passes them in."""
    draw_ups = session_draw_ups(session) if draw_ups is None else draw_ups
    if not draw_ups:
        return None
    done = session_dispositions(session) if done is None else done
    # Once dosing has ended the record is complete: read it to its end, whatever the clock says.
    as_of = max(now, session.dosing_ended_at) if session.dosing_ended_at else now
    given = Decimal(str(round(administration_summary(session, now=as_of).dose_mg, 2)))
    wasted = sum((d.quantity_mg for d in done if d.kind == EntryKind.WASTE.value), Decimal(0))
    returned = sum((d.quantity_mg for d in done if d.kind != EntryKind.WASTE.value), Decimal(0))
    drawn = sum((d.quantity_mg for d in draw_ups), Decimal(0))
    # Giving more than was drawn is refused as it is recorded; an account over-drawn by older
    # records shows its open rest as zero rather than failing the page.
    return DoseAccount(
        drawn, min(given, max(drawn - wasted - returned, Decimal(0))), wasted, returned
    )


def ledger_in_use(clinic: Clinic) -> bool:
    """A clinic keeps its ledger here once its DEA registration is recorded: from then on every
    dose given in a session must have been drawn up from it."""
    return DeaRegistration.objects.filter(clinic=clinic).exists()


# --- oversight ----------------------------------------------------------------------------------


def registration(clinic: Clinic) -> DeaRegistration | None:
    return DeaRegistration.objects.filter(clinic=clinic).order_by("-expires_on", "-pk").first()


def registration_state(clinic: Clinic, *, today: dt.date) -> RegistrationStatus | None:
    row = registration(clinic)
    if row is None:
        return None
    return registration_status(
        row.expires_on, today=today, warn_days=setting(clinic, REGISTRATION_WARNING_DAYS)
    )


def first_handled_on(clinic: Clinic) -> dt.date | None:
    first = LedgerEntry.objects.filter(clinic=clinic).order_by("occurred_at").first()
    return None if first is None else first.occurred_at.astimezone(clinic.zone).date()


def inventories(clinic: Clinic) -> QuerySet[Count]:
    return Count.objects.filter(clinic=clinic, kind__in=Count.INVENTORY_KINDS)


def next_inventory(clinic: Clinic) -> InventoryDue:
    taken = [c.counted_at.astimezone(clinic.zone).date() for c in inventories(clinic)]
    return inventory_due(first_handled_on(clinic), taken)


def inventory_reminder_due(clinic: Clinic, *, today: dt.date) -> tuple[InventoryDue, bool]:
    """The next inventory, and whether to remind of it now (within the clinic's lead)."""
    due = next_inventory(clinic)
    left = due.days_left(today)
    lead = setting(clinic, INVENTORY_REMINDER_DAYS)
    return due, left is not None and left <= lead


def open_discrepancies(clinic: Clinic) -> QuerySet[Discrepancy]:
    return (
        Discrepancy.objects.filter(clinic=clinic, resolution__isnull=True)
        .select_related("line__product", "line__lot", "line__location", "line__count")
        .order_by("opened_at")
    )


def discrepancies(clinic: Clinic) -> QuerySet[Discrepancy]:
    return Discrepancy.objects.filter(clinic=clinic).select_related(
        "line__product", "line__lot", "line__location", "line__count", "resolution"
    )


def loss_reports(clinic: Clinic) -> QuerySet[LossReport]:
    return LossReport.objects.filter(clinic=clinic).prefetch_related("steps")


def counts(clinic: Clinic, *, limit: int = 30) -> list[Count]:
    rows = Count.objects.filter(clinic=clinic).select_related("location", "counted_by")
    return list(rows.order_by("-counted_at", "-pk")[:limit])


def stocks_by_location(rows: list[Balance]) -> dict[StorageLocation, list[Balance]]:
    grouped: dict[StorageLocation, list[Balance]] = defaultdict(list)
    for b in rows:
        grouped[b.location].append(b)
    return dict(grouped)


@dataclass(frozen=True)
class LossRow:
    report: LossReport
    steps: list[tuple[object, str, object]]  # (LossStep, status, done step row or None)

    @property
    def complete(self) -> bool:
        return all(status in ("done", "done_late") for _, status, _ in self.steps)


def loss_report_rows(clinic: Clinic, *, today: dt.date, open_only: bool = False) -> list[LossRow]:
    """Each loss report with its DEA steps, deadlines and where each stands."""
    from ketacare.clinical.controlled_substances import significant_loss_steps, step_status

    rows = []
    for report in loss_reports(clinic):
        done = {s.step: s for s in report.steps.all()}
        steps = [
            (
                step,
                step_status(
                    step, done_on=done[step.id].done_on if step.id in done else None, today=today
                ),
                done.get(step.id),
            )
            for step in significant_loss_steps(report.discovered_on)
        ]
        row = LossRow(report, steps)
        if not (open_only and row.complete):
            rows.append(row)
    return rows
