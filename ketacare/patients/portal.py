"""Patient portal accounts: an e-mailed, expiring, single-use activation link (re-sendable), and
the patient choosing a sign-in name and password with it.

The token handling is ``ketacare.core.links``. The patient also confirms their date of birth, so
an intercepted e-mail alone does not open the chart's portal.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Invalid, Refused
from ketacare.core.links import find_usable_link, new_link_token, public_url, use_link
from ketacare.core.models import User
from ketacare.patients.mail import email_patient
from ketacare.patients.models import Patient, PortalInvitation

ACTIVATION_USED = (
    "This activation link has already been used. Sign in with the name you chose, or ask the "
    "clinic for a new link."
)
USERNAME = re.compile(r"^[\w.@+-]{3,150}$")


class PortalInvitationInvalid(Refused):
    """The activation link is unknown, used, replaced by a newer one, or expired."""


def has_portal_account(patient: Patient) -> bool:
    """True once the patient has activated a portal account they can sign in to."""
    user = patient.portal_user
    return user is not None and user.is_active and user.has_usable_password()


@transaction.atomic
def portal_invite(
    *, patient: Patient, origin: RequestOrigin, at: dt.datetime
) -> tuple[PortalInvitation, str]:
    """E-mail the patient a one-time link to activate their portal account; earlier links stop
    working. Refused without an e-mail address or once the account is active."""
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if not patient.email:
        raise Refused(
            "The patient has no e-mail address: add one, or let them complete consent and "
            "questionnaires here on a tablet in kiosk mode."
        )
    if has_portal_account(patient):
        raise Refused(
            f"{patient.full_name} has already activated the portal (signs in as "
            f"{patient.portal_user.username})."
        )
    PortalInvitation.objects.filter(
        patient=patient, used_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=at)
    token, digest = new_link_token()
    hours = settings.PORTAL_INVITATION_TTL_HOURS
    invitation = PortalInvitation.objects.create(
        patient=patient,
        token_sha256=digest,
        created_at=at,
        created_by=origin.actor,
        sent_to=patient.email,
        expires_at=at + dt.timedelta(hours=hours),
    )
    url = public_url(f"/portal/activate/{token}/")
    clinic = patient.clinic
    expires = timezone.localtime(invitation.expires_at, clinic.zone)
    email_patient(
        patient=patient,
        subject=f"{clinic.name}: your patient portal",
        text=(
            f"{clinic.name} invites you to its patient portal, where you complete your health "
            "questionnaire, sign consent forms and answer questionnaires before your visits.\n"
            f"Activate your account here:\n{url}\n\n"
            f"The link works once and expires on {expires:%A %d %B %Y at %H:%M %Z}. You will "
            "confirm your date of birth and choose a password.\n"
        ),
        object_type="portal_invitation",
        object_id=invitation.pk,
        summary=f"Portal invitation e-mailed to {patient.email}",
        origin=origin,
        at=at,
    )
    return invitation, url


def _open_invitations():
    return PortalInvitation.objects.filter(superseded_at__isnull=True).select_related(
        "patient", "patient__clinic", "patient__portal_user"
    )


def portal_invitation_resolve(token: str, *, at: dt.datetime) -> PortalInvitation:
    """The usable invitation for ``token``, or PortalInvitationInvalid saying why not."""
    return find_usable_link(
        _open_invitations(),
        token,
        error=PortalInvitationInvalid,
        used_message=ACTIVATION_USED,
        now=at,
    )


def _check_activation(
    patient: Patient, *, username: str, password: str, password_again: str, date_of_birth: str
) -> User:
    """The account to create or complete, or Invalid naming the first field to correct."""
    try:
        born = dt.date.fromisoformat((date_of_birth or "").strip())
    except ValueError:
        raise Invalid.field(
            "date_of_birth", "Give your date of birth (year-month-day, e.g. 1984-06-30)."
        ) from None
    if born != patient.date_of_birth:
        raise Invalid.field(
            "date_of_birth",
            "That date of birth does not match the clinic's record. Check it, or call the clinic.",
        )
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise Invalid.field(
            "username",
            "Choose a sign-in name of 3 to 150 letters, digits or . @ + - _ (your e-mail works).",
        )
    existing = patient.portal_user
    taken = User.objects.filter(username=username)
    if existing is not None:
        taken = taken.exclude(pk=existing.pk)
    if taken.exists():
        raise Invalid.field("username", "That sign-in name is taken: choose another.")
    if password != password_again:
        raise Invalid.field("password_again", "The two passwords are not the same.")
    user = existing or User()
    user.username = username
    user.email = patient.email
    user.first_name, user.last_name = patient.first_name, patient.last_name
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise Invalid.field("password", " ".join(weak.messages)) from None
    return user


@transaction.atomic
def portal_activate(
    *,
    token: str,
    username: str,
    password: str,
    password_again: str,
    date_of_birth: str,
    origin: RequestOrigin,
    at: dt.datetime,
) -> User:
    """The patient activates their portal account; the link is then used up. A record already
    tied to an account without a password (made for kiosk mode) gets that account completed."""
    invitation = portal_invitation_resolve(token, at=at)
    patient = Patient.objects.select_for_update().get(pk=invitation.patient_id)
    user = _check_activation(
        patient,
        username=username,
        password=password,
        password_again=password_again,
        date_of_birth=date_of_birth,
    )
    use_link(
        _open_invitations(),
        invitation,
        error=PortalInvitationInvalid,
        used_message=ACTIVATION_USED,
        at=at,
    )
    user.is_active = True
    user.set_password(password)
    user.save()
    if patient.portal_user_id != user.pk:
        patient.portal_user = user
        patient.save(update_fields=["portal_user"])
    audit_record(
        origin=RequestOrigin(
            actor=user,
            actor_label=f"patient {patient.mrn}",
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
        ),
        action="update",
        object_type="portal_account",
        object_id=user.pk,
        patient=patient,
        summary=f"Patient activated the portal account {user.username}",
        at=at,
    )
    return user
