"""The patient's side of the registry: activating the portal account from the e-mailed link,
the health questionnaire in the portal, and kiosk mode on a tablet in the clinic."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ketacare.core import auth_backend
from ketacare.core.access import require_patient
from ketacare.core.actions import action
from ketacare.core.errors import DomainError
from ketacare.core.pages import flash_back, form_post, posted
from ketacare.core.roles import Capability
from ketacare.patients import selectors, services
from ketacare.patients.intake import IntakeData
from ketacare.patients.intake_form import intake_form_context, read_intake_form
from ketacare.patients.kiosk import KIOSK_ACTIVITY_KEY, KIOSK_SESSION_KEY, kiosk_start
from ketacare.patients.middleware import lock
from ketacare.patients.models import Patient
from ketacare.patients.portal import (
    PortalInvitationInvalid,
    portal_activate,
    portal_invitation_resolve,
    portal_invite,
)

MODEL_BACKEND = auth_backend.PATH


def _to_chart(request: HttpRequest, patient_id: int) -> str:
    return f"/patients/{patient_id}/"


@form_post(Capability.PORTAL_INVITE, flash_back(_to_chart))
def portal_invite_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    act = action(request, Capability.PORTAL_INVITE)
    patient = selectors.patient_get(act.access, patient_id)
    invitation, _ = portal_invite(patient=patient, **act.stamp)
    messages.success(request, f"Portal invitation e-mailed to {invitation.sent_to}.")
    return redirect("patients:detail", patient_id=patient.pk)


@never_cache
def portal_activate_view(request: HttpRequest, token: str) -> HttpResponse:
    """The patient confirms their date of birth and chooses a sign-in name and password."""
    act = action(request)
    try:
        invitation = portal_invitation_resolve(token, at=act.at)
    except PortalInvitationInvalid as invalid:
        return render(request, "patients/link_invalid.html", {"reason": str(invalid)}, status=410)
    patient = invitation.patient
    errors: dict[str, str] = {}
    values = {"username": patient.email.lower(), "date_of_birth": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("username", "date_of_birth")}
        try:
            user = portal_activate(
                token=token,
                username=values["username"],
                **posted(request, "password", "password_again"),
                date_of_birth=values["date_of_birth"],
                **act.stamp,
            )
        except PortalInvitationInvalid as invalid:
            return render(
                request, "patients/link_invalid.html", {"reason": str(invalid)}, status=410
            )
        except DomainError as refused:
            errors = refused.fields or {"password": refused.message}
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, "Your portal account is ready.")
            return redirect("portal:home")
    return render(
        request,
        "patients/portal_activate.html",
        {"patient": patient, "clinic": patient.clinic, "values": values, "errors": errors},
        status=422 if errors else 200,
    )


def _portal_patient(request: HttpRequest) -> Patient:
    return Patient.objects.select_related("clinic").get(pk=request.access.patient_id)


@require_patient
def portal_intake(request: HttpRequest) -> HttpResponse:
    """The health questionnaire in the portal (or kiosk), until the clinic has one."""
    act = action(request)
    patient = _portal_patient(request)
    if selectors.intake_current(patient) is not None:
        messages.info(
            request, "The clinic has your health questionnaire; call them to change an answer."
        )
        return redirect("portal:home")
    errors: dict = {}
    values = IntakeData().model_dump(mode="json")
    blanks = None
    if request.method == "POST":
        data, values, errors, blanks = read_intake_form(request.POST, patient_facing=True)
        if data is not None:
            services.intake_submit(patient=patient, data=data, source="patient", **act.stamp)
            return render(
                request,
                "patients/intake_thanks.html",
                {"clinic": patient.clinic, "patient": patient, "portal": True},
            )
    context = intake_form_context(
        values,
        errors,
        blanks=blanks,
        patient=patient,
        public=True,
        portal=True,
        clinic=patient.clinic,
    )
    return render(request, "patients/intake_form.html", context, status=422 if errors else 200)


@form_post(Capability.KIOSK_START, flash_back(_to_chart))
def kiosk_start_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Hand the tablet over: the staff member is signed out on this device and the patient's
    portal opens in kiosk mode."""
    act = action(request, Capability.KIOSK_START)
    patient = selectors.patient_get(act.access, patient_id)
    kiosk, user = kiosk_start(patient=patient, by=act.actor.user, **act.stamp)
    login(request, user, backend=MODEL_BACKEND)  # a new session: the staff sign-in is gone
    request.session[KIOSK_SESSION_KEY] = kiosk.pk
    request.session.pop(KIOSK_ACTIVITY_KEY, None)
    return redirect("portal:home")


@require_POST
def kiosk_finish(request: HttpRequest) -> HttpResponse:
    """The patient is done: the tablet locks until a staff member signs in."""
    return lock(request, kiosk_id=request.session.get(KIOSK_SESSION_KEY), reason="finished")


def kiosk_locked(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/kiosk_locked.html")
