"""Clinic settings for clinic admins and medical directors: details, two-factor, chairs, staff."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ketacare.audit.services import RequestOrigin, audit_record, diff, snapshot
from ketacare.core.access import require_capability
from ketacare.core.models import Chair, Clinic, StaffMembership
from ketacare.core.roles import Capability
from ketacare.core.time_zones import time_zone_choices

CLINIC_FIELDS = (
    "name",
    "time_zone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "email",
    "require_two_factor",
)


class ClinicForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Every time Ketacare shows for this clinic (pages, alerts, e-mails) is in it.",
        error_messages={
            "required": "Choose the clinic's time zone.",
            "invalid_choice": "%(value)s is not a known IANA time zone: choose one from the list.",
        },
    )

    class Meta:
        model = Clinic
        fields = CLINIC_FIELDS


class ChairForm(forms.ModelForm):
    class Meta:
        model = Chair
        fields = ("name", "kind")


@require_capability(Capability.CLINIC_MANAGE)
def clinic_settings(request: HttpRequest) -> HttpResponse:
    clinic = request.access.clinic
    form = ClinicForm(instance=clinic)
    if request.method == "POST":
        before = snapshot(clinic, CLINIC_FIELDS)
        form = ClinicForm(request.POST, instance=clinic)
        if form.is_valid():
            with transaction.atomic():
                clinic = form.save()
                changes = diff(before, snapshot(clinic, CLINIC_FIELDS))
                if changes:
                    audit_record(
                        origin=RequestOrigin.from_request(request),
                        action="update",
                        object_type="clinic",
                        object_id=clinic.pk,
                        clinic_id=clinic.pk,
                        summary=f"Clinic settings changed: {', '.join(changes)}",
                        changes=changes,
                    )
            messages.success(request, "Clinic settings saved.")
            return redirect("clinic_settings")
    context = {
        "form": form,
        "chair_form": ChairForm(),
        "chairs": clinic.chairs.all(),
        "memberships": StaffMembership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("role", "user__last_name"),
    }
    return render(request, "core/clinic_settings.html", context, status=422 if form.errors else 200)


@require_POST
@require_capability(Capability.CLINIC_MANAGE)
def chair_add(request: HttpRequest) -> HttpResponse:
    clinic = request.access.clinic
    form = ChairForm(request.POST, instance=Chair(clinic=clinic))
    if form.is_valid():
        if clinic.chairs.filter(name__iexact=form.cleaned_data["name"]).exists():
            messages.error(request, "A chair or room with that name already exists.")
            return redirect("clinic_settings")
        chair = form.save()
        audit_record(
            origin=RequestOrigin.from_request(request),
            action="create",
            object_type="chair",
            object_id=chair.pk,
            clinic_id=clinic.pk,
            summary=f"Added {chair.name}",
        )
        messages.success(request, f"Added {chair.name}.")
    else:
        messages.error(request, "Give the chair or room a name.")
    return redirect("clinic_settings")


@require_POST
@require_capability(Capability.CLINIC_MANAGE)
def chair_toggle(request: HttpRequest, chair_id: int) -> HttpResponse:
    chair = get_object_or_404(Chair, pk=chair_id, clinic=request.access.clinic)
    chair.active = not chair.active
    chair.save(update_fields=["active"])
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="update",
        object_type="chair",
        object_id=chair.pk,
        clinic_id=chair.clinic_id,
        summary=f"{'Reopened' if chair.active else 'Closed'} {chair.name}",
        changes={"active": {"before": not chair.active, "after": chair.active}},
    )
    return redirect("clinic_settings")
