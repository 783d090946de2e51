"""The draw-up step and the rest of a dose, posted from the session page; every outcome goes
back to the session page (a refusal as a message there)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.controlled_substances import recording
from ketacare.controlled_substances.schemas import DisposeIn, DrawUpIn
from ketacare.controlled_substances.views.common import amount, optional, stock_ids, text, witnesses
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.pages import flash_back, form_post, page_errors
from ketacare.core.roles import Capability
from ketacare.sessions.selectors import session_get


def _session_page(request, session_id: int, anchor: str = "") -> str:
    return reverse("sessions:detail", args=[session_id]) + (f"#{anchor}" if anchor else "")


@form_post(
    Capability.CONTROLLED_RECORD,
    flash_back(lambda request, session_id: _session_page(request, session_id, "draw-up")),
)
def draw_up(request, session_id: int):
    act = action(request, Capability.CONTROLLED_RECORD)
    session = session_get(act.access, session_id)
    lot_id, location_id = stock_ids(request.POST)
    data = recording.parsed(
        DrawUpIn,
        {
            "lot_id": lot_id,
            "location_id": location_id,
            "amount": amount(request.POST),
            "bag_drug_mg": optional(request.POST, "bag_drug_mg"),
            "bag_diluent_ml": optional(request.POST, "bag_diluent_ml"),
            "bag_volume_ml": optional(request.POST, "bag_volume_ml"),
            "rate_ml_per_h": optional(request.POST, "rate_ml_per_h"),
            "first_dose_mg": optional(request.POST, "first_dose_mg"),
        },
    )
    starting = session.state == "prechecks_passed"
    entry = recording.draw_up(request, act, session, data)
    done = f"{entry.quantity_mg:.2f} mg drawn up from lot {entry.lot.number} ({entry.location})"
    messages.success(request, done + (": dosing started." if starting else "."))
    return redirect(_session_page(request, session_id, "vitals" if starting else "cs-h"))


@require_POST
@require_capability(Capability.CONTROLLED_RECORD)
@page_errors(
    flash_back(lambda request, session_id: _session_page(request, session_id, "record-waste"))
)
def dispose(request, session_id: int):
    act = action(request, Capability.CONTROLLED_RECORD)
    session = session_get(act.access, session_id)
    data = recording.parsed(
        DisposeIn,
        {
            "kind": text(request.POST, "kind"),
            "amount": amount(request.POST),
            "witnesses": witnesses(request.POST),
            "reason": text(request.POST, "reason"),
        },
    )
    entry = recording.dispose(request, act, session, data)
    verb = "wasted, witnessed" if entry.kind == "waste" else "returned to stock"
    messages.success(request, f"{entry.quantity_mg:.2f} mg {verb}.")
    return redirect(_session_page(request, session_id, "cs-h"))
