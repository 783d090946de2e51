"""Orders: computing a dose (htmx preview) and saving a draft, signing, cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketacare.clinical.common import Route
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DOMAIN_ERRORS, as_domain_error
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability
from ketacare.patients.selectors import body_measures
from ketacare.treatment import forms, selectors, services
from ketacare.treatment.models import (
    TreatmentCourse,
)
from ketacare.treatment.views.common import (
    _audit_view,
)


def _to_order_course(request: HttpRequest, order_id: int) -> str:
    return reverse(
        "treatment:course", args=[selectors.order_get(request.access, order_id).course_id]
    )


def _order_defaults(course: TreatmentCourse) -> dict:
    protocol = selectors.clinic_protocol(course.clinic)
    previous = selectors.last_dosed_order(course)
    defaults: dict = {}
    if course.route == Route.RACEMIC_IV:
        defaults = {
            "dose_mg_per_kg": protocol.iv.standard_mg_per_kg,
            "infusion_minutes": int(protocol.iv.infusion_minutes),
        }
    elif course.route == Route.ESKETAMINE_NASAL:
        defaults = {"dose_mg": 56 if previous is None else int(previous.dose_mg)}
    if previous is not None and previous.calculation.get("input"):
        defaults.update(previous.calculation["input"])
    return defaults


@require_capability(Capability.PLAN_EDIT)
def order_new(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    values = request.POST.dict() if request.method == "POST" else _order_defaults(course)
    error, errors, preview, refused_status = "", {}, None, 200
    if request.method == "POST":
        inputs, errors = forms.dose_input(request.POST)
        reason = request.POST.get("titration_reason", "")
        if not errors:
            step = request.POST.get("action", "preview")
            try:
                if step == "save":
                    services.order_draft(
                        course=course,
                        inputs=inputs,
                        titration_reason=reason,
                        instructions=request.POST.get("instructions", ""),
                        **act.stamp,
                    )
                    messages.success(request, "Draft order saved: a prescriber signs it next.")
                    return redirect("treatment:course", course_id=course.pk)
                preview = selectors.dose_preview(
                    course=course, inputs=inputs, titration_reason=reason, at=act.at
                )
            except DOMAIN_ERRORS as raised:
                refused = as_domain_error(raised)
                error, refused_status = refused.message, refused.status
    if request.method == "GET":
        _audit_view(
            request, patient_id=course.patient_id, clinic_id=course.clinic_id, what="dosing"
        )
    body = selectors.body_for_dosing(course.patient)
    context = {
        "course": course,
        "patient": course.patient,
        "values": values,
        "errors": errors,
        "error": error,
        "preview": preview,
        "body": body,
        "measures": body_measures(course.patient, body.intake.data if body.intake else None),
        "protocol": selectors.clinic_protocol(course.clinic),
        "previous": selectors.last_dosed_order(course),
    }
    if request.htmx:  # htmx swaps only 2xx answers: the refusal is shown in the partial
        if errors:
            context["error"] = " ".join(errors.values())
        return render(request, "treatment/_dose_result.html", context)
    status = 422 if errors else refused_status
    return render(request, "treatment/order_new.html", context, status=status)


@form_post(Capability.ORDER_SIGN, flash_back(_to_order_course))
def order_sign(request: HttpRequest, order_id: int) -> HttpResponse:
    act = action(request)
    order = selectors.order_get(request.access, order_id)
    services.order_sign(order=order, **act.stamp)
    messages.success(request, "Order signed: it is now the course's actionable order.")
    return redirect("treatment:course", course_id=order.course_id)


@form_post(Capability.PLAN_EDIT, flash_back(_to_order_course))
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    act = action(request)
    order = selectors.order_get(request.access, order_id)
    services.order_cancel(order=order, reason=request.POST.get("reason", ""), **act.stamp)
    messages.success(request, "Order cancelled.")
    return redirect("treatment:course", course_id=order.course_id)
