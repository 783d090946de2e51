"""Counts and inventories, the discrepancies they find, and what follows: the medical director's
resolution with an explanation, and for a theft or significant loss the DEA steps (written
notice within 1 business day, Form 106 within 45 days; S22, S23)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from ketacare.alerts.services import medical_directors
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.controlled_substances import (
    COUNT_TOLERANCE_ML,
    EntryKind,
    LedgerRefused,
    ProductForm,
    Quantity,
    evaluate_count,
    significant_loss_steps,
    stock_change,
)
from ketacare.controlled_substances.events import DISCREPANCY_OPENED
from ketacare.controlled_substances.models import (
    Count,
    CountLine,
    Discrepancy,
    DiscrepancyResolution,
    LedgerHead,
    LossReport,
    LossReportStep,
    Lot,
    StorageLocation,
)
from ketacare.controlled_substances.selectors import balances, inventories, setting
from ketacare.controlled_substances.services.chain import Stock, entry_append
from ketacare.core.errors import Invalid, Refused
from ketacare.core.events import emit
from ketacare.core.links import public_url
from ketacare.core.models import Clinic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CountedStock:
    """What was found for one lot at one location: whole sealed containers, and what opened
    containers hold (mL of an opened vial, loose devices or tablets)."""

    lot: Lot
    location: StorageLocation
    sealed_containers: int
    opened_units: Decimal = Decimal(0)


@transaction.atomic
def count_record(
    *,
    clinic: Clinic,
    kind: str,
    counted: list[CountedStock],
    origin: RequestOrigin,
    at: dt.datetime,
    location: StorageLocation | None = None,
    period: str = Count.Period.DAY,
    note: str = "",
) -> Count:
    """Record a count against the ledger as it stands (the ledger is held still meanwhile).

    An opening or closing count covers one location; an inventory covers every location. Every
    lot with stock there must be counted (a lot found that the ledger does not hold may be
    added). Each difference beyond what an estimated opened container allows opens a
    discrepancy for the medical director."""
    if kind not in Count.Kind.values:
        raise Invalid.field("kind", "A count is an opening or closing count or an inventory")
    inventory = kind in Count.INVENTORY_KINDS
    if inventory == (location is not None):
        raise Invalid.field("location", "A count covers one location; an inventory covers them all")
    if kind == Count.Kind.INITIAL_INVENTORY and inventories(clinic).exists():
        raise Refused("The initial inventory has been taken; the next one is biennial")
    if kind == Count.Kind.BIENNIAL_INVENTORY and not inventories(clinic).exists():
        raise Refused("Take the initial inventory first")
    if location is not None and location.clinic_id != clinic.pk:
        raise Refused("That location belongs to another clinic")
    LedgerHead.objects.get_or_create(clinic=clinic)
    head = LedgerHead.objects.select_for_update().get(clinic=clinic)
    derived = {
        (b.lot.pk, b.location.pk): b
        for b in balances(clinic, location=location, include_empty=True)
    }
    given = {(c.lot.pk, c.location.pk): c for c in counted}
    if len(given) != len(counted):
        raise Invalid.field("lines", "Each lot at each location is counted once")
    missing = [b for key, b in derived.items() if b.units > 0 and key not in given]
    if missing:
        names = "; ".join(f"{b.product.name} lot {b.lot.number} ({b.location})" for b in missing)
        raise Invalid.field("lines", f"Count every lot held: not counted — {names}")
    row = Count.objects.create(
        clinic=clinic,
        kind=kind,
        period=period if not inventory else Count.Period.DAY,
        location=location,
        counted_at=at,
        counted_by=origin.actor,
        note=(note or "").strip(),
        at_ledger_sequence=head.last_sequence,
    )
    tolerance_ml = setting(clinic, COUNT_TOLERANCE_ML)
    opened = []
    for key, item in given.items():
        if item.lot.product.clinic_id != clinic.pk or item.location.clinic_id != clinic.pk:
            raise Refused("A counted lot or location belongs to another clinic")
        if location is not None and item.location.pk != location.pk:
            raise Invalid.field("lines", f"{item.location} is not the location being counted")
        product = item.lot.product
        held = derived.get(key)
        try:
            finding = evaluate_count(
                product.spec,
                stock=key,
                derived=held.quantity if held else Quantity(Decimal(0), Decimal(0)),
                sealed_containers=item.sealed_containers,
                opened_units=item.opened_units,
                tolerance_units=tolerance_ml if product.form == ProductForm.VIAL else None,
            )
        except LedgerRefused as wrong:
            raise Invalid.field("lines", f"{product.name} lot {item.lot.number}: {wrong}") from None
        line = CountLine.objects.create(
            count=row,
            product=product,
            lot=item.lot,
            location=item.location,
            sealed_containers=item.sealed_containers,
            opened_units=Decimal(str(item.opened_units)),
            counted_mg=finding.counted.mg,
            counted_units=finding.counted.units,
            derived_mg=finding.derived.mg,
            derived_units=finding.derived.units,
            estimated=finding.estimated,
            within_tolerance=finding.within_tolerance,
        )
        if finding.is_discrepancy:
            opened.append(
                Discrepancy.objects.create(
                    clinic=clinic,
                    line=line,
                    difference_mg=finding.difference.mg,
                    difference_units=finding.difference.units,
                    opened_at=at,
                )
            )
    audit_record(
        origin=origin,
        action="create",
        object_type="controlled_count",
        object_id=row.pk,
        clinic_id=clinic.pk,
        summary=f"{row.get_kind_display()}: {len(given)} lot(s), {len(opened)} discrepancy(ies)",
        changes={"location": location.pk if location else None, "discrepancies": len(opened)},
        at=at,
    )
    for discrepancy in opened:
        emit(DISCREPANCY_OPENED, discrepancy=discrepancy, origin=origin, at=at)
    if opened:
        ids = [d.pk for d in opened]
        transaction.on_commit(lambda: discrepancies_notify_safely(clinic.pk, ids))
    return row


def discrepancies_notify_safely(clinic_id: int, discrepancy_ids: list[int]) -> list[str]:
    """E-mail the clinic's medical directors that a count differed from the ledger (no patient
    data, a link). A failing e-mail never undoes the count: the discrepancy stays on their
    dashboard until resolved."""
    try:
        clinic = Clinic.objects.get(pk=clinic_id)
        recipients = [u.email for u in medical_directors(clinic) if u.email]
        if not recipients:
            return []
        subject = f"[Ketacare] Controlled-substance count discrepancy at {clinic.name}"
        body = (
            f"{len(discrepancy_ids)} count discrepancy(ies) opened at {clinic.name}: the "
            "counted quantity differs from the ledger's balance. Each stays open until you "
            "resolve it with an explanation; a theft or significant loss starts the DEA Form "
            f"106 steps.\n\nOpen them: {public_url(reverse('controlled_substances:safe'))}\n"
        )
        connection = get_connection()
        connection.send_messages(
            [EmailMessage(subject, body, None, [to], connection=connection) for to in recipients]
        )
        audit_record(
            origin=RequestOrigin.system("ledger notifier"),
            action="send",
            object_type="controlled_discrepancy",
            object_id=",".join(map(str, discrepancy_ids)),
            clinic_id=clinic_id,
            summary=f"Count discrepancy e-mailed to {len(recipients)} medical director(s)",
            changes={"to": recipients},
        )
        return recipients
    except Exception:
        logger.exception("Could not e-mail the count discrepancies %s", discrepancy_ids)
        return []


@transaction.atomic
def discrepancy_resolve(
    *,
    discrepancy: Discrepancy,
    finding: str,
    explanation: str,
    origin: RequestOrigin,
    at: dt.datetime,
    adjust: bool = True,
) -> DiscrepancyResolution:
    """The medical director closes a discrepancy with what was found and why.

    A recording or counting error may bring the ledger to the count (a count adjustment, either
    way) or rest on corrections already recorded (``adjust`` False). A shortage that is a loss
    is recorded as a loss entry; a theft or significant loss also opens the DEA loss report with
    its deadlines, counted from the day the count found it."""
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if not discrepancy.is_open:
        raise Refused("This discrepancy has already been resolved")
    if finding not in DiscrepancyResolution.Finding.values:
        raise Invalid.field("finding", "Say what was found: an error, a loss or a theft")
    explanation = (explanation or "").strip()
    if not explanation:
        raise Invalid.field("explanation", "Explain the difference before resolving it")
    line = discrepancy.line
    shortage = discrepancy.difference_units < 0
    loss = finding != DiscrepancyResolution.Finding.RECORDING_ERROR
    if loss and not shortage:
        raise Invalid.field("finding", "More was counted than the ledger holds: that is no loss")
    resolution = DiscrepancyResolution.objects.create(
        discrepancy=discrepancy,
        finding=finding,
        explanation=explanation,
        resolved_at=at,
        resolved_by=origin.actor,
    )
    if loss or adjust:
        size = Quantity(abs(discrepancy.difference_mg), abs(discrepancy.difference_units))
        kind = EntryKind.LOSS if loss else EntryKind.COUNT_ADJUSTMENT
        entry_append(
            clinic=discrepancy.clinic,
            kind=kind,
            stock=Stock(line.product, line.lot, line.location),
            amount=size,
            change=stock_change(kind, size, sign=None if loss else (-1 if shortage else 1)),
            origin=origin,
            at=at,
            reason=explanation,
            discrepancy=discrepancy,
        )
    if finding == DiscrepancyResolution.Finding.THEFT_OR_SIGNIFICANT_LOSS:
        loss_report_open(
            clinic=discrepancy.clinic,
            discovered_on=discrepancy.opened_at.astimezone(discrepancy.clinic.zone).date(),
            description=explanation,
            origin=origin,
            at=at,
            discrepancy=discrepancy,
        )
    audit_record(
        origin=origin,
        action="update",
        object_type="controlled_discrepancy",
        object_id=discrepancy.pk,
        clinic_id=discrepancy.clinic_id,
        summary=f"Count discrepancy resolved: {resolution.get_finding_display()}",
        changes={"status": {"before": "open", "after": "resolved"}, "finding": finding},
        at=at,
    )
    return resolution


@transaction.atomic
def loss_report_open(
    *,
    clinic: Clinic,
    discovered_on: dt.date,
    description: str,
    origin: RequestOrigin,
    at: dt.datetime,
    discrepancy: Discrepancy | None = None,
) -> LossReport:
    """A theft or significant loss discovered on ``discovered_on``: its deadlines follow."""
    if discovered_on > at.astimezone(clinic.zone).date():
        raise Invalid.field("discovered_on", "The day of discovery cannot be in the future")
    if not (description or "").strip():
        raise Invalid.field("description", "Describe what was lost or stolen and how it was found")
    report = LossReport.objects.create(
        clinic=clinic,
        discrepancy=discrepancy,
        discovered_on=discovered_on,
        description=description.strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    steps = significant_loss_steps(discovered_on)
    audit_record(
        origin=origin,
        action="create",
        object_type="controlled_loss_report",
        object_id=report.pk,
        clinic_id=clinic.pk,
        summary="Theft or significant loss reported: DEA notice and Form 106 due",
        changes={s.id: s.due_on for s in steps},
        at=at,
    )
    return report


@transaction.atomic
def loss_step_record(
    *,
    report: LossReport,
    step: str,
    done_on: dt.date,
    reference: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> LossReportStep:
    """Record a DEA step as done (notice sent, Form 106 completed) with its reference."""
    known = {s.id for s in significant_loss_steps(report.discovered_on)}
    if step not in known:
        raise Invalid.field("step", "Record the Field Division notice or the Form 106")
    if done_on < report.discovered_on or done_on > at.astimezone(report.clinic.zone).date():
        raise Invalid.field("done_on", "The date lies between the discovery and today")
    if LossReportStep.objects.filter(report=report, step=step).exists():
        raise Refused("That step is already recorded")
    if step == "form_106" and not (reference or "").strip():
        raise Invalid.field("reference", "Give the Form 106 confirmation number")
    row = LossReportStep.objects.create(
        report=report,
        step=step,
        done_on=done_on,
        reference=(reference or "").strip(),
        recorded_at=at,
        recorded_by=origin.actor,
    )
    audit_record(
        origin=origin,
        action="update",
        object_type="controlled_loss_report",
        object_id=report.pk,
        clinic_id=report.clinic_id,
        summary=f"Loss report step done: {step}",
        changes={"step": step, "done_on": done_on, "reference": row.reference},
        at=at,
    )
    return row
