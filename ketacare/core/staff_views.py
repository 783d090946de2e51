"""The clinic's staff page (invite, change roles, deactivate) and the invitee's one-time page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ketacare.core import auth_backend
from ketacare.core.access import require_capability
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.invitations import (
    InvitationInvalid,
    invitation_accept,
    invitation_cancel,
    invitation_resend,
    invitation_resolve,
    invitations_pending,
    staff_invite,
)
from ketacare.core.lockout import paused_clients
from ketacare.core.models import Credential, StaffInvitation, StaffMembership, User
from ketacare.core.pages import flash_back, form_post, page_errors, posted
from ketacare.core.roles import Capability, Role
from ketacare.core.staff import RoleGrant, active_roles, staff_deactivate, staff_of, staff_roles_set

PERSON_FIELDS = ("email", "first_name", "last_name", "credential", "npi")


def grant_from(post) -> RoleGrant:
    return RoleGrant(
        roles=tuple(post.getlist("roles")),
        credential=post.get("credential", ""),
        npi=post.get("npi", ""),
    )


def role_form_context(values: dict | None = None, chosen=()) -> dict:
    """Choices shared by every form that grants roles."""
    return {
        "role_choices": Role.choices,
        "credential_choices": Credential.choices,
        "chosen_roles": set(chosen),
        "values": values or {},
    }


def _staff_page(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    clinic = request.access.clinic
    values = {name: request.POST.get(name, "") for name in PERSON_FIELDS} if error else {}
    return render(
        request,
        "core/staff.html",
        {
            "clinic": clinic,
            "people": staff_of(clinic),
            "invitations": invitations_pending(organisation=clinic.organisation, clinic=clinic),
            "now": timezone.now(),
            "error": error,
            "errors": error.fields if error else {},
            **role_form_context(values, request.POST.getlist("roles") if error else ()),
        },
        status=error.status if error else 200,
    )


@require_capability(Capability.CLINIC_MANAGE)
@page_errors(_staff_page)
def staff_page(request: HttpRequest) -> HttpResponse:
    """Everyone who works at the clinic, pending invitations, and the form to invite someone."""
    if request.method != "POST":
        return _staff_page(request)
    act = action(request, Capability.CLINIC_MANAGE)
    sent = staff_invite(
        organisation=act.clinic.organisation,
        clinic=act.clinic,
        **posted(request, "email", "first_name", "last_name"),
        grant=grant_from(request.POST),
        granted_by=act.access.roles,
        by=act.actor.user,
        **act.stamp,
    )
    if sent.existing_user is not None:
        messages.success(
            request,
            f"{sent.existing_user.email} already has a Ketacare account: the roles are theirs "
            "now, and they were told by e-mail.",
        )
    else:
        messages.success(request, f"Invitation e-mailed to {sent.invitation.email}.")
    return redirect("staff")


def _person(request: HttpRequest, user_id: int) -> User:
    clinic = request.access.clinic
    people = StaffMembership.objects.filter(clinic=clinic).values_list("user_id", flat=True)
    return get_object_or_404(User, pk=user_id, pk__in=people)


def _person_page(request: HttpRequest, error: DomainError | None, user_id: int) -> HttpResponse:
    clinic = request.access.clinic
    person = _person(request, user_id)
    membership = StaffMembership.objects.filter(user=person, clinic=clinic, active=True).first()
    values = {
        "credential": membership.credential if membership else "",
        "npi": membership.npi if membership else "",
    }
    chosen = active_roles(person, clinic)
    if error:
        values = {name: request.POST.get(name, "") for name in ("credential", "npi")}
        chosen = set(request.POST.getlist("roles"))
    return render(
        request,
        "core/staff_person.html",
        {
            "clinic": clinic,
            "person": person,
            "active": bool(active_roles(person, clinic)) and person.is_active,
            "sign_in_paused": paused_clients(person.get_username(), timezone.now()),
            "error": error,
            "errors": error.fields if error else {},
            **role_form_context(values, chosen),
        },
        status=error.status if error else 200,
    )


@require_capability(Capability.CLINIC_MANAGE)
@page_errors(_person_page)
def staff_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """One person's roles at this clinic."""
    if request.method != "POST":
        return _person_page(request, None, user_id)
    act = action(request, Capability.CLINIC_MANAGE)
    person = _person(request, user_id)
    staff_roles_set(
        clinic=act.clinic,
        user=person,
        grant=grant_from(request.POST),
        granted_by=act.access.roles,
        **act.stamp,
    )
    messages.success(request, f"Roles of {person.get_full_name() or person.username} saved.")
    return redirect("staff")


@form_post(
    Capability.CLINIC_MANAGE,
    flash_back(lambda request, user_id: reverse("staff_person", args=[user_id])),
)
def staff_deactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    act = action(request, Capability.CLINIC_MANAGE)
    person = _person(request, user_id)
    staff_deactivate(
        clinic=act.clinic,
        user=person,
        by=act.actor.user,
        granted_by=act.access.roles,
        reason=request.POST.get("reason", ""),
        **act.stamp,
    )
    messages.success(
        request,
        f"{person.get_full_name() or person.username} is deactivated: signed out everywhere, "
        "API tokens revoked.",
    )
    return redirect("staff")


def _invitation(request: HttpRequest, invitation_id: int) -> StaffInvitation:
    return get_object_or_404(StaffInvitation, pk=invitation_id, clinic=request.access.clinic)


@form_post(Capability.CLINIC_MANAGE, flash_back(lambda request, invitation_id: reverse("staff")))
def invitation_resend_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    act = action(request, Capability.CLINIC_MANAGE)
    invitation = _invitation(request, invitation_id)
    invitation_resend(invitation=invitation, by=act.actor.user, **act.stamp)
    messages.success(request, f"A new invitation was e-mailed to {invitation.email}.")
    return redirect("staff")


@form_post(Capability.CLINIC_MANAGE, flash_back(lambda request, invitation_id: reverse("staff")))
def invitation_cancel_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    act = action(request, Capability.CLINIC_MANAGE)
    invitation = invitation_cancel(invitation=_invitation(request, invitation_id), **act.stamp)
    messages.success(request, f"The invitation of {invitation.email} is cancelled.")
    return redirect("staff")


@never_cache
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee sets a password from the e-mailed link (no login); then they are signed in,
    and a clinic that requires two-factor sign-in takes them to set up their authenticator."""
    act = action(request)
    try:
        invitation = invitation_resolve(token, now=act.at)
    except InvitationInvalid as invalid:
        return render(request, "core/link_invalid.html", {"reason": str(invalid)}, status=410)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = invitation_accept(
                token=token, **posted(request, "password", "password_again"), **act.stamp
            )
        except InvitationInvalid as invalid:
            return render(request, "core/link_invalid.html", {"reason": str(invalid)}, status=410)
        except DomainError as refused:
            errors = refused.fields or {"password": refused.message}
        else:
            login(request, user, backend=auth_backend.PATH)
            messages.success(request, "Welcome to Ketacare: your account is ready.")
            return redirect("home")
    return render(
        request,
        "core/invitation_accept.html",
        {
            "invitation": invitation,
            "where": invitation.clinic or invitation.organisation,
            "two_factor": bool(invitation.clinic and invitation.clinic.require_two_factor),
            "errors": errors,
        },
        status=422 if errors else 200,
    )
