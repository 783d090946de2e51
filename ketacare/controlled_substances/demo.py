"""The demo clinics' controlled-substance ledger, loaded after the demo sessions: a DEA
registration, products, a safe and a cart, receipts before the first session, the initial
inventory, one administration entry for each demo session that dosed (same lot and amount as the
session), a witnessed waste where a syringe held more than went into the bag, an unused
esketamine device back to stock, a closing count whose discrepancy the medical director
resolved, and take-home troches for an at-home patient. ``ketacare ledger_verify`` accepts it.

Names, NDCs other than SPRAVATO's (S45) and DEA numbers are invented for the demo. Witnesses are
taken as confirmed here; in the application a witness types their own password.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.clinical.controlled_substances import EntryKind, stock_change
from ketacare.controlled_substances import selectors, services
from ketacare.controlled_substances.models import Discrepancy, LedgerEntry
from ketacare.controlled_substances.services.chain import Stock, entry_append
from ketacare.controlled_substances.witnesses import ConfirmedWitness, is_licensed
from ketacare.core.models import Clinic, StaffMembership, User
from ketacare.core.roles import Role
from ketacare.sessions.demo import DEMO_LOTS
from ketacare.sessions.models import TreatmentSession
from ketacare.sessions.selectors import uses_pump
from ketacare.treatment.models import TreatmentCourse

SUPPLIER = ("Harbor Medical Supply (demo)", "400 Bay St, Oakland CA 94607")
# (name, substance, NDC, form, mg per unit, units per container, package, lot, containers)
PRODUCTS = (
    ("Ketamine HCl injection 10 mg/mL (demo)", "ketamine", "99999-0110", "vial", 10, 20,
     "20 mL multi-dose vial", DEMO_LOTS["racemic"], 12),
    ("Ketamine HCl injection 50 mg/mL (demo)", "ketamine", "99999-0150", "vial", 50, 10,
     "10 mL multi-dose vial", "KET-5120C", 4),
    ("SPRAVATO (esketamine) 28 mg nasal spray", "esketamine", "50458-028", "nasal_device", 28,
     1, "one 28 mg device", DEMO_LOTS["esketamine_nasal"], 60),
    ("Ketamine 100 mg sublingual troche (demo)", "ketamine", "99999-0300", "tablet", 100, 30,
     "bottle of 30", "TRO-2201", 2),
)  # fmt: skip
EXTRA_DRAWN_MG = Decimal(5)  # every third infusion: a syringe drawn past the bag's dose


def dea_number(prefix: str, digits: str) -> str:
    """Two letters and six digits completed with their DEA check digit."""
    d = [int(c) for c in digits]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return f"{prefix}{digits}{check}"


@dataclass
class Timeline:
    """Ledger actions in the order they happened (each appended at its own time)."""

    events: list[tuple[dt.datetime, int, object]] = field(default_factory=list)

    def at(self, moment: dt.datetime, action) -> None:
        self.events.append((moment, len(self.events), action))

    def run(self) -> None:
        for _, _, action in sorted(self.events, key=lambda e: (e[0], e[1])):
            action()


def _staff(clinic: Clinic, role: str) -> User | None:
    row = (
        StaffMembership.objects.filter(role=role, active=True, clinic=clinic)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if row is None and role == Role.MEDICAL_DIRECTOR:
        row = (
            StaffMembership.objects.filter(
                role=role, clinic__isnull=True, organisation_id=clinic.organisation_id
            )
            .select_related("user")
            .first()
        )
    return row.user if row else None


def _origin(user: User) -> RequestOrigin:
    return RequestOrigin(actor=user, actor_label=user.get_username())


def load(*, rng: random.Random, clinics) -> None:
    now = timezone.now()
    for index, clinic in enumerate(clinics):
        nurse, prescriber = _staff(clinic, Role.NURSE), _staff(clinic, Role.PRESCRIBER)
        director = _staff(clinic, Role.MEDICAL_DIRECTOR)
        if not (nurse and prescriber and director):
            continue
        _load_clinic(clinic, index, rng, now, nurse=nurse, prescriber=prescriber, md=director)


def _load_clinic(clinic, index, rng, now, *, nurse, prescriber, md) -> None:
    sessions = list(
        TreatmentSession.objects.filter(clinic=clinic, dosing_started_at__isnull=False)
        .select_related("order", "appointment__nurse", "patient")
        .order_by("dosing_started_at")
    )
    start = (sessions[0].dosing_started_at if sessions else now) - dt.timedelta(days=14)
    admin = _origin(md)
    services.registration_record(
        clinic=clinic, number=dea_number("FB" if index == 0 else "FH", f"{3141 + index:04d}59"),
        schedules=["II", "III", "IV", "V"], name=f"{clinic.name} (demo)",
        address=f"{clinic.address_line1}, {clinic.city} {clinic.state} {clinic.postal_code}",
        expires_on=(start + dt.timedelta(days=3 * 365)).date(), origin=admin, at=start,
    )  # fmt: skip
    safe = services.location_create(clinic=clinic, name="Safe", kind="safe", origin=admin, at=start)
    cart = services.location_create(clinic=clinic, name="Cart", kind="cart", origin=admin, at=start)
    lots = {}
    timeline = Timeline()
    supplier = services.Counterparty(*SUPPLIER, dea_number("PH", "271828"))
    drawn_by_day = _iv_drawn_mg_by_day(clinic, sessions)
    for name, substance, ndc, form, strength, per, package, lot, containers in PRODUCTS:
        if (form, strength) == ("vial", 10):  # what the infusions draw, with a margin
            containers = max(containers, 4 + len(drawn_by_day) + sum(
                math.ceil(mg / (strength * per)) for mg, _ in drawn_by_day.values()
            ))  # fmt: skip
        product = services.product_create(
            clinic=clinic, name=name, substance=substance, ndc=ndc, form=form,
            mg_per_unit=Decimal(strength), units_per_container=Decimal(per), package=package,
            origin=admin, at=start,
        )  # fmt: skip
        received = start + dt.timedelta(hours=1)
        services.receipt_record(
            clinic=clinic, product=product, lot_number=lot,
            lot_expires_on=(start + dt.timedelta(days=540)).date(), location=safe,
            amount=services.Amount(containers=containers), supplier=supplier,
            invoice_reference=f"INV-{rng.randint(100000, 999999)}", received_at=received,
            origin=_origin(nurse), at=received,
        )  # fmt: skip
        lots[form if form != "vial" else f"vial-{strength}"] = product.lots.get()
    lot_10 = lots["vial-10"]
    services.count_record(
        clinic=clinic,
        kind="initial_inventory",
        counted=_everything(clinic),
        origin=_origin(md),
        at=start + dt.timedelta(hours=2),
    )
    # The day's working stock goes to the cart.
    services.transfer_record(
        clinic=clinic, lot=lot_10, from_location=safe, to_location=cart,
        amount=services.Amount(containers=2), origin=_origin(nurse),
        at=start + dt.timedelta(hours=3),
    )  # fmt: skip
    # Each morning with infusions, the day's vials go from the safe to the cart.
    for day_mg, first_dose in drawn_by_day.values():
        before = first_dose - dt.timedelta(minutes=30)
        timeline.at(before, _top_up(clinic, lot_10, safe, cart, day_mg, nurse, before))
    witness = ConfirmedWitness(prescriber, is_licensed(prescriber, clinic), start)
    returned_device = False
    for n, session in enumerate(sessions):
        recorder = session.appointment.nurse or nurse
        if uses_pump(session) and session.bag_drug_mg:
            drawn = services.Amount(mg=_drawn_mg(n, session))
            draw = _draw(clinic, session, lot_10, cart, drawn, recorder)
            timeline.at(session.dosing_started_at, draw)
        elif session.route == "esketamine_nasal":
            devices = int(session.order.dose_mg // 28)
            spare = not returned_device and session.dosing_ended_at is not None
            returned_device = returned_device or spare
            drawn = services.Amount(units=devices + (1 if spare else 0))
            draw = _draw(clinic, session, lots["nasal_device"], safe, drawn, recorder)
            timeline.at(session.dosing_started_at, draw)
        else:
            continue
        if session.dosing_ended_at is not None:
            later = session.dosing_ended_at + dt.timedelta(minutes=5)
            timeline.at(later, _dispose(clinic, session, recorder, witness))
    # The next evening's closing count of the cart (after the sessions of that day, if any).
    timeline.at(
        start + dt.timedelta(days=1, hours=10),
        _closing_count_with_discrepancy(clinic, cart, nurse, md),
    )
    _dispense_troches(clinic, lots["tablet"], safe, prescriber, start, timeline)
    timeline.run()


def _drawn_mg(n: int, session) -> Decimal:
    """What the n-th dosed session of the clinic draws for its bag (every third: a little more)."""
    return session.bag_drug_mg + (EXTRA_DRAWN_MG if n % 3 == 0 else Decimal(0))


def _iv_drawn_mg_by_day(clinic, sessions) -> dict[dt.date, tuple[Decimal, dt.datetime]]:
    """The mg the bags of each clinic day draw, and that day's first dose."""
    zone = ZoneInfo(clinic.time_zone)
    days: dict[dt.date, tuple[Decimal, dt.datetime]] = {}
    for n, session in enumerate(sessions):
        if uses_pump(session) and session.bag_drug_mg:
            day = session.dosing_started_at.astimezone(zone).date()
            mg, first = days.get(day, (Decimal(0), session.dosing_started_at))
            days[day] = (mg + _drawn_mg(n, session), min(first, session.dosing_started_at))
    return days


def _top_up(clinic, lot, safe, cart, day_mg: Decimal, nurse, at: dt.datetime):
    def run():
        per_container = lot.product.mg_per_unit * lot.product.units_per_container
        services.transfer_record(
            clinic=clinic, lot=lot, from_location=safe, to_location=cart,
            amount=services.Amount(containers=math.ceil(day_mg / per_container)),
            origin=_origin(nurse), at=at,
        )  # fmt: skip

    return run


def _everything(clinic):
    return [
        services.CountedStock(b.lot, b.location, b.sealed_containers,
                              b.units - b.sealed_containers * b.product.units_per_container)
        for b in selectors.balances(clinic)
    ]  # fmt: skip


def _draw(clinic, session, lot, location, amount, recorder):
    def run():
        drawn = amount.of(lot.product)
        entry_append(
            clinic=clinic, kind=EntryKind.ADMINISTRATION, stock=Stock(lot.product, lot, location),
            amount=drawn, change=stock_change(EntryKind.ADMINISTRATION, drawn),
            origin=_origin(recorder), at=session.dosing_started_at, session=session,
            patient=session.patient,
        )  # fmt: skip

    return run


def _dispose(clinic, session, recorder, witness):
    """The drawn rest of a finished dose: a spare device back to stock, a syringe's rest wasted."""

    def run():
        at = session.dosing_ended_at + dt.timedelta(minutes=5)
        account = selectors.session_dose_account(session, now=at)
        if account is None or account.open_mg <= 0:
            return
        kind = EntryKind.RETURN_TO_STOCK if session.route == "esketamine_nasal" else EntryKind.WASTE
        witnesses = (witness,) if kind is EntryKind.WASTE and witness.user != recorder else ()
        if kind is EntryKind.WASTE and not witnesses:
            return
        services.dose_rest_dispose(
            session=session, kind=kind, amount=services.Amount(mg=account.open_mg),
            origin=_origin(recorder), at=at, witnesses=witnesses,
            reason="" if account.administered_mg else "nothing given",
        )  # fmt: skip

    return run


def _closing_count_with_discrepancy(clinic, cart, nurse, md):
    """The cart's closing count: the first lot looks 0.5 mL short of the ledger (an opened vial
    mis-estimated); the medical director finds nothing missing and brings the ledger to it."""

    def run():
        counted = []
        for n, b in enumerate(selectors.balances(clinic, location=cart)):
            units = b.units - (Decimal("0.5") if n == 0 and b.units > 1 else 0)
            sealed = int(units // b.product.units_per_container)
            opened = units - sealed * b.product.units_per_container
            counted.append(services.CountedStock(b.lot, cart, sealed, opened))
        last = LedgerEntry.objects.filter(clinic=clinic).order_by("-sequence").first()
        at = last.recorded_at + dt.timedelta(minutes=1)
        count = services.count_record(
            clinic=clinic, kind="closing", location=cart, counted=counted, origin=_origin(nurse),
            at=at,
        )  # fmt: skip
        for discrepancy in Discrepancy.objects.filter(line__count=count):
            services.discrepancy_resolve(
                discrepancy=discrepancy, finding="recording_error",
                explanation="Opened vial re-measured against the syringe markings: the estimate "
                "was 0.5 mL low; nothing is missing.",
                origin=_origin(md), at=at + dt.timedelta(minutes=40), adjust=True,
            )  # fmt: skip

    return run


def _dispense_troches(clinic, lot, safe, prescriber, start, timeline: Timeline) -> None:
    course = (
        TreatmentCourse.objects.filter(clinic=clinic, route="racemic_sublingual")
        .select_related("patient")
        .order_by("pk")
        .first()
    )
    if course is None:
        return
    when = start + dt.timedelta(days=2)

    def run():
        services.dispense_record(
            clinic=clinic, patient=course.patient, lot=lot, location=safe,
            amount=services.Amount(units=8), origin=_origin(prescriber), at=when,
            note="Take-home supply for the at-home programme (8 troches)",
        )  # fmt: skip

    timeline.at(when, run)
