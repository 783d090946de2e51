"""The controlled-substance ledger under /api/v1/controlled-substances: balances, the ledger,
entries, the session's draw-up and the rest of its dose, counts, discrepancies and loss
reports. Only nurses, prescribers and medical directors reach it (``controlled.*``)."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Status

from ketacare.audit.services import audit_record
from ketacare.controlled_substances import recording, selectors, services
from ketacare.controlled_substances.schemas import (
    BalanceOut,
    CountIn,
    CountOut,
    DiscrepancyOut,
    DisposeIn,
    DrawUpIn,
    EntryIn,
    EntryOut,
    LossStepIn,
    LossStepOut,
    ResolveIn,
)
from ketacare.core.actions import Action, action
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS, READ_ERRORS
from ketacare.sessions.selectors import session_get

router = Router(tags=["controlled substances"])


def _audit_list(act: Action, rows, what: str) -> None:
    patients = sorted({e.patient_id for e in rows if e.patient_id})
    audit_record(
        action="view",
        object_type="ledger",
        clinic_id=act.clinic.pk,
        summary=f"Read {len(rows)} {what} through the API",
        changes={"patient_ids": patients} if patients else {},
        **act.stamp,
    )


@router.get("/balances", response={200: list[BalanceOut], **READ_ERRORS}, summary="Balances")
def balances(request, location_id: int | None = None, product_id: int | None = None):
    """Each product lot's balance at each location (mg and product units), derived from the
    ledger's entries; only stock above zero."""
    act = action(request, Capability.CONTROLLED_VIEW)
    location = selectors.location_get(act.access, location_id) if location_id else None
    product = selectors.product_get(act.access, product_id) if product_id else None
    rows = selectors.balances(act.clinic, location=location, product=product)
    return [BalanceOut.of(b) for b in rows]


@router.get("/ledger", response={200: list[EntryOut], **READ_ERRORS}, summary="The ledger")
def ledger(
    request,
    kind: str = "",
    product_id: int | None = None,
    lot_id: int | None = None,
    location_id: int | None = None,
    patient_id: int | None = None,
    session_id: int | None = None,
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
    limit: int = 200,
):
    """Entries, newest first, filtered; each with its running balance and hash."""
    act = action(request, Capability.CONTROLLED_VIEW)
    rows = selectors.ledger_entries(
        act.access,
        kind=kind,
        product_id=product_id,
        lot_id=lot_id,
        location_id=location_id,
        patient_id=patient_id,
        session_id=session_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    rows = list(rows[: max(1, min(limit, 1000))])
    _audit_list(act, rows, "ledger entries")
    return [EntryOut.of(e) for e in rows]


@router.post("/entries", response={201: list[EntryOut], **ERRORS}, summary="Record an entry")
def create_entry(request, payload: EntryIn):
    """A receipt, transfer, return to a reverse distributor, destruction (two witnesses),
    loss, take-home dispensing or correction. Refused (409) when it would take a balance below
    zero."""
    act = action(request, Capability.CONTROLLED_RECORD)
    return Status(201, [EntryOut.of(e) for e in recording.entry_record(request, act, payload)])


@router.post(
    "/sessions/{session_id}/draw-up",
    response={201: EntryOut, **ERRORS},
    summary="Draw a dose up for a session",
)
def draw_up(request, session_id: int, payload: DrawUpIn):
    """The ledger's administration entry and, before dosing, the session's start: one step."""
    act = action(request, Capability.CONTROLLED_RECORD)
    session = session_get(act.access, session_id)
    return Status(201, EntryOut.of(recording.draw_up(request, act, session, payload)))


@router.post(
    "/sessions/{session_id}/dispose",
    response={201: EntryOut, **ERRORS},
    summary="Waste or return the rest of a session's dose",
)
def dispose(request, session_id: int, payload: DisposeIn):
    """Waste needs a licensed witness (not the recorder) who sends their own password."""
    act = action(request, Capability.CONTROLLED_RECORD)
    session = session_get(act.access, session_id)
    return Status(201, EntryOut.of(recording.dispose(request, act, session, payload)))


@router.get("/counts", response={200: list[CountOut], **READ_ERRORS}, summary="Recent counts")
def counts(request, limit: int = 30):
    act = action(request, Capability.CONTROLLED_VIEW)
    return [CountOut.of(c) for c in selectors.counts(act.clinic, limit=max(1, min(limit, 200)))]


@router.post("/counts", response={201: CountOut, **ERRORS}, summary="Record a count")
def create_count(request, payload: CountIn):
    """An opening or closing count of one location, or an inventory of all; each difference
    beyond an estimated opened container's tolerance opens a discrepancy."""
    act = action(request, Capability.CONTROLLED_RECORD)
    return Status(201, CountOut.of(recording.count(act, payload)))


@router.get(
    "/discrepancies", response={200: list[DiscrepancyOut], **READ_ERRORS}, summary="Discrepancies"
)
def discrepancies(request, status: str = "open"):
    act = action(request, Capability.CONTROLLED_VIEW)
    rows = (
        selectors.open_discrepancies(act.clinic)
        if status == "open"
        else selectors.discrepancies(act.clinic)
    )
    return [DiscrepancyOut.of(d) for d in rows]


@router.post(
    "/discrepancies/{discrepancy_id}/resolve",
    response={200: DiscrepancyOut, **ERRORS},
    summary="Resolve a discrepancy",
)
def resolve(request, discrepancy_id: int, payload: ResolveIn):
    """The medical director's finding and explanation (a theft or significant loss opens the
    DEA loss report with its deadlines)."""
    act = action(request, Capability.CONTROLLED_OVERSEE)
    discrepancy = selectors.discrepancy_get(act.access, discrepancy_id)
    services.discrepancy_resolve(discrepancy=discrepancy, **payload.model_dump(), **act.stamp)
    return DiscrepancyOut.of(selectors.discrepancy_get(act.access, discrepancy_id))


@router.post(
    "/loss-reports/{report_id}/steps",
    response={201: LossStepOut, **ERRORS},
    summary="Record a DEA step of a loss report",
)
def loss_step(request, report_id: int, payload: LossStepIn):
    act = action(request, Capability.CONTROLLED_OVERSEE)
    report = selectors.loss_report_get(act.access, report_id)
    row = services.loss_step_record(report=report, **payload.model_dump(), **act.stamp)
    return Status(201, LossStepOut(step=row.step, done_on=row.done_on, reference=row.reference))
