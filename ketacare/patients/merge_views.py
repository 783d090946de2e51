"""Merging duplicate records (medical director), from the chart of the record that stays."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from ketacare.core.actions import action
from ketacare.core.errors import Invalid
from ketacare.core.pages import flash_back, form_post
from ketacare.core.roles import Capability
from ketacare.patients import selectors
from ketacare.patients.merge import patient_merge, patient_merge_undo
from ketacare.patients.models import PatientMerge


def _to_chart(request: HttpRequest, patient_id: int) -> str:
    return f"/patients/{patient_id}/"


@form_post(Capability.PATIENT_MERGE, flash_back(_to_chart))
def merge_into(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Merge the record with the posted MRN into this one."""
    act = action(request, Capability.PATIENT_MERGE)
    survivor = selectors.patient_get(act.access, patient_id)
    mrn = request.POST.get("duplicate_mrn", "").strip()
    duplicate = selectors.patients_in_scope(act.access).filter(mrn__iexact=mrn).first()
    if duplicate is None:
        raise Invalid.field("duplicate_mrn", f"No patient with MRN {mrn!r} at this clinic.")
    if request.POST.get("same_person") != "on":
        raise Invalid.field(
            "same_person", "Tick the box to confirm both records are the same person."
        )
    patient_merge(
        survivor=survivor,
        duplicate=duplicate,
        reason=request.POST.get("reason", ""),
        by=act.actor.user,
        **act.stamp,
    )
    messages.success(
        request, f"Merged {duplicate.mrn} into this record; its history shows here too."
    )
    return redirect("patients:detail", patient_id=survivor.pk)


@form_post(
    Capability.PATIENT_MERGE, flash_back(lambda request, merge_id: f"/patients/merges/{merge_id}/")
)
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    act = action(request, Capability.PATIENT_MERGE)
    merge = get_object_or_404(PatientMerge, pk=merge_id, survivor__clinic=act.clinic)
    patient_merge_undo(
        merge=merge, reason=request.POST.get("undo_reason", ""), by=act.actor.user, **act.stamp
    )
    messages.success(request, f"{merge.merged.mrn} is a separate record again.")
    return redirect("patients:detail", patient_id=merge.merged_id)


def merge_detail(request: HttpRequest, merge_id: int) -> HttpResponse:
    """Where an undo refusal returns to: the record that was merged."""
    merge = get_object_or_404(PatientMerge, pk=merge_id, survivor__clinic=request.access.clinic)
    return redirect("patients:detail", patient_id=merge.merged_id)
