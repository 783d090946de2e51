"""The long-term safety page of a patient and its forms; every write goes through ``services``
and comes back to the page (or the session page it was made from) with its message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme

from ketacare.clinical.longterm import settings as keys
from ketacare.core.access import require_capability
from ketacare.core.actions import action, audit_read
from ketacare.core.errors import Invalid
from ketacare.core.pages import flash_back, form_post, posted
from ketacare.core.roles import Capability
from ketacare.longterm import charts, selectors, services
from ketacare.longterm.models import ContinuationReview, DispensingLimit, LiverResult, SignalReview
from ketacare.longterm.presenters import exposure_rows
from ketacare.patients.selectors import patient_get
from ketacare.sessions.selectors import session_get


def _page(request, patient_id: int) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("longterm:patient", args=[patient_id])


back = flash_back(_page)


def _when(raw: str, field: str, zone) -> dt.datetime:
    raw = (raw or "").strip()
    if not raw:
        return timezone.now()
    moment = parse_datetime(raw)
    if moment is None:
        raise Invalid.field(field, "Give the date and time as YYYY-MM-DD HH:MM")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone)


@require_capability(Capability.LONGTERM_VIEW)
def patient_page(request, patient_id: int):
    act = action(request, Capability.LONGTERM_VIEW)
    patient = patient_get(act.access, patient_id)
    view = services.overview_synced(patient=patient, **act.stamp)
    audit_read(act, object_type="longterm", patient=patient, summary="Long-term safety page read")
    return render(
        request,
        "longterm/patient.html",
        {
            "patient": patient,
            "view": view,
            "rows": exposure_rows(view),
            "exposure_chart": charts.exposure_chart(view.exposure.months),
            "urinary_chart": charts.urinary_chart(view.urinary, len(view.checklist)),
            "signal_decisions": SignalReview.Decision.choices,
            "continuation_decisions": ContinuationReview.Decision.choices,
            "limit_modes": DispensingLimit.OnExceed.choices,
            "analytes": keys.LIVER_ANALYTES.items(),
            "flags": LiverResult.Flag.choices,
            "zone": patient.clinic.time_zone,
        },
    )


@form_post(Capability.LONGTERM_RECORD, back)
def urinary_check(request, patient_id: int):
    act = action(request, Capability.LONGTERM_RECORD)
    patient = patient_get(act.access, patient_id)
    items = selectors.checklist_of(selectors.clinic_protocol(patient.clinic))
    answers = {}
    for index, item in enumerate(items):
        value = request.POST.get(f"q{index}")
        if value not in ("yes", "no"):
            raise Invalid.field(f"q{index}", f"Answer “{item}”")
        answers[item] = value == "yes"
    session = None
    if request.POST.get("session"):
        session = session_get(act.access, int(request.POST["session"]))
        if session.patient_id != patient.pk:
            raise Invalid.field("session", "That session is another patient's")
    check = services.urinary_check_record(
        patient=patient, answers=answers, note=request.POST.get("note", ""), session=session,
        **act.stamp,
    )  # fmt: skip
    if check.positive:
        messages.warning(request, "Urinary symptoms recorded; the prescriber has been alerted.")
    else:
        messages.success(request, "Urinary symptom check recorded: no symptoms.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_RECORD, back)
def cognitive_screen(request, patient_id: int):
    act = action(request, Capability.LONGTERM_RECORD)
    patient = patient_get(act.access, patient_id)
    services.cognitive_screen_record(
        patient=patient,
        **posted(request, "score", "instrument", "note"),
        administered_at=_when(
            request.POST.get("administered_at", ""), "administered_at", patient.clinic.zone
        ),
        **act.stamp,
    )
    messages.success(request, "Cognitive screen recorded.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_RECORD, back)
def liver_result(request, patient_id: int):
    act = action(request, Capability.LONGTERM_RECORD)
    patient = patient_get(act.access, patient_id)
    collected = parse_date(request.POST.get("collected_on", "") or "")
    if collected is None:
        raise Invalid.field("collected_on", "Give the collection date as YYYY-MM-DD")
    services.liver_result_record(
        patient=patient,
        **posted(request, "analyte", "value", "unit", "lab_flag"),
        collected_on=collected,
        lab_lower=request.POST.get("lab_lower") or None,
        lab_upper=request.POST.get("lab_upper") or None,
        **act.stamp,
    )
    messages.success(request, "Liver result recorded.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_REVIEW, back)
def signal_review(request, patient_id: int, signal_id: int):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient = patient_get(act.access, patient_id)
    signal = selectors.signal_get(act.access, signal_id)
    if signal.patient_id != patient.pk:
        raise Invalid("That signal is another patient's")
    services.signal_review(
        signal=signal, **posted(request, "decision", "note"), actor=act.actor, **act.stamp
    )
    messages.success(request, "Signal reviewed and closed.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_REVIEW, back)
def addendum(request, patient_id: int):
    act = action(request, Capability.LONGTERM_REVIEW)
    patient_get(act.access, patient_id)
    target = {}
    if request.POST.get("signal_review"):
        target["signal_review"] = selectors.signal_review_get(
            act.access, int(request.POST["signal_review"])
        )
    elif request.POST.get("continuation_review"):
        target["continuation_review"] = selectors.continuation_get(
            act.access, int(request.POST["continuation_review"])
        )
    services.addendum_add(
        text=request.POST.get("text", ""), actor=act.actor, **act.stamp,
        **target,
    )  # fmt: skip
    messages.success(request, "Addendum added.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_REVIEW, back)
def continuation_review(request, patient_id: int):
    act = action(request, Capability.LONGTERM_REVIEW)
    services.continuation_review_sign(
        patient=patient_get(act.access, patient_id),
        **posted(request, "decision", "rationale"),
        actor=act.actor,
        **act.stamp,
    )
    messages.success(request, "Continuation review signed.")
    return redirect(_page(request, patient_id))


@form_post(Capability.LONGTERM_REVIEW, back)
def dispensing_limit(request, patient_id: int):
    act = action(request, Capability.LONGTERM_REVIEW)
    raw_days = request.POST.get("period_days", "")
    if not raw_days.isdigit():
        raise Invalid.field("period_days", "Give the period as a whole number of days")
    services.dispensing_limit_set(
        patient=patient_get(act.access, patient_id),
        **posted(request, "max_mg", "on_exceed", "note"),
        period_days=int(raw_days),
        actor=act.actor,
        **act.stamp,
    )
    messages.success(request, "Take-home limit set.")
    return redirect(_page(request, patient_id))
