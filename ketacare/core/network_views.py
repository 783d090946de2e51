"""The network page: an organisation-wide medical director manages every clinic and who works
where (clinics, invitations, roles per clinic, deactivation) from one place."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.core.actions import Action, action
from ketacare.core.errors import DomainError, Forbidden
from ketacare.core.invitations import (
    invitation_cancel,
    invitation_resend,
    invitations_pending,
    staff_invite,
)
from ketacare.core.models import Clinic, Organisation, StaffInvitation, StaffMembership, User
from ketacare.core.pages import flash_back, page_errors, posted
from ketacare.core.roles import Role
from ketacare.core.setup import clinic_add
from ketacare.core.staff import active_roles, staff_deactivate, staff_roles_set
from ketacare.core.staff_views import PERSON_FIELDS, grant_from, role_form_context
from ketacare.core.time_zones import time_zone_choices

# A network director holds the medical-director role in every clinic of the network.
NETWORK_GRANTS = frozenset({Role.MEDICAL_DIRECTOR})


def network_action(request: HttpRequest) -> tuple[Action, Organisation]:
    """The acting network director and their organisation; Forbidden for everyone else."""
    act = action(request)
    if not act.access.directs_network:
        raise Forbidden("The network page is for the organisation's medical director.")
    organisation = Organisation.objects.filter(pk__in=act.access.network_ids).order_by("pk")[0]
    return act, organisation


def _people(organisation: Organisation) -> list[dict]:
    """Everyone with a role in the organisation, with their roles clinic by clinic."""
    people: dict[int, dict] = {}
    rows = (
        StaffMembership.objects.filter(organisation=organisation, active=True)
        .select_related("user", "clinic")
        .order_by("user__last_name", "user__first_name", "clinic__name", "role")
    )
    for m in rows:
        person = people.setdefault(m.user_id, {"user": m.user, "places": {}})
        where = m.clinic.name if m.clinic_id else "Whole network"
        person["places"].setdefault(where, []).append(m.get_role_display())
    return list(people.values())


def _network_page(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    _, organisation = network_action(request)
    clinics = list(organisation.clinics.order_by("name"))
    form = request.POST.get("form", "") if error else ""
    values = {
        name: request.POST.get(name, "")
        for name in (*PERSON_FIELDS, "clinic", "name", "time_zone", "mrn_prefix")
    }
    return render(
        request,
        "core/network.html",
        {
            "organisation": organisation,
            "clinics": clinics,
            "people": _people(organisation),
            "invitations": invitations_pending(organisation=organisation),
            "time_zones": time_zone_choices(),
            "now": timezone.now(),
            "error": error,
            "form": form,
            "errors": error.fields if error else {},
            **role_form_context(
                values if error else {}, request.POST.getlist("roles") if error else ()
            ),
        },
        status=error.status if error else 200,
    )


@page_errors(_network_page)
def network(request: HttpRequest) -> HttpResponse:
    """GET the page; POST ``form=clinic`` adds a clinic, ``form=invite`` invites someone."""
    if request.method != "POST":
        return _network_page(request)
    act, organisation = network_action(request)
    if request.POST.get("form") == "clinic":
        clinic = clinic_add(
            organisation=organisation,
            **posted(request, "name", "time_zone", "mrn_prefix"),
            **act.stamp,
        )
        messages.success(request, f"Added {clinic.name}: invite its staff below.")
        return redirect("network")
    clinic_id = request.POST.get("clinic", "")
    clinic = (
        get_object_or_404(Clinic, pk=clinic_id, organisation=organisation)
        if clinic_id.isdigit()
        else None
    )
    sent = staff_invite(
        organisation=organisation,
        clinic=clinic,
        **posted(request, "email", "first_name", "last_name"),
        grant=grant_from(request.POST),
        granted_by=NETWORK_GRANTS,
        by=act.actor.user,
        **act.stamp,
    )
    who = sent.existing_user.email if sent.existing_user else sent.invitation.email
    messages.success(
        request,
        f"{who} already has an account: the roles are theirs now."
        if sent.existing_user
        else f"Invitation e-mailed to {who}.",
    )
    return redirect("network")


def _organisation_person(organisation: Organisation, user_id: int) -> User:
    people = StaffMembership.objects.filter(organisation=organisation).values_list("user_id")
    return get_object_or_404(User, pk=user_id, pk__in=people)


def _person_page(request: HttpRequest, error: DomainError | None, user_id: int) -> HttpResponse:
    _, organisation = network_action(request)
    person = _organisation_person(organisation, user_id)
    places = []
    for clinic in organisation.clinics.order_by("name"):
        membership = StaffMembership.objects.filter(user=person, clinic=clinic, active=True).first()
        places.append(
            {
                "clinic": clinic,
                "roles": active_roles(person, clinic),
                "credential": membership.credential if membership else "",
                "npi": membership.npi if membership else "",
            }
        )
    return render(
        request,
        "core/network_person.html",
        {
            "organisation": organisation,
            "person": person,
            "places": places,
            "error": error,
            "error_clinic": request.POST.get("clinic", "") if error else "",
            **role_form_context(),
        },
        status=error.status if error else 200,
    )


@page_errors(_person_page)
def network_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """One person across the network: their roles at each clinic (POST sets one clinic's)."""
    if request.method != "POST":
        return _person_page(request, None, user_id)
    act, organisation = network_action(request)
    person = _organisation_person(organisation, user_id)
    clinic = get_object_or_404(Clinic, pk=request.POST.get("clinic"), organisation=organisation)
    staff_roles_set(
        clinic=clinic,
        user=person,
        grant=grant_from(request.POST),
        granted_by=NETWORK_GRANTS,
        **act.stamp,
    )
    messages.success(request, f"Roles at {clinic.name} saved.")
    return redirect("network_person", user_id=person.pk)


@require_POST
@page_errors(flash_back(lambda request, user_id: reverse("network_person", args=[user_id])))
def network_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    act, organisation = network_action(request)
    person = _organisation_person(organisation, user_id)
    clinic = get_object_or_404(Clinic, pk=request.POST.get("clinic"), organisation=organisation)
    staff_deactivate(
        clinic=clinic, user=person, by=act.actor.user, granted_by=NETWORK_GRANTS, **act.stamp
    )
    messages.success(request, f"Deactivated at {clinic.name}; signed out, API tokens revoked.")
    return redirect("network_person", user_id=person.pk)


def _network_invitation(request: HttpRequest, invitation_id: int) -> tuple[Action, StaffInvitation]:
    act, organisation = network_action(request)
    return act, get_object_or_404(StaffInvitation, pk=invitation_id, organisation=organisation)


@require_POST
@page_errors(flash_back(lambda request, invitation_id: reverse("network")))
def network_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """``do=resend`` e-mails a new link; ``do=cancel`` withdraws the invitation."""
    act, invitation = _network_invitation(request, invitation_id)
    if request.POST.get("do") == "cancel":
        invitation_cancel(invitation=invitation, **act.stamp)
        messages.success(request, f"The invitation of {invitation.email} is cancelled.")
    else:
        invitation_resend(invitation=invitation, by=act.actor.user, **act.stamp)
        messages.success(request, f"A new invitation was e-mailed to {invitation.email}.")
    return redirect("network")
