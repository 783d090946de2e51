"""Every lifecycle write of a treatment session: one transaction, audited, rules from the core.

scheduled → checked in → pre-checks passed → dosing → recovery → discharged → signed → co-signed
(``session_flow.transition``); cancel before dosing, abort after, each with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import Answer, ClinicalRuleError, Provenance, Route
from ketacare.clinical.infusion import PumpContents, pump_contents
from ketacare.clinical.monitoring import discharge_check
from ketacare.clinical.rems import enrolment_gate
from ketacare.clinical.session_flow import (
    OVERRIDE_ROLES,
    CheckFailure,
    GateResult,
    PrecheckFacts,
    override,
    precheck_gate,
)
from ketacare.core.actions import Actor
from ketacare.core.events import emit
from ketacare.sessions.events import DOSING_ENDED, SESSION_SIGNED
from ketacare.sessions.models import Addendum, TreatmentSession
from ketacare.sessions.protocol import protocol_for
from ketacare.sessions.records import (
    InvalidEntry,
    SessionRefused,
    check_time,
    log_event,
    provenance_json,
    reading_of,
    step,
)
from ketacare.sessions.selectors.administration import (
    administration_summary,
    first_dose_at,
    uses_pump,
)
from ketacare.sessions.selectors.discharge import (
    DISCHARGE_ANSWERS,
    discharge_facts,
)
from ketacare.sessions.selectors.flowsheet import (
    baseline_entry,
    unacknowledged_alerts,
)
from ketacare.sessions.selectors.rems import (
    first_treatment,
    rems_enrolled,
)
from ketacare.sessions.selectors.sessions import assessment_completed_on
from ketacare.sessions.services.administration import (
    administration_record,
)
from ketacare.sessions.services.flowsheet import (
    vitals_record,
)
from ketacare.treatment.models import Appointment
from ketacare.treatment.selectors import consent_is_current, signed_order_for

DRUG_NAMES = {
    Route.ESKETAMINE_NASAL.value: "Esketamine nasal spray (SPRAVATO)",
}


DEFAULT_DRUG = "Ketamine hydrochloride"


_ISSUE = Provenance(("project issue",), False, "clinic practice named in the issues")


_CONSENT = Provenance(("project issue",), True, "no treatment starts without current consent")


@transaction.atomic
def session_open(
    *, appointment: Appointment, origin: RequestOrigin, at: dt.datetime
) -> TreatmentSession:
    """The appointment's session, created (scheduled) on first use with its signed order."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    existing = TreatmentSession.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.kind != Appointment.Kind.TREATMENT:
        raise SessionRefused("Only a treatment appointment has a session")
    if appointment.status != Appointment.Status.BOOKED:
        raise SessionRefused(f"The appointment is {appointment.get_status_display().lower()}")
    if appointment.course_id is None:
        raise SessionRefused("The appointment belongs to no treatment course")
    order = signed_order_for(appointment)
    session = TreatmentSession.objects.create(
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        appointment=appointment,
        course_id=appointment.course_id,
        order=order,
        route=order.route if order else appointment.course.route,
        state="scheduled",
        state_changed_at=at,
        created_at=at,
    )
    log_event(
        session,
        "create",
        origin=origin,
        at=at,
        details={"appointment": appointment.pk, "order": order.pk if order else None},
        summary="Session opened for the appointment",
    )
    return session


@transaction.atomic
def session_check_in(
    *, session: TreatmentSession, origin: RequestOrigin, at: dt.datetime
) -> TreatmentSession:
    return step(_locked(session), "check_in", origin=origin, at=at)


def _locked(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.select_for_update().get(pk=session.pk)


@dataclass
class PrecheckInput:
    """What the nurse documents; answers are "yes", "no" or "unknown"."""

    identity_confirmed: str = "unknown"
    last_food_at: dt.datetime | None = None
    last_liquid_at: dt.datetime | None = None
    could_be_pregnant: str = "unknown"
    pregnant: str = "unknown"
    new_medications_since_last_visit: str = "unknown"
    substance_use_since_last_visit: str = "unknown"
    phq9_completed: str = "unknown"
    cssrs_completed: str = "unknown"
    escort_confirmed: str = "unknown"
    vitals: dict = field(default_factory=dict)  # optional pre-dose reading taken now


def _failure_json(f: CheckFailure) -> dict:
    return {
        "id": f.id,
        "reason": f.reason,
        "overridable": f.overridable,
        "provenance": provenance_json(f.provenance),
    }


def _failure(d: dict) -> CheckFailure:
    p = d["provenance"]
    return CheckFailure(
        d["id"], d["reason"], Provenance(tuple(p["sources"]), p["verified"]), d["overridable"]
    )


def _session_failures(session: TreatmentSession, at: dt.datetime) -> list[CheckFailure]:
    """What the gate needs beyond the clinical pre-checks: order, consent, REMS enrolment.
    None of these can be overridden."""
    out = []
    order = signed_order_for(session.appointment)
    if order is None:
        out.append(CheckFailure("order", "No signed order for this treatment", _ISSUE, False))
    elif order.route != session.route:
        out.append(CheckFailure("order", "The signed order is for another route", _ISSUE, False))
    if not consent_is_current(session.patient, session.route, at=at):
        out.append(
            CheckFailure("consent", "No current signed consent for this route", _CONSENT, False)
        )
    if session.route == Route.ESKETAMINE_NASAL.value:
        decision = enrolment_gate(first_treatment(session), rems_enrolled(session))
        if not decision.allowed:
            out.append(CheckFailure("rems_enrolment", decision.reason, decision.provenance, False))
    return out


@transaction.atomic
def session_prechecks(
    *, session: TreatmentSession, entry: PrecheckInput, origin: RequestOrigin, at: dt.datetime
) -> list[dict]:
    """Document the pre-checks and run the gate. Passing moves the session on; the failures are
    returned (and stored) for the screen, each with its reason and source."""
    session = _locked(session)
    if session.state != "checked_in":
        raise SessionRefused(f"Pre-checks are done after check-in; the session is {session.state}")
    if any(v not in (None, "") for v in entry.vitals.values()):
        vitals = {k: v for k, v in entry.vitals.items() if v not in (None, "")}
        vitals_record(session=session, values=vitals, taken_at=at, origin=origin, at=at)
    day = at.astimezone(session.clinic.zone).date()
    answers = {}
    for name, code in (("phq9_completed", "phq9"), ("cssrs_completed", "cssrs_screen")):
        given = getattr(entry, name)
        found = assessment_completed_on(session.patient, code, day)
        answers[name] = "yes" if given == "unknown" and found else given
    base = baseline_entry(session)
    try:
        facts = PrecheckFacts(
            checked_at=at,
            identity_confirmed=entry.identity_confirmed,
            last_food_at=entry.last_food_at,
            last_liquid_at=entry.last_liquid_at,
            vitals=reading_of(base) if base else None,
            could_be_pregnant=entry.could_be_pregnant,
            pregnant=entry.pregnant,
            new_medications_since_last_visit=entry.new_medications_since_last_visit,
            substance_use_since_last_visit=entry.substance_use_since_last_visit,
            escort_confirmed=entry.escort_confirmed,
            **answers,
        )
    except ClinicalRuleError as bad:
        raise InvalidEntry(str(bad)) from bad
    protocol = protocol_for(session.clinic, session.route)
    gate = precheck_gate(facts, protocol)
    failures = [*gate.failures, *_session_failures(session, at)]
    stored = {
        k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(entry).items()
    }
    stored.update(answers, baseline_reading=base.pk if base else None)
    session.precheck_facts = stored
    session.precheck_failures = [_failure_json(f) for f in failures]
    session.prechecked_at, session.prechecked_by = at, origin.actor
    session.save()
    log_event(
        session,
        "prechecks",
        origin=origin,
        at=at,
        details={"failures": [f.id for f in failures]},
        summary="Pre-checks documented: "
        + ("passed" if not failures else f"{len(failures)} failed"),
    )
    if not failures:
        session.order = signed_order_for(session.appointment)
        step(session, "pass_prechecks", origin=origin, at=at)
    return session.precheck_failures


@transaction.atomic
def session_override(
    *, session: TreatmentSession, actor: Actor, reason: str, origin: RequestOrigin, at: dt.datetime
) -> TreatmentSession:
    """A prescriber's documented override of failed pre-checks (session_flow.override decides
    what may be overridden, by the role the actor holds here); the session then moves on to
    dosing readiness."""
    session = _locked(session)
    if session.state != "checked_in" or not session.precheck_failures:
        raise SessionRefused("There are no failed pre-checks to override")
    gate = GateResult(False, tuple(_failure(d) for d in session.precheck_failures))
    try:
        done = override(gate, actor.acting_role, reason)
    except ClinicalRuleError as refused:
        raise SessionRefused(str(refused)) from refused
    session.override_reason = done.override.reason
    session.override_by, session.override_at = origin.actor, at
    session.order = signed_order_for(session.appointment)
    step(
        session,
        "pass_prechecks",
        origin=origin,
        at=at,
        details={"override": done.override.reason, "failures": [f.id for f in gate.failures]},
    )
    return session


def _bag_from_order(order) -> dict[str, Decimal | None]:
    """The bag the signed order describes: its dose in its final (infused) volume."""
    final = order.bag_volume_ml
    diluent = None
    if final is not None and order.drug_volume_ml is not None:
        diluent = final - order.drug_volume_ml
    return {"drug_mg": order.dose_mg, "final_volume_ml": final, "diluent_ml": diluent}


def _pump_contents(
    *,
    order,
    vial_concentration_mg_per_ml: Decimal | None,
    bag_drug_mg: Decimal | None,
    bag_diluent_ml: Decimal | None,
    bag_volume_ml: Decimal | None,
) -> PumpContents:
    """What the nurse made up, defaulting to what the signed order describes; checked by the
    core. The bag's concentration, not the vial's, is what the pump delivers."""
    planned = _bag_from_order(order)
    drug = bag_drug_mg if bag_drug_mg is not None else planned["drug_mg"]
    final = bag_volume_ml if bag_volume_ml is not None else planned["final_volume_ml"]
    # The order's diluent describes the order's bag only: another final volume has its own.
    diluent = bag_diluent_ml
    if diluent is None and bag_volume_ml is None and bag_drug_mg is None:
        diluent = planned["diluent_ml"]
    vial = vial_concentration_mg_per_ml or order.concentration_mg_per_ml
    if final is None:
        raise InvalidEntry("Record the bag's final volume in mL (drug included)", "bag_volume_ml")
    if drug is None:
        raise InvalidEntry("Record the drug in the bag in mg", "bag_drug_mg")
    try:
        return pump_contents(
            drug_mg=float(drug),
            final_volume_ml=float(final),
            diluent_ml=None if diluent is None or diluent <= 0 else float(diluent),
            vial_concentration_mg_per_ml=None if vial is None else float(vial),
        )
    except ClinicalRuleError as wrong:
        raise InvalidEntry(str(wrong), "bag_volume_ml") from None


@transaction.atomic
def session_start_dosing(
    *,
    session: TreatmentSession,
    lot_number: str,
    origin: RequestOrigin,
    at: dt.datetime,
    vial_concentration_mg_per_ml: Decimal | None = None,
    bag_drug_mg: Decimal | None = None,
    bag_diluent_ml: Decimal | None = None,
    bag_volume_ml: Decimal | None = None,
    rate_ml_per_h: Decimal | None = None,
    dose_mg: Decimal | None = None,
) -> TreatmentSession:
    """Draw up and start: lot number, then for an IV infusion what the bag on the pump holds
    (drug mg, diluent and final volume; by default what the signed order describes) and the pump
    start at the given rate, or for other routes the first dose. Only the current signed order
    is administered."""
    session = _locked(session)
    if session.state != "prechecks_passed":
        raise SessionRefused(f"Dosing starts after the pre-checks; the session is {session.state}")
    order = signed_order_for(session.appointment)
    if order is None or not order.is_actionable:
        raise SessionRefused("Only a signed order can be administered; there is none")
    if order.route != session.route:
        raise SessionRefused("The signed order is for another route")
    if not (lot_number or "").strip():
        raise InvalidEntry("Record the lot number", "lot_number")
    pump = uses_pump(session)
    vial = vial_concentration_mg_per_ml or order.concentration_mg_per_ml
    if pump:
        contents = _pump_contents(
            order=order,
            vial_concentration_mg_per_ml=vial,
            bag_drug_mg=bag_drug_mg,
            bag_diluent_ml=bag_diluent_ml,
            bag_volume_ml=bag_volume_ml,
        )
        planned = _bag_from_order(order)
        differs = (
            planned["final_volume_ml"] is None
            or float(planned["final_volume_ml"]) != contents.final_volume_ml
            or float(planned["drug_mg"]) != contents.drug_mg
        )
        if differs and not rate_ml_per_h:
            # The order's rate was worked out for the order's bag; another bag runs at another
            # speed, so the nurse must state the rate for the bag actually on the pump.
            raise InvalidEntry(
                f"This bag ({contents.drug_mg:g} mg in {contents.final_volume_ml:g} mL) differs "
                "from the signed order's: give the pump rate for this bag in mL/h",
                "rate_ml_per_h",
            )
        rate = rate_ml_per_h or order.rate_ml_per_h
        if not rate or rate <= 0:
            raise InvalidEntry("Give the pump rate in mL/h", "rate_ml_per_h")
        session.bag_drug_mg = Decimal(str(contents.drug_mg)).quantize(Decimal("0.01"))
        session.bag_volume_ml = Decimal(str(contents.final_volume_ml)).quantize(Decimal("0.1"))
        session.bag_diluent_ml = (
            None
            if contents.diluent_ml is None
            else Decimal(str(contents.diluent_ml)).quantize(Decimal("0.1"))
        )
    elif not dose_mg or dose_mg <= 0:
        raise InvalidEntry("Give the first dose in mg", "dose_mg")
    session.order = order
    session.drug = DRUG_NAMES.get(session.route, DEFAULT_DRUG)
    session.lot_number = lot_number.strip()
    session.vial_concentration_mg_per_ml = vial or None
    details = {"order": order.pk, "lot_number": session.lot_number}
    if pump:
        details |= {
            "bag_drug_mg": contents.drug_mg,
            "bag_diluent_ml": contents.diluent_ml,
            "bag_volume_ml": contents.final_volume_ml,
            "bag_concentration_mg_per_ml": round(contents.concentration_mg_per_ml, 4),
            "vial_concentration_mg_per_ml": contents.vial_concentration_mg_per_ml,
        }
    step(session, "start_dosing", origin=origin, at=at, details=details)
    if pump:
        administration_record(
            session=session, kind="start", given_at=at, rate_ml_per_h=rate, origin=origin, at=at
        )
    else:
        administration_record(
            session=session, kind="dose", given_at=at, dose_mg=dose_mg, origin=origin, at=at
        )
    return session


@transaction.atomic
def session_end_dosing(
    *, session: TreatmentSession, origin: RequestOrigin, at: dt.datetime, reason: str = ""
) -> TreatmentSession:
    """End dosing (a running pump is stopped now) and start the recovery observation.

    Ending below the signed order needs a reason (InvalidEntry on ``reason``); what was made up
    but not given is then shown as waste to record with a witness (``undelivered_mg``)."""
    session = _locked(session)
    if session.state != "dosing":
        raise SessionRefused(f"The session is {session.state}, not dosing")
    events = list(session.administration.all())
    if not events:
        raise SessionRefused("Nothing has been given: cancel or abort the session instead")
    reason = (reason or "").strip()
    given = administration_summary(session, now=at)
    short_mg = None
    if given.ordered_mg is not None and round(given.ordered_mg - given.dose_mg, 2) > 0:
        short_mg = round(given.ordered_mg - given.dose_mg, 2)
        if not reason:
            raise InvalidEntry(
                f"{given.dose_mg:.2f} mg of the ordered {given.ordered_mg:g} mg has been given: "
                "give the reason for ending below the order",
                "reason",
            )
    pump_events = [e for e in events if e.kind != "dose"]
    if pump_events and pump_events[-1].kind != "stop":
        administration_record(
            session=session, kind="stop", given_at=at, origin=origin, at=at, reason=reason
        )
    details = None
    if short_mg is not None:
        details = {"below_order_mg": short_mg, "given_mg": round(given.dose_mg, 2)}
    session = step(
        session, "end_dosing", origin=origin, at=at, reason=reason or None, details=details
    )
    ended = administration_summary(session, now=at)
    emit(
        DOSING_ENDED,
        session=session,
        given_mg=ended.dose_mg,
        undelivered_mg=ended.undelivered_mg,
        origin=origin,
        at=at,
    )
    return session


@transaction.atomic
def session_discharge(
    *,
    session: TreatmentSession,
    answers: dict[str, str],
    instructions: str,
    origin: RequestOrigin,
    at: dt.datetime,
    actor: Actor | None = None,
    override_reason: str = "",
    ready_to_leave_at: dt.datetime | None = None,
) -> TreatmentSession:
    """Discharge when every criterion of ``monitoring.discharge_check`` is met; an unmet one
    needs an override with a reason by an ``actor`` whose role here may override (a prescriber
    or medical director; without an actor nobody overrides). Open alerts must be acknowledged
    first."""
    session = _locked(session)
    if session.state != "recovery":
        raise SessionRefused(f"Discharge follows recovery; the session is {session.state}")
    if unacknowledged_alerts(session).exists():
        raise SessionRefused("Acknowledge the open alerts of this session before discharge")
    instructions = (instructions or "").strip()
    if not instructions:
        raise InvalidEntry("Give the discharge instructions", "instructions")
    if ready_to_leave_at is not None:
        check_time("Ready to leave", ready_to_leave_at, now=at, not_before=first_dose_at(session))
    assessment = discharge_check(
        discharge_facts(session, answers, at=at), protocol_for(session.clinic, session.route)
    )
    criteria = [
        {"id": c.id, "met": c.met, "reason": c.reason, "provenance": provenance_json(c.provenance)}
        for c in assessment.criteria
    ]
    override_reason = (override_reason or "").strip()
    if not assessment.all_met:
        unmet = "; ".join(c.reason for c in assessment.unmet)
        if actor is None or actor.acting_role not in OVERRIDE_ROLES:
            raise SessionRefused(
                f"Discharge criteria not met: {unmet}. A prescriber may override with a reason.",
                details={"criteria": criteria},
            )
        if not override_reason:
            raise InvalidEntry(
                "An override of unmet discharge criteria needs a reason", "override_reason"
            )
        session.discharge_override_reason = override_reason
        session.discharge_override_by = origin.actor
    session.discharge_facts = {k: Answer.parse(answers.get(k)).value for k in DISCHARGE_ANSWERS}
    session.discharge_criteria = criteria
    session.discharge_instructions = instructions
    session.ready_to_leave_at = ready_to_leave_at
    return step(
        session,
        "discharge",
        origin=origin,
        at=at,
        details={
            "unmet": [c.id for c in assessment.unmet],
            **({"override": override_reason} if not assessment.all_met else {}),
        },
    )


@transaction.atomic
def session_sign(*, session: TreatmentSession, origin: RequestOrigin, at: dt.datetime):
    """The nurse's signature: from here on the record is immutable (addenda only)."""
    session = _locked(session)
    if unacknowledged_alerts(session).exists():
        raise SessionRefused("Acknowledge the open alerts of this session before signing")
    session = step(session, "sign", origin=origin, at=at)
    emit(SESSION_SIGNED, session=session, origin=origin, at=at)
    return session


@transaction.atomic
def session_cosign(*, session: TreatmentSession, origin: RequestOrigin, at: dt.datetime):
    """The prescriber's co-signature; never by the person who signed."""
    session = _locked(session)
    actor_id = getattr(origin.actor, "pk", None)
    if session.signed_by_id is not None and session.signed_by_id == actor_id:
        raise SessionRefused("The co-signature must come from someone other than the signer")
    return step(session, "cosign", origin=origin, at=at)


@transaction.atomic
def session_cancel(*, session, reason: str, origin: RequestOrigin, at: dt.datetime):
    return step(_locked(session), "cancel", origin=origin, at=at, reason=reason)


@transaction.atomic
def session_abort(*, session, reason: str, origin: RequestOrigin, at: dt.datetime):
    """Abort once dosing started. A running pump is stopped now; if that stop cannot be recorded
    (it would show more than the order), the abort still goes ahead and says so in its log."""
    session = _locked(session)
    if not (reason or "").strip():
        raise SessionRefused("A reason is required to abort a session")
    details = {}
    pump_events = [e for e in session.administration.all() if e.kind != "dose"]
    if session.state == "dosing" and pump_events and pump_events[-1].kind != "stop":
        try:
            with transaction.atomic():
                administration_record(
                    session=session, kind="stop", given_at=at, origin=origin, at=at, reason=reason
                )
        except SessionRefused as refused:
            details["pump_stop_not_recorded"] = str(refused)
    return step(session, "abort", origin=origin, at=at, reason=reason, details=details)


ADDENDUM_STATES = ("signed", "cosigned", "cancelled", "aborted")


@transaction.atomic
def session_addendum(
    *, session: TreatmentSession, text: str, reason: str, origin: RequestOrigin, at: dt.datetime
) -> Addendum:
    """A correction or late entry on a closed session, with its reason."""
    if session.state not in ADDENDUM_STATES:
        raise SessionRefused("Until the session is signed, record entries directly")
    text, reason = (text or "").strip(), (reason or "").strip()
    if not text:
        raise InvalidEntry("Write the addendum", "text")
    if not reason:
        raise InvalidEntry("Give the reason for the addendum", "reason")
    row = Addendum.objects.create(
        session=session, text=text, reason=reason, created_at=at, created_by=origin.actor
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="session_addendum",
        object_id=row.pk,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        summary="Addendum added to the session",
        changes={"session": session.pk, "text": text, "reason": reason},
        at=at,
    )
    return row
