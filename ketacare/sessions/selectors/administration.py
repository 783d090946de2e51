"""What was given so far: pump events (IV) and discrete doses, at the concentration in the bag.

Totals come from ``infusion.delivered`` plus the discrete doses given; nothing here re-computes
a dose."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.clinical.common import Route
from ketacare.clinical.infusion import (
    AdministrationRecord,
    delivered,
    order_reached_at,
)
from ketacare.sessions.models import (
    AdministrationEvent,
    TreatmentSession,
)
from ketacare.sessions.records import (
    SessionRefused,
    pump_record,
)

PUMP_KINDS = ("start", "pause", "resume", "rate_change", "stop")


def uses_pump(session: TreatmentSession) -> bool:
    """IV infusions run on a pump; every other route is given as discrete doses."""
    return session.route == Route.RACEMIC_IV.value


@dataclass(frozen=True)
class AdministrationSummary:
    """What was given so far. ``dose_mg`` excludes priming, dead space and unrecorded boluses."""

    status: str  # not_started, running, paused, stopped (pump); given / not_started (doses)
    dose_mg: float
    volume_ml: float | None
    running_minutes: float | None
    ordered_mg: float | None
    remaining_mg: float | None
    stop_pump_at: dt.datetime | None  # when the ordered dose is (or was) reached
    order_reached: bool  # a running pump has reached the ordered dose: stop it now
    bag_concentration_mg_per_ml: float | None = None  # IV: drug mg ÷ the bag's final volume
    undelivered_mg: float | None = None  # drawn up (bag) or ordered, not given: to be wasted


def bag_concentration(session: TreatmentSession) -> float:
    """mg/mL in the bag the pump runs; SessionRefused when the bag was not recorded."""
    contents = session.pump_contents
    if contents is None:
        raise SessionRefused(
            "What the bag holds (drug mg and final volume) is not recorded for this infusion"
        )
    return contents.concentration_mg_per_ml


def _given_mg(
    session: TreatmentSession, events: list[AdministrationEvent], as_of: dt.datetime | None
) -> tuple[float, float | None, float | None, AdministrationRecord]:
    record = pump_record(events)
    pump_mg = volume = minutes = None
    if record.events:
        given = delivered(
            record, bag_concentration_mg_per_ml=bag_concentration(session), as_of=as_of
        )
        pump_mg, volume, minutes = given.dose_mg, given.volume_ml, given.running_minutes
    doses = sum(float(e.dose_mg) for e in events if e.kind == "dose" and e.dose_mg is not None)
    return (pump_mg or 0.0) + doses, volume, minutes, record


def administration_summary(session: TreatmentSession, *, now: dt.datetime) -> AdministrationSummary:
    events = list(session.administration.all())
    ordered = float(session.order.dose_mg) if session.order_id else None
    dose_mg, volume, minutes, record = _given_mg(session, events, now)
    concentration = bag_concentration(session) if record.events else None
    stop_at = None
    if ordered and concentration is not None:
        stop_at = order_reached_at(
            record, bag_concentration_mg_per_ml=concentration, ordered_mg=ordered
        )
    status = record.status if uses_pump(session) else ("given" if events else "not_started")
    remaining = None if ordered is None else max(0.0, ordered - dose_mg)
    return AdministrationSummary(
        status=status,
        dose_mg=dose_mg,
        volume_ml=volume,
        running_minutes=minutes,
        ordered_mg=ordered,
        remaining_mg=remaining,
        stop_pump_at=stop_at,
        order_reached=record.status == "running" and stop_at is not None and stop_at <= now,
        bag_concentration_mg_per_ml=concentration,
        undelivered_mg=undelivered_mg(session, dose_mg),
    )


def undelivered_mg(session: TreatmentSession, given_mg: float) -> float | None:
    """What was made up but not given, to be wasted with a witness: for an IV bag, the drug in
    the bag less what the pump delivered; for other routes, the order less the doses given.
    None when nothing is left over. Rounded to 0.01 mg, the precision the record keeps."""
    contents = session.pump_contents if uses_pump(session) else None
    if contents is not None:
        drawn = contents.drug_mg
    elif session.order_id:
        drawn = float(session.order.dose_mg)
    else:
        return None
    left = round(drawn - given_mg, 2)
    return left if left > 0 else None


def first_dose_at(session: TreatmentSession) -> dt.datetime | None:
    first = session.administration.order_by("at", "pk").first()
    return first.at if first else session.dosing_started_at
