"""An admin unlocks a staff member's paused sign-in (ketacare.core.lockout)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.lockout import sign_in_unlock
from ketacare.core.models import StaffMembership, User
from ketacare.core.roles import Capability


@require_POST
@require_capability(Capability.CLINIC_MANAGE)
def staff_unlock_sign_in(request: HttpRequest, user_id: int) -> HttpResponse:
    act = action(request, Capability.CLINIC_MANAGE)
    staff_here = StaffMembership.objects.filter(clinic=act.clinic).values_list("user", flat=True)
    person = get_object_or_404(User, pk=user_id, pk__in=staff_here)
    sign_in_unlock(user=person, clinic_id=act.clinic.pk, **act.stamp)
    name = person.get_full_name() or person.username
    messages.success(request, f"{name} can sign in again now, from every device.")
    return redirect("staff_person", user_id=person.pk)
