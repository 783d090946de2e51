"""What the ledger adds to shared pages: on the session page the draw-up step (in place of the
session's own start form), the dose's ledger record with its waste or return, and the waste
prompt; on the dashboard what the medical director and the nurses must not miss."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from ketacare.clinical.common import Route
from ketacare.clinical.controlled_substances import (
    ESKETAMINE_MG_PER_DEVICE,
    FORMS_FOR_ROUTE,
    WASTE_WITNESSES,
    DoseAccount,
    ProductForm,
)
from ketacare.controlled_substances import selectors
from ketacare.core.roles import Capability
from ketacare.sessions.selectors import uses_pump


@dataclass(frozen=True)
class SessionLedger:
    """What the session page's ledger panels show, read once per request for all of them."""

    in_use: bool
    draw_ups: list
    done: list
    account: DoseAccount | None


def _session_ledger(request, session) -> SessionLedger:
    memo = request.__dict__.setdefault("_session_ledger", {})
    if session.pk not in memo:
        in_use = selectors.ledger_in_use(session.clinic)
        draw_ups = selectors.session_draw_ups(session) if in_use else []
        done = selectors.session_dispositions(session) if draw_ups else []
        account = (
            selectors.session_dose_account(
                session, now=timezone.now(), draw_ups=draw_ups, done=done
            )
            if draw_ups
            else None
        )
        memo[session.pk] = SessionLedger(in_use, draw_ups, done, account)
    return memo[session.pk]


def _ledger_session(request, session) -> bool:
    return (
        request.access.can(Capability.CONTROLLED_VIEW) and _session_ledger(request, session).in_use
    )


def _stock_choices(session, now):
    today = now.astimezone(session.clinic.zone).date()
    return selectors.on_hand_for_route(session.clinic, session.route, on=today)


def dosing_start_panel(request, session) -> str | None:
    """Draw the dose up from stock and start dosing, once the clinic keeps its ledger here."""
    if not selectors.ledger_in_use(session.clinic):
        return None
    now = timezone.now()
    form = FORMS_FOR_ROUTE[Route(session.route)]
    order = session.order
    return render_to_string(
        "controlled_substances/_dosing_start.html",
        {
            "session": session,
            "stock": _stock_choices(session, now),
            "pump": uses_pump(session),
            "devices": form == ProductForm.NASAL_DEVICE,
            "order": order,
            "can_record": request.access.can(Capability.CONTROLLED_RECORD),
            "default_devices": int(order.dose_mg // ESKETAMINE_MG_PER_DEVICE)
            if order and form == ProductForm.NASAL_DEVICE
            else None,
        },
        request=request,
    )


def session_panel(request, session) -> str | None:
    """The dose's ledger record: drawn up (lot, location, who), given, wasted or returned, and
    what is still open; more can be drawn up while dosing, the rest disposed of after."""
    if not _ledger_session(request, session):
        return None
    ledger = _session_ledger(request, session)
    if not ledger.draw_ups and session.state != "dosing":
        return None
    now = timezone.now()
    dosed = session.state in selectors.DOSED_STATES
    required = selectors.setting(session.clinic, WASTE_WITNESSES)
    return render_to_string(
        "controlled_substances/_session_panel.html",
        {
            "session": session,
            "draw_ups": ledger.draw_ups,
            "done": ledger.done,
            "account": ledger.account,
            "dosing": session.state == "dosing",
            "dosed": dosed,
            "stock": _stock_choices(session, now) if session.state == "dosing" else [],
            "devices": FORMS_FOR_ROUTE[Route(session.route)] != ProductForm.VIAL,
            "witness_slots": range(required or 1),
            "can_record": request.access.can(Capability.CONTROLLED_RECORD),
        },
        request=request,
    )


def waste_prompt(request, session) -> str | None:
    """In place of the session's prompt: what of the drawn dose is still to waste or return."""
    if not _ledger_session(request, session) or session.state not in selectors.DOSED_STATES:
        return None
    ledger = _session_ledger(request, session)
    if ledger.account is None:
        return None
    return render_to_string(
        "controlled_substances/_waste_prompt.html",
        {"account": ledger.account, "done": ledger.done},
        request=request,
    )


def dashboard_panel(request) -> str | None:
    """Open discrepancies, loss-report deadlines, the next inventory and the registration."""
    access = request.access
    if access.clinic is None or not access.can(Capability.CONTROLLED_VIEW):
        return None
    clinic = access.clinic
    if not selectors.ledger_in_use(clinic):
        return None
    today = timezone.now().astimezone(clinic.zone).date()
    due, remind = selectors.inventory_reminder_due(clinic, today=today)
    context = {
        "discrepancies": list(selectors.open_discrepancies(clinic)),
        "losses": selectors.loss_report_rows(clinic, today=today, open_only=True),
        "inventory": due,
        "remind": remind,
        "today": today,
        "registration": selectors.registration_state(clinic, today=today),
    }
    registration = context["registration"]
    quiet = registration is None or not registration.warning
    if quiet and not (context["discrepancies"] or context["losses"] or remind):
        return None
    return render_to_string("controlled_substances/_dashboard_panel.html", context, request=request)
