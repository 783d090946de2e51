"""The ledger's own pages: the safe at a glance, the ledger with filters, the count screen and a
count's result, recording entries, and the medical director's discrepancies and loss steps."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.audit.services import audit_record
from ketacare.clinical.controlled_substances import RULES
from ketacare.controlled_substances import recording, selectors, services
from ketacare.controlled_substances.models import Count, DiscrepancyResolution, LedgerEntry
from ketacare.controlled_substances.schemas import CountIn, EntryIn
from ketacare.controlled_substances.views.common import amount, optional, stock_ids, text, witnesses
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError, Invalid
from ketacare.core.pages import flash_back, form_post, page_errors
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patients_in_scope

ENTRY_FORMS = {
    "receipt": "Receive stock",
    "transfer": "Transfer",
    "loss": "Loss or theft",
    "return_to_distributor": "Return to a reverse distributor",
    "destruction": "Destruction (Form 41)",
    "dispense": "Dispense to take home",
    "correction": "Correct an entry",
}


def _today(act) -> dt.date:
    return act.at.astimezone(act.clinic.zone).date()


@require_GET
@require_capability(Capability.CONTROLLED_VIEW)
def safe(request):
    """Every location's stock at a glance, with what needs attention."""
    act = action(request, Capability.CONTROLLED_VIEW)
    clinic, today = act.clinic, _today(act)
    rows = selectors.balances(clinic)
    due, remind = selectors.inventory_reminder_due(clinic, today=today)
    return render(
        request,
        "controlled_substances/safe.html",
        {
            "by_location": selectors.stocks_by_location(rows),
            "totals": selectors.product_totals(rows),
            "discrepancies": list(selectors.open_discrepancies(clinic)),
            "findings": DiscrepancyResolution.Finding.choices,
            "losses": selectors.loss_report_rows(clinic, today=today),
            "registration": selectors.registration(clinic),
            "registration_state": selectors.registration_state(clinic, today=today),
            "inventory": due,
            "remind": remind,
            "today": today,
            "counts": selectors.counts(clinic, limit=8),
            "locations": selectors.locations(clinic),
            "rules": RULES,
            "entry_forms": ENTRY_FORMS,
        },
    )


@require_GET
@require_capability(Capability.CONTROLLED_VIEW)
def ledger(request):
    """Every entry, newest first, filtered by kind, product, lot, location and dates."""
    act = action(request, Capability.CONTROLLED_VIEW)
    g = request.GET
    zone = act.clinic.zone

    def day(name: str, shift: int = 0) -> dt.datetime | None:
        try:
            value = dt.date.fromisoformat(g.get(name, ""))
        except ValueError:
            return None
        return dt.datetime.combine(value + dt.timedelta(days=shift), dt.time(), zone)

    def number(name: str) -> int | None:
        return int(g[name]) if g.get(name, "").isdigit() else None

    rows = selectors.ledger_entries(
        act.access,
        kind=g.get("kind") or None,
        product_id=number("product"),
        lot_id=number("lot"),
        location_id=number("location"),
        patient_id=number("patient"),
        session_id=number("session"),
        occurred_from=day("from"),
        occurred_to=day("to", 1),
    ).select_related("corrects", "correction")
    page = Paginator(rows, 100).get_page(g.get("page"))
    patients = sorted({e.patient_id for e in page if e.patient_id})
    if patients:
        audit_record(
            origin=act.origin,
            action="view",
            object_type="ledger",
            clinic_id=act.clinic.pk,
            summary=f"Viewed the controlled-substance ledger ({len(page)} entries)",
            changes={"patient_ids": patients},
            at=act.at,
        )
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "controlled_substances/ledger.html",
        {
            "page": page,
            "kinds": LedgerEntry.KIND_CHOICES,
            "products": selectors.products(act.clinic),
            "locations": selectors.locations(act.clinic),
            "filters": g,
            "query": query.urlencode(),
        },
    )


def _count_context(act, request, *, kind: str, location_id: int | None):
    inventory = kind in Count.INVENTORY_KINDS
    locations = list(selectors.locations(act.clinic))
    location = None
    if not inventory:
        location = next((loc for loc in locations if loc.pk == location_id), None) or (
            locations[0] if locations else None
        )
    rows = selectors.balances(act.clinic, location=location)
    return {
        "kind": kind,
        "kinds": Count.Kind.choices,
        "periods": Count.Period.choices,
        "inventory": inventory,
        "location": location,
        "locations": locations,
        "rows": rows,
        "other_stock": [
            b
            for b in selectors.balances(act.clinic, include_empty=True)
            if (location is None or b.location == location) and b.units == 0
        ],
    }


def _count_refused(request, error: DomainError):
    act = action(request, Capability.CONTROLLED_RECORD)
    context = _count_context(
        act,
        request,
        kind=text(request.POST, "kind") or "opening",
        location_id=int(request.POST["location"])
        if request.POST.get("location", "").isdigit()
        else None,
    )
    context |= {"errors": error.fields or {"form": error.message}, "refusal": error.message,
                "values": request.POST}  # fmt: skip
    return render(request, "controlled_substances/count.html", context, status=error.status)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.CONTROLLED_RECORD)
@page_errors(_count_refused)
def count(request):
    """The count screen: keyboard first (type, Tab, Enter), blind — the ledger's balances are
    shown with the result, not before."""
    act = action(request, Capability.CONTROLLED_RECORD)
    if request.method == "GET":
        location = request.GET.get("location", "")
        context = _count_context(
            act,
            request,
            kind=request.GET.get("kind") or "opening",
            location_id=int(location) if location.isdigit() else None,
        )
        return render(request, "controlled_substances/count.html", context | {"values": {}})
    post = request.POST
    lines = []
    for key in post.getlist("stock"):
        lot_id, location_id = (int(p) for p in key.split("-", 1))
        sealed, opened = text(post, f"sealed-{key}"), text(post, f"opened-{key}")
        if sealed == "" and opened == "":
            continue
        lines.append(
            {
                "lot_id": lot_id,
                "location_id": location_id,
                "sealed_containers": sealed or 0,
                "opened_units": opened or 0,
            }
        )
    data = recording.parsed(
        CountIn,
        {
            "kind": text(post, "kind"),
            "period": text(post, "period") or "day",
            "location_id": optional(post, "location"),
            "lines": lines,
            "note": text(post, "note"),
        },
    )
    row = recording.count(act, data)
    opened = sum(1 for line in row.lines.all() if hasattr(line, "discrepancy"))
    if opened:
        messages.warning(request, f"{opened} discrepancy(ies): the medical director has been told.")
    else:
        messages.success(request, "Count recorded: it matches the ledger.")
    return redirect("controlled_substances:count_detail", count_id=row.pk)


@require_GET
@require_capability(Capability.CONTROLLED_VIEW)
def count_detail(request, count_id: int):
    act = action(request, Capability.CONTROLLED_VIEW)
    row = selectors.count_get(act.access, count_id)
    lines = row.lines.select_related("product", "lot", "location", "discrepancy")
    return render(
        request, "controlled_substances/count_detail.html", {"count": row, "lines": lines}
    )


def _entry_form_context(act, kind: str, request) -> dict:
    today = _today(act)
    entry_id = request.GET.get("entry") or request.POST.get("corrects_id")
    return {
        "kind": kind,
        "title": ENTRY_FORMS[kind],
        "entry_forms": ENTRY_FORMS,
        "products": selectors.products(act.clinic, active_only=True),
        "locations": selectors.locations(act.clinic),
        "stock": [b for b in selectors.balances(act.clinic) if b.lot.expires_on >= today]
        if kind == "dispense"
        else selectors.balances(act.clinic),
        "patients": patients_in_scope(act.access).order_by("last_name")[:500]
        if kind == "dispense"
        else [],
        "correcting": selectors.entry_get(act.access, int(entry_id))
        if kind == "correction" and str(entry_id or "").isdigit()
        else None,
        "witness_slots": range(2),
        "today": today,
    }


def _entry_refused(request, error: DomainError, kind: str):
    act = action(request, Capability.CONTROLLED_RECORD)
    context = _entry_form_context(act, kind, request) | {
        "errors": error.fields or {"form": error.message},
        "refusal": error.message,
        "values": request.POST,
    }
    return render(request, "controlled_substances/record.html", context, status=error.status)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.CONTROLLED_RECORD)
@page_errors(_entry_refused)
def record(request, kind: str):
    """One form per kind of stock entry (receipt, transfer, loss, ...)."""
    if kind not in ENTRY_FORMS:
        raise Invalid.field("kind", "No such kind of entry")
    act = action(request, Capability.CONTROLLED_RECORD)
    if request.method == "GET":
        return render(
            request,
            "controlled_substances/record.html",
            _entry_form_context(act, kind, request) | {"values": {}, "errors": {}},
        )
    post = request.POST
    fields: dict = {"kind": kind, "reason": text(post, "reason")}
    if kind == "correction":
        fields["corrects_id"] = optional(post, "corrects_id")
    else:
        fields["amount"] = amount(post)
        if kind == "receipt":
            fields |= {
                "product_id": optional(post, "product_id"),
                "location_id": optional(post, "location_id"),
                "lot_number": text(post, "lot_number"),
                "lot_expires_on": optional(post, "lot_expires_on"),
            }
            received = optional(post, "received_on")
            if received:
                on = dt.date.fromisoformat(received)
                now = timezone.localtime(act.at, act.clinic.zone)
                fields["occurred_at"] = (
                    act.at
                    if on == now.date()
                    else dt.datetime.combine(on, dt.time(12), act.clinic.zone)
                )
        else:
            fields["lot_id"], fields["location_id"] = stock_ids(post)
        fields |= {
            "to_location_id": optional(post, "to_location_id"),
            "counterparty_name": text(post, "counterparty_name"),
            "counterparty_address": text(post, "counterparty_address"),
            "counterparty_dea_number": text(post, "counterparty_dea_number"),
            "document_reference": text(post, "document_reference"),
            "patient_id": optional(post, "patient_id"),
            "witnesses": witnesses(post),
        }
    entries = recording.entry_record(request, act, recording.parsed(EntryIn, fields))
    messages.success(
        request, f"{ENTRY_FORMS[kind]}: entry #{', #'.join(str(e.sequence) for e in entries)}."
    )
    return redirect(reverse("controlled_substances:ledger"))


def _back_to_safe(request, *args, **kwargs) -> str:
    return reverse("controlled_substances:safe")


@form_post(Capability.CONTROLLED_OVERSEE, flash_back(_back_to_safe))
def resolve(request, discrepancy_id: int):
    act = action(request, Capability.CONTROLLED_OVERSEE)
    services.discrepancy_resolve(
        discrepancy=selectors.discrepancy_get(act.access, discrepancy_id),
        finding=text(request.POST, "finding"),
        explanation=text(request.POST, "explanation"),
        adjust=request.POST.get("adjust") == "yes",
        **act.stamp,
    )
    messages.success(request, "Discrepancy resolved.")
    return redirect("controlled_substances:safe")


@form_post(Capability.CONTROLLED_OVERSEE, flash_back(_back_to_safe))
def loss_step(request, report_id: int):
    act = action(request, Capability.CONTROLLED_OVERSEE)
    try:
        done_on = dt.date.fromisoformat(text(request.POST, "done_on"))
    except ValueError:
        raise Invalid.field("done_on", "Give the date it was done") from None
    services.loss_step_record(
        report=selectors.loss_report_get(act.access, report_id),
        step=text(request.POST, "step"),
        done_on=done_on,
        reference=text(request.POST, "reference"),
        **act.stamp,
    )
    messages.success(request, "Loss report step recorded.")
    return redirect("controlled_substances:safe")
