"""Recording the administration: pump events (IV) and discrete doses, never above the signed order
(``infusion.check_not_above_order``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.infusion import (
    check_not_above_order,
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
from ketacare.sessions.selectors.administration import (
    PUMP_KINDS,
    _given_mg,
    bag_concentration,
    uses_pump,
)


@transaction.atomic
def administration_record(
    *,
    session: TreatmentSession,
    kind: str,
    given_at: dt.datetime,
    origin: RequestOrigin,
    at: dt.datetime,
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
    check_time("The time", given_at, now=at, not_before=session.dosing_started_at)
    reason = (reason or "").strip()
    row = AdministrationEvent(
        session=session,
        kind=kind,
        at=given_at,
        rate_ml_per_h=Decimal(str(rate_ml_per_h)) if rate_ml_per_h is not None else None,
        dose_mg=Decimal(str(dose_mg)) if dose_mg is not None else None,
        reason=reason,
        recorded_at=at,
        recorded_by=origin.actor,
    )
    events = list(session.administration.all())
    try:
        if kind == "dose":
            if row.dose_mg is None or row.dose_mg <= 0:
                raise InvalidEntry("Give the dose in mg", "dose_mg")
        else:
            pump_record(events).append(pump_event(row))  # validates order, rate and reason
        total_mg, _, _, _ = _given_mg(session, [*events, row], given_at)
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
            "at": given_at,
            "rate_ml_per_h": row.rate_ml_per_h,
            "dose_mg": row.dose_mg,
            "reason": reason,
            "total_given_mg": round(total_mg, 3),
        },
        at=at,
    )
    emit(
        ADMINISTRATION_RECORDED,
        session=session,
        administration=row,
        total_given_mg=total_mg,
        origin=origin,
        at=at,
    )
    return row
