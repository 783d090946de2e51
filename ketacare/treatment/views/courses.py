"""Courses: planning one on a screening, its page, phases, checklist, REMS enrolment, aftercare."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.clinical.common import Route
from ketacare.clinical.regimens import templates_for
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability
from ketacare.patients.selectors import patient_get
from ketacare.treatment import forms, presenters, selectors, services
from ketacare.treatment.models import (
    INDICATION_CHOICES,
    ROUTE_CHOICES,
    AftercarePlan,
    TreatmentCourse,
)
from ketacare.treatment.views.common import (
    _audit_view,
)


def _to_course(request: HttpRequest, course_id: int, **_: object) -> str:
    return reverse("treatment:course", args=[course_id])


@require_capability(Capability.PLAN_EDIT)
def course_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request)
    patient = patient_get(request.access, patient_id)
    values = {
        "route": request.POST.get("route") or request.GET.get("route", ""),
        "indication": request.POST.get("indication") or request.GET.get("indication", ""),
        "regimen_key": request.POST.get("regimen_key") or request.GET.get("regimen_key", ""),
        "risk_benefit_note": request.POST.get("risk_benefit_note", ""),
    }
    error, errors, refused_status = "", {}, 200
    if request.method == "POST":
        try:
            course = services.course_create(patient=patient, **values, **act.stamp)
        except DomainError as refused:
            error, errors, refused_status = refused.message, refused.fields, refused.status
        else:
            messages.success(request, f"Planned the {course.route_label} course.")
            return redirect("treatment:course", course_id=course.pk)
    screening = (
        selectors.latest_screening(patient, values["route"], values["indication"])
        if values["route"]
        else None
    )
    protocol = selectors.clinic_protocol(patient.clinic)
    return render(
        request,
        "treatment/course_new.html",
        {
            "patient": patient,
            "values": values,
            "error": error,
            "errors": errors,
            "screening": presenters.screening_dict(screening) if screening else None,
            "routes": ROUTE_CHOICES,
            "indications": INDICATION_CHOICES,
            "templates": _offered_templates(protocol, values["route"], values["indication"]),
        },
        status=refused_status if error else 200,
    )


def _offered_templates(protocol, route: str, indication: str) -> list:
    """The regimens a course for this route and indication may use (all until both are known)."""
    if route not in Route._value2member_map_ or not indication:
        return list(protocol.templates.values())
    return templates_for(protocol.templates.values(), indication=indication, route=route)


def _course_context(request: HttpRequest, course: TreatmentCourse) -> dict:
    now = timezone.now()
    protocol = selectors.clinic_protocol(course.clinic)
    template = protocol.templates.get(course.regimen_key)
    signed = selectors.signed_order(course)
    return {
        "course": course,
        "patient": course.patient,
        "info": presenters.course_dict(
            course,
            signed,
            template.label if template else "",
            selectors.rems_enrolment(course.patient_id),
        ),
        "template": template,
        "orders": [
            presenters.order_dict(o) for o in selectors.orders_visible(course, request.access)
        ],
        "checklist": selectors.course_checklist(course, at=now),
        "appointments": course.appointments.select_related("chair", "nurse").order_by("starts_at"),
        "aftercare": AftercarePlan.objects.filter(course=course).first(),
        "consent_current": selectors.consent_is_current(course.patient, course.route, at=now),
        "relapse": selectors.relapse_status(course) if course.phase == "maintenance" else None,
        "is_esketamine": course.route == Route.ESKETAMINE_NASAL,
    }


@require_capability(Capability.CHART_VIEW)
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = selectors.course_get(request.access, course_id)
    _audit_view(request, patient_id=course.patient_id, clinic_id=course.clinic_id, what="course")
    return render(request, "treatment/course.html", _course_context(request, course))


@form_post(Capability.PLAN_EDIT, flash_back(_to_course))
def course_phase(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    to = request.POST.get("to", "")
    reason = request.POST.get("reason", "")
    relapse = False
    if to == "booster":
        relapse, reason = selectors.booster_grounds(course, reason)
    services.course_move(course=course, to=to, relapse_detected=relapse, reason=reason, **act.stamp)
    messages.success(request, f"Course moved to {to}.")
    return redirect("treatment:course", course_id=course.pk)


@form_post(Capability.PLAN_EDIT, flash_back(_to_course))
def checklist_item(request: HttpRequest, course_id: int, key: str) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    if request.POST.get("action") == "clear":
        services.checklist_clear(course=course, key=key, **act.stamp)
    else:
        services.checklist_confirm(
            course=course, key=key, note=request.POST.get("note", ""), **act.stamp
        )
    return redirect("treatment:course", course_id=course.pk)


@form_post(Capability.PLAN_EDIT, flash_back(_to_course))
def rems_enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    errors: dict[str, str] = {}
    enrolled_on = forms.date_field(request.POST, "enrolled_on", errors)
    if errors:
        messages.error(request, "Enter the REMS enrolment date.")
        return redirect("treatment:course", course_id=course.pk)
    services.course_rems_enrol(
        course=course,
        enrolled_on=enrolled_on,
        enrolment_id=request.POST.get("enrolment_id", ""),
        **act.stamp,
    )
    messages.success(request, "REMS enrolment recorded.")
    return redirect("treatment:course", course_id=course.pk)


AFTERCARE_HELP = {
    "psychotherapy": "e.g. integration session after each treatment; weekly CBT with …",
    "medication_management": "e.g. continue sertraline 150 mg; review at week 4",
    "exercise": "e.g. 30 minutes' walk most days",
    "sleep": "e.g. regular bedtime; no screens an hour before",
    "nutrition": "e.g. regular meals; limit alcohol",
    "stress": "e.g. breathing practice; support group",
    "follow_up_treatments": "e.g. evaluation after infusion 6; maintenance by response",
    "monitoring_schedule": "e.g. PHQ-9 before each treatment and weekly in maintenance",
}


@require_capability(Capability.PLAN_EDIT)
def aftercare_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    act = action(request)
    course = selectors.course_get(request.access, course_id)
    plan = AftercarePlan.objects.filter(course=course).first()
    if request.method == "POST":
        services.aftercare_save(course=course, values=request.POST.dict(), **act.stamp)
        messages.success(request, "Aftercare plan saved; the patient sees it in the portal.")
        return redirect("treatment:course", course_id=course.pk)
    fields = [
        (
            name,
            AftercarePlan._meta.get_field(name).verbose_name.capitalize(),
            getattr(plan, name) if plan else "",
            AFTERCARE_HELP[name],
        )
        for name in AftercarePlan.FIELDS
    ]
    return render(
        request,
        "treatment/aftercare_form.html",
        {"course": course, "patient": course.patient, "fields": fields},
    )
