"""The administration record: pump events (IV) and discrete doses, never above the signed order.

Totals come from ``infusion.delivered`` (pump, at the concentration in the bag it runs) plus the
discrete doses given; the check against the order is ``infusion.check_not_above_order``. Nothing
here re-computes a dose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.infusion import (
    AdministrationRecord,
    check_not_above_order,
    delivered,
    order_reached_at,
)
from ketacare.core.events import emit
from ketacare.sessions.events import ADMINISTRATION_RECORDED
from ketacare.sessions.models import AdministrationEvent, TreatmentSession
from ketacare.sessions.records import (
    InvalidEntry,
    SessionRefused,
    check_time,
    pump_event,
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


@transaction.atomic
def administration_record(
    *,
    session: TreatmentSession,
    kind: str,
    at: dt.datetime,
    origin: RequestOrigin,
    now: dt.datetime,
    rate_ml_per_h: Decimal | float | None = None,
    dose_mg: Decimal | float | None = None,
    reason: str = "",
) -> AdministrationEvent:
    """Record one pump event or dose. Refused (SessionRefused) when it is out of order, when the
    session is not dosing, or when the total given up to it would be above the signed order."""
    session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if session.state != "dosing":
        raise SessionRefused("The administration record is open only while dosing")
    if session.order_id is None or not session.order.is_actionable:
        raise SessionRefused("Only a signed order can be administered")
    pump = uses_pump(session)
    if kind not in (PUMP_KINDS if pump else ("dose",)):
        route = "an IV infusion" if pump else "this route"
        raise InvalidEntry(f"“{kind}” cannot be recorded for {route}", "kind")
    check_time("The time", at, now=now, not_before=session.dosing_started_at)
    reason = (reason or "").strip()
    row = AdministrationEvent(
        session=session,
        kind=kind,
        at=at,
        rate_ml_per_h=Decimal(str(rate_ml_per_h)) if rate_ml_per_h is not None else None,
        dose_mg=Decimal(str(dose_mg)) if dose_mg is not None else None,
        reason=reason,
        recorded_at=now,
        recorded_by=origin.actor,
    )
    events = list(session.administration.all())
    try:
        if kind == "dose":
            if row.dose_mg is None or row.dose_mg <= 0:
                raise InvalidEntry("Give the dose in mg", "dose_mg")
        else:
            pump_record(events).append(pump_event(row))  # validates order, rate and reason
        total_mg, _, _, _ = _given_mg(session, [*events, row], at)
        check = check_not_above_order(total_mg, float(session.order.dose_mg))
        if kind in ("start", "resume", "rate_change") and check.remaining_mg <= 0:
            raise SessionRefused(
                f"The signed order of {session.order.dose_mg:g} mg has been given: stop the pump"
            )
    except ClinicalRuleError as refused:
        details = {}
        if pump and events:
            reached = order_reached_at(
                pump_record(events),
                bag_concentration_mg_per_ml=bag_concentration(session),
                ordered_mg=float(session.order.dose_mg),
            )
            if reached is not None:
                details["ordered_dose_reached_at"] = reached.isoformat()
        raise SessionRefused(str(refused), details=details) from refused
    row.save()
    audit_record(
        origin=origin,
        action="create",
        object_type="administration_event",
        object_id=row.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary=f"Administration: {row.get_kind_display().lower()}",
        changes={
            "session": session.pk,
            "at": at,
            "rate_ml_per_h": row.rate_ml_per_h,
            "dose_mg": row.dose_mg,
            "reason": reason,
            "total_given_mg": round(total_mg, 3),
        },
        at=now,
    )
    emit(
        ADMINISTRATION_RECORDED,
        session=session,
        administration=row,
        total_given_mg=total_mg,
        origin=origin,
        at=now,
    )
    return row
