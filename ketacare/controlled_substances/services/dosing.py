"""A dose drawn up in a session: one step that takes it from stock (the ledger's administration
entry) and starts the session's dosing with the same lot and amount; then its rest — drawn, not
given — wasted with a licensed witness or, for whole unused units (an unused esketamine device),
returned to stock. The session may never record more than was drawn up for it (``guard``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin
from ketacare.clinical.common import Route
from ketacare.clinical.controlled_substances import (
    FORMS_FOR_ROUTE,
    WASTE_WITNESSES,
    EntryKind,
    LedgerRefused,
    ProductForm,
    stock_change,
)
from ketacare.controlled_substances.models import LedgerEntry, Lot, StorageLocation
from ketacare.controlled_substances.selectors import (
    DOSED_STATES,
    drawn_open_mg,
    ledger_in_use,
    session_dispositions,
    session_dose_account,
    session_draw_ups,
)
from ketacare.controlled_substances.services.chain import Stock, entry_append
from ketacare.controlled_substances.services.setup import require_registration
from ketacare.controlled_substances.services.stock import Amount
from ketacare.controlled_substances.witnesses import ConfirmedWitness, witnessed
from ketacare.core.errors import Invalid, Refused
from ketacare.sessions.models import AdministrationEvent, TreatmentSession
from ketacare.sessions.selectors import uses_pump
from ketacare.sessions.services import session_start_dosing

DRAW_UP_STATES = ("prechecks_passed", "dosing")


class NotDrawnUp(Refused):
    """The session would give more than was drawn up for it from the ledger."""


@dataclass(frozen=True)
class DosingStart:
    """What the session needs beyond the drawn amount to start: for an IV infusion the bag
    (the drawn drug goes into it) and the pump rate; for other routes the first dose given."""

    bag_drug_mg: Decimal | None = None  # into the bag, when less than drawn (the rest is wasted)
    bag_diluent_ml: Decimal | None = None
    bag_volume_ml: Decimal | None = None
    rate_ml_per_h: Decimal | None = None
    first_dose_mg: Decimal | None = None


def _locked(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def dose_draw_up(
    *,
    session: TreatmentSession,
    lot: Lot,
    location: StorageLocation,
    amount: Amount,
    origin: RequestOrigin,
    at: dt.datetime,
    start: DosingStart | None = None,
) -> LedgerEntry:
    """Draw a dose up from a lot at a location for the session. Before dosing this also starts
    it (``session_start_dosing`` with the lot, the vial's concentration and, for an infusion,
    the drawn mg as the bag's drug); while dosing it draws up more (another device)."""
    session = _locked(session)
    if session.state not in DRAW_UP_STATES:
        raise Refused(
            f"A dose is drawn up when the pre-checks have passed or while dosing; the session "
            f"is {session.get_state_display().lower()}"
        )
    clinic = session.clinic
    require_registration(clinic, on=at.astimezone(clinic.zone).date())
    product = lot.product
    if product.clinic_id != clinic.pk or location.clinic_id != clinic.pk:
        raise Refused("That lot or location belongs to another clinic")
    if product.form != FORMS_FOR_ROUTE[Route(session.route)]:
        raise Invalid.field(
            "lot", f"{product.name} is not given as {session.get_route_display().lower()}"
        )
    ordered = session.order.concentration_mg_per_ml if session.order_id else None
    if product.form == ProductForm.VIAL and ordered and ordered != product.mg_per_unit:
        raise Invalid.field(
            "lot",
            f"The signed order is for a {ordered.normalize():f} mg/mL vial; {product.name} is "
            f"{product.strength}",
        )
    if lot.expires_on < at.astimezone(clinic.zone).date():
        raise Invalid.field("lot", f"Lot {lot.number} expired on {lot.expires_on:%Y-%m-%d}")
    drawn = amount.of(product)
    entry = entry_append(
        clinic=clinic,
        kind=EntryKind.ADMINISTRATION,
        stock=Stock(product, lot, location),
        amount=drawn,
        change=stock_change(EntryKind.ADMINISTRATION, drawn),
        origin=origin,
        at=at,
        session=session,
        patient=session.patient,
        summary=f"Controlled substances: {drawn.mg} mg drawn up for a session",
    )
    if session.state == "prechecks_passed":
        _start(
            session, lot=lot, drawn_mg=drawn.mg, start=start or DosingStart(), origin=origin, at=at
        )
    return entry


def _start(session, *, lot: Lot, drawn_mg: Decimal, start: DosingStart, origin, at) -> None:
    product = lot.product
    common = {
        "session": session,
        "lot_number": lot.number,
        "vial_concentration_mg_per_ml": (
            product.mg_per_unit if product.form == ProductForm.VIAL else None
        ),
        "origin": origin,
        "at": at,
    }
    if uses_pump(session):
        bag_mg = start.bag_drug_mg if start.bag_drug_mg is not None else drawn_mg
        if bag_mg > drawn_mg:
            raise Invalid.field(
                "bag_drug_mg", f"The bag cannot hold more than the {drawn_mg} mg drawn up"
            )
        session_start_dosing(
            **common,
            bag_drug_mg=bag_mg,
            bag_diluent_ml=start.bag_diluent_ml,
            bag_volume_ml=start.bag_volume_ml,
            rate_ml_per_h=start.rate_ml_per_h,
        )
        return
    first = start.first_dose_mg
    if first is None:
        # One device at a time for esketamine; otherwise what was drawn, up to the order.
        ordered = session.order.dose_mg if session.order_id else drawn_mg
        first = product.mg_per_unit if product.form == ProductForm.NASAL_DEVICE else ordered
        first = min(first, drawn_mg)
    session_start_dosing(**common, dose_mg=first)


@transaction.atomic
def dose_rest_dispose(
    *,
    session: TreatmentSession,
    kind: EntryKind,
    amount: Amount,
    origin: RequestOrigin,
    at: dt.datetime,
    witnesses: tuple[ConfirmedWitness, ...] = (),
    draw_up: LedgerEntry | None = None,
    location: StorageLocation | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Waste (witnessed) or return to stock what was drawn up and not given, once dosing has
    ended. Waste has no stock effect: it left stock when drawn up (§8: waste is documented on
    the administration record, not Form 41). Only whole unused devices or tablets go back."""
    session = _locked(session)
    if kind not in (EntryKind.WASTE, EntryKind.RETURN_TO_STOCK):
        raise Invalid.field("kind", "The rest of a dose is wasted or returned to stock")
    if session.state not in DOSED_STATES:
        raise Refused("Waste or return the rest once dosing has ended")
    account = session_dose_account(session, now=at)
    if account is None:
        raise Refused("Nothing was drawn up from the ledger for this session")
    done = session_dispositions(session)
    draw_ups = session_draw_ups(session)
    if draw_up is None:
        draw_up = next((d for d in reversed(draw_ups) if drawn_open_mg(d, done) > 0), None)
    if draw_up is None or draw_up.pk not in {d.pk for d in draw_ups}:
        raise Refused("There is no drawn-up dose of this session left to dispose of")
    product = draw_up.product
    if kind is EntryKind.RETURN_TO_STOCK and not product.spec.counted_whole:
        raise Refused("Drawn-up solution cannot go back into stock: waste it with a witness")
    rest = amount.of(product, part_units=kind is EntryKind.WASTE)
    try:
        account.with_disposed(kind, rest.mg)
        if rest.mg > drawn_open_mg(draw_up, done):
            raise LedgerRefused(
                f"Only {drawn_open_mg(draw_up, done)} mg of lot {draw_up.lot.number} is left"
            )
    except LedgerRefused as refused:
        raise Invalid.field("quantity", str(refused)) from None
    extra: dict = {}
    if kind is EntryKind.WASTE:
        extra = witnessed(
            clinic=session.clinic,
            setting=WASTE_WITNESSES,
            what="the waste",
            origin=origin,
            witnesses=witnesses,
            at=at,
        )
    verb = "wasted" if kind is EntryKind.WASTE else "returned to stock"
    return entry_append(
        clinic=session.clinic,
        kind=kind,
        stock=Stock(product, draw_up.lot, location or draw_up.location),
        amount=rest,
        change=stock_change(kind, rest),
        origin=origin,
        at=at,
        session=session,
        patient=session.patient,
        of_entry=draw_up,
        reason=(reason or "").strip(),
        summary=f"Controlled substances: {rest.mg} mg of a session's dose {verb}",
        **extra,
    )


def guard(
    *, session: TreatmentSession, administration: AdministrationEvent, total_given_mg, at
) -> None:
    """Refuse (NotDrawnUp) an administration the ledger does not cover, once the clinic keeps
    its ledger here: a pump started on a bag holding more than was drawn up, or doses adding
    up to more than was drawn up (less what was wasted or returned)."""
    if administration.kind not in ("start", "dose") or not ledger_in_use(session.clinic):
        return
    account = session_dose_account(session, now=at)
    if account is None:
        raise NotDrawnUp(
            "Draw the dose up from the controlled-substance ledger first: choose the lot and "
            "location it comes from, and dosing starts in the same step"
        )
    if administration.kind == "start" and session.bag_drug_mg is not None:
        total_given_mg = session.bag_drug_mg
    try:
        account.check_given(total_given_mg)
    except LedgerRefused as refused:
        raise NotDrawnUp(str(refused)) from None
