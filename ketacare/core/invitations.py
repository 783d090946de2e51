"""Inviting staff: an e-mailed one-time link to set a password, which makes the account and the
roles. Someone who already has a staff account gets the roles at once and a notice instead.

The token handling is ``ketacare.core.links`` (only a SHA-256 is stored, single use, expiring);
re-sending issues a new token, so only the latest e-mail works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Invalid, Refused
from ketacare.core.links import find_usable_link, new_link_token, public_url, use_link
from ketacare.core.models import Clinic, Organisation, StaffInvitation, User
from ketacare.core.roles import Role
from ketacare.core.setup import username_for_email
from ketacare.core.staff import RoleGrant, memberships_apply, role_grant_check

INVITATION_USED = (
    "This invitation has already been used. Sign in with your e-mail address, or ask your "
    "clinic admin for a new invitation."
)


class InvitationInvalid(Refused):
    """The invitation link is unknown, used, cancelled or expired."""


@dataclass(frozen=True)
class InvitationSent:
    """What ``staff_invite`` did: an invitation e-mailed, or roles given to an existing account."""

    invitation: StaffInvitation | None
    existing_user: User | None
    url: str = ""


def _ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.STAFF_INVITATION_TTL_HOURS)


def _where(invitation: StaffInvitation) -> str:
    return invitation.clinic.name if invitation.clinic_id else invitation.organisation.name


def _zone(clinic: Clinic | None):
    return clinic.zone if clinic is not None else timezone.get_default_timezone()


def _roles_text(roles) -> str:
    return " and ".join(Role(r).label.lower() for r in roles)


def _send_invitation(invitation: StaffInvitation, token: str, inviter: User | None) -> str:
    url = public_url(f"/accounts/invitation/{token}/")
    expires = timezone.localtime(invitation.expires_at, _zone(invitation.clinic))
    who = inviter.get_full_name() or inviter.username if inviter else "Your clinic"
    send_mail(
        subject=f"{_where(invitation)}: your Ketacare account",
        message=(
            f"Hello {invitation.first_name},\n\n"
            f"{who} invited you to {_where(invitation)} as {_roles_text(invitation.roles)}.\n"
            f"Set your password here:\n{url}\n\n"
            f"The link works once and expires on {expires:%A %d %B %Y at %H:%M %Z}. "
            "You will sign in with this e-mail address.\n"
            "If you did not expect this message, ignore it.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return url


def _check_person(email: str, first_name: str, last_name: str) -> tuple[str, str, str]:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid.field("email", "Give a valid e-mail address (name@example.org).") from None
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or not last_name:
        field = "first_name" if not first_name else "last_name"
        raise Invalid.field(field, "Give the person's first and last name.")
    return email, first_name[:150], last_name[:150]


@transaction.atomic
def staff_invite(
    *,
    organisation: Organisation,
    clinic: Clinic | None,
    email: str,
    first_name: str,
    last_name: str,
    grant: RoleGrant,
    granted_by: frozenset[str],
    by: User,
    origin: RequestOrigin,
    at: dt.datetime,
) -> InvitationSent:
    """Invite a person to ``clinic`` (or network-wide when ``clinic`` is None) with ``grant``.

    An existing staff account with that e-mail gets the roles at once (and an e-mail saying so);
    a patient portal account is refused (staff need their own account)."""
    email, first_name, last_name = _check_person(email, first_name, last_name)
    grant = role_grant_check(grant, network=clinic is None, granted_by=granted_by)
    if clinic is not None and clinic.organisation_id != organisation.pk:
        raise Invalid.field("clinic", "That clinic belongs to another organisation.")
    existing = User.objects.filter(username=username_for_email(email)).first()
    if existing is not None:
        if hasattr(existing, "patient_profile"):
            raise Refused(
                f"{email} is the sign-in of a patient portal account; staff need their own "
                "account: invite them with another e-mail address."
            )
        before, after = memberships_apply(
            user=existing, organisation=organisation, clinic=clinic, grant=grant
        )
        existing.is_active = True
        existing.save(update_fields=["is_active"])
        where = clinic.name if clinic else organisation.name
        audit_record(
            origin=origin,
            action="update",
            object_type="staff_membership",
            object_id=existing.pk,
            clinic_id=clinic.pk if clinic else None,
            summary=f"Gave {existing.username} roles at {where}: {_roles_text(after)}",
            changes={"roles": {"before": sorted(before), "after": sorted(after)}},
            at=at,
        )
        send_mail(
            subject=f"{where}: you have a new role",
            message=(
                f"Hello {existing.first_name or first_name},\n\n"
                f"You are now {_roles_text(after)} at {where} in Ketacare. Sign in as usual "
                f"at {public_url('/accounts/login/')}.\n"
            ),
            from_email=None,
            recipient_list=[existing.email or email],
        )
        return InvitationSent(invitation=None, existing_user=existing)
    pending = StaffInvitation.objects.filter(
        organisation=organisation,
        clinic=clinic,
        email__iexact=email,
        used_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=at,
    )
    if pending.exists():
        raise Refused(f"{email} has already been invited here: re-send that invitation instead.")
    token, digest = new_link_token()
    invitation = StaffInvitation.objects.create(
        organisation=organisation,
        clinic=clinic,
        email=email,
        first_name=first_name,
        last_name=last_name,
        roles=list(grant.roles),
        credential=grant.credential,
        npi=grant.npi,
        token_sha256=digest,
        created_at=at,
        created_by=by,
        sent_at=at,
        expires_at=at + _ttl(),
    )
    url = _send_invitation(invitation, token, by)
    audit_record(
        origin=origin,
        action="send",
        object_type="staff_invitation",
        object_id=invitation.pk,
        clinic_id=clinic.pk if clinic else None,
        summary=f"Invited {email} to {_where(invitation)} as {_roles_text(grant.roles)}",
        changes={"roles": list(grant.roles), "credential": grant.credential},
        at=at,
    )
    return InvitationSent(invitation=invitation, existing_user=None, url=url)


@transaction.atomic
def invitation_resend(
    *, invitation: StaffInvitation, by: User, origin: RequestOrigin, at: dt.datetime
) -> str:
    """E-mail a new link (the earlier one stops working) that expires a full period from now."""
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise Refused("This invitation was already used or cancelled.")
    token, digest = new_link_token()
    invitation.token_sha256 = digest
    invitation.sent_at = at
    invitation.expires_at = at + _ttl()
    invitation.save(update_fields=["token_sha256", "sent_at", "expires_at"])
    url = _send_invitation(invitation, token, by)
    audit_record(
        origin=origin,
        action="send",
        object_type="staff_invitation",
        object_id=invitation.pk,
        clinic_id=invitation.clinic_id,
        summary=f"Invitation re-sent to {invitation.email}",
        at=at,
    )
    return url


@transaction.atomic
def invitation_cancel(
    *, invitation: StaffInvitation, origin: RequestOrigin, at: dt.datetime
) -> StaffInvitation:
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise Refused("This invitation was already used or cancelled.")
    invitation.cancelled_at = at
    invitation.save(update_fields=["cancelled_at"])
    audit_record(
        origin=origin,
        action="update",
        object_type="staff_invitation",
        object_id=invitation.pk,
        clinic_id=invitation.clinic_id,
        summary=f"Invitation of {invitation.email} cancelled",
        at=at,
    )
    return invitation


def _open_invitations():
    return StaffInvitation.objects.filter(cancelled_at__isnull=True).select_related(
        "clinic", "organisation"
    )


def invitation_resolve(token: str, *, now: dt.datetime) -> StaffInvitation:
    """The open invitation for ``token``, or InvitationInvalid saying why it cannot be used."""
    return find_usable_link(
        _open_invitations(), token, error=InvitationInvalid, used_message=INVITATION_USED, now=now
    )


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, password_again: str, origin: RequestOrigin, at: dt.datetime
) -> User:
    """The invitee sets a password: the account and its roles are created, the link used up."""
    invitation = invitation_resolve(token, now=at)
    if password != password_again:
        raise Invalid.field("password_again", "The two passwords are not the same.")
    user = User(
        username=username_for_email(invitation.email),
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise Invalid.field("password", " ".join(weak.messages)) from None
    invitation = use_link(
        _open_invitations(),
        invitation,
        error=InvitationInvalid,
        used_message=INVITATION_USED,
        at=at,
    )
    if User.objects.filter(username=user.username).exists():
        raise Refused(
            f"An account for {invitation.email} already exists: sign in with it, or ask your "
            "clinic admin to give that account the roles."
        )
    user.set_password(password)
    user.save()
    grant = RoleGrant(tuple(invitation.roles), invitation.credential, invitation.npi)
    memberships_apply(
        user=user, organisation=invitation.organisation, clinic=invitation.clinic, grant=grant
    )
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_by"])
    audit_record(
        origin=RequestOrigin(
            actor=user,
            actor_label=user.username,
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
        ),
        action="create",
        object_type="staff_membership",
        object_id=user.pk,
        clinic_id=invitation.clinic_id,
        summary=f"{user.username} accepted the invitation to {_where(invitation)} as "
        f"{_roles_text(invitation.roles)}",
        changes={"roles": list(invitation.roles)},
        at=at,
    )
    return user


def invitations_pending(*, organisation: Organisation, clinic: Clinic | None = None):
    """Invitations not yet used or cancelled (expired ones included, to re-send)."""
    rows = StaffInvitation.objects.filter(
        organisation=organisation, used_at__isnull=True, cancelled_at__isnull=True
    ).select_related("clinic", "created_by")
    return rows.filter(clinic=clinic) if clinic is not None else rows
