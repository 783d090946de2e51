"""First run: the organisation, its first clinic and the administrator who starts everything else.

``clinic_setup`` is what ``ketacare setup`` calls. It checks everything before it writes, so a
refusal leaves the database as it was; and it runs once: afterwards it only adds a clinic to the
existing organisation when asked to (``add_clinic=True``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic, Organisation, StaffMembership, User
from ketacare.core.roles import Role
from ketacare.core.time_zones import is_time_zone, unknown_time_zone_message

# The first administrator runs the clinic and its clinical protocol until others are invited.
ADMIN_ROLES = (Role.CLINIC_ADMIN, Role.MEDICAL_DIRECTOR)
ORIGIN = RequestOrigin.system("ketacare setup")


class SetupRefused(Refused):
    """Setup cannot run in the database's current state (already set up, nothing to add to)."""


@dataclass(frozen=True)
class SetupResult:
    organisation: Organisation
    clinic: Clinic
    admin: User
    admin_created: bool


def username_for_email(email: str) -> str:
    """Staff sign in with their e-mail address."""
    return email.strip().lower()


def mrn_prefix_for(name: str) -> str:
    """Initials of the clinic's name (``Harbor Clinic`` → ``HC``), 2–4 letters."""
    words = re.findall(r"[A-Za-z]+", name)
    initials = "".join(word[0] for word in words)[:4].upper()
    if len(initials) >= 2:
        return initials
    letters = "".join(words).upper()
    return (letters[:3] or "KC").ljust(2, "X")


def _unique_slug(model, text: str) -> str:
    base = slugify(text)[:40] or "clinic"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_name(field: str, label: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid.field(field, f"Give the {label}.")
    if len(value) > 200:
        raise Invalid.field(field, f"The {label} must be at most 200 characters.")
    return value


def _check_clinic(name: str, time_zone: str, mrn_prefix: str) -> tuple[str, str, str]:
    """A clinic's name, IANA time zone and MRN prefix, cleaned, or Invalid naming the field."""
    name = _check_name("clinic", "clinic's name", name)
    time_zone = (time_zone or "").strip()
    if not is_time_zone(time_zone):
        raise Invalid.field("time_zone", unknown_time_zone_message(time_zone))
    prefix = (mrn_prefix or mrn_prefix_for(name)).strip().upper()
    if not re.fullmatch(r"[A-Z]{1,8}", prefix):
        raise Invalid.field("mrn_prefix", "The MRN prefix is 1 to 8 letters (e.g. HC).")
    return name, time_zone, prefix


def _check_password(password: str | None, user: User) -> str:
    if not password:
        raise Invalid.field("password", "The new administrator needs a password.")
    try:
        validate_password(password, user)
    except ValidationError as weak:
        raise Invalid.field("password", " ".join(weak.messages)) from None
    return password


def _organisation_for(name: str, *, add_clinic: bool) -> Organisation | None:
    """The existing organisation to add to, or None for a first run; refusals say why."""
    existing = list(Organisation.objects.order_by("pk"))
    if existing and not add_clinic:
        names = ", ".join(o.name for o in existing)
        raise SetupRefused(
            f"Ketacare is already set up ({names}). To add a clinic to it, run "
            "`ketacare setup --add-clinic` with the organisation's name."
        )
    if not add_clinic:
        return None
    if not existing:
        raise SetupRefused(
            "There is no organisation to add a clinic to yet: run `ketacare setup` without "
            "--add-clinic first."
        )
    match = [o for o in existing if o.name.casefold() == name.casefold()]
    if not match:
        names = ", ".join(o.name for o in existing)
        raise Invalid.field(
            "organisation", f"There is no organisation named {name!r}; this database has {names}."
        )
    return match[0]


def clinic_setup(
    *,
    organisation_name: str,
    clinic_name: str,
    time_zone: str,
    admin_email: str,
    password: str | None,
    at: dt.datetime,
    add_clinic: bool = False,
    mrn_prefix: str = "",
) -> SetupResult:
    """Create the organisation, a clinic and its administrator (clinic admin and medical
    director there). With ``add_clinic`` the organisation must exist and only the clinic is new;
    an existing account with ``admin_email`` then gets the administrator roles there."""
    organisation_name = _check_name("organisation", "organisation's name", organisation_name)
    clinic_name, time_zone, prefix = _check_clinic(clinic_name, time_zone, mrn_prefix)
    email = (admin_email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid.field(
            "admin_email", f"{email!r} is not an e-mail address (name@example.org)."
        ) from None

    with transaction.atomic():
        organisation = _organisation_for(organisation_name, add_clinic=add_clinic)
        admin = User.objects.filter(username=username_for_email(email)).first()
        if admin is not None and not add_clinic:
            raise SetupRefused(f"An account for {email} already exists.")
        admin_created = admin is None
        if admin_created:
            admin = User(username=username_for_email(email), email=email)
            admin.set_password(_check_password(password, admin))
        if organisation is None:
            organisation = Organisation.objects.create(
                name=organisation_name, slug=_unique_slug(Organisation, organisation_name)
            )
            audit_record(
                origin=ORIGIN,
                action="create",
                object_type="organisation",
                object_id=organisation.pk,
                summary=f"Set up organisation {organisation.name}",
                at=at,
            )
        clinic = clinic_add(
            organisation=organisation,
            name=clinic_name,
            time_zone=time_zone,
            mrn_prefix=prefix,
            origin=ORIGIN,
            at=at,
        )
        if admin_created:
            admin.save()
        for role in ADMIN_ROLES:
            StaffMembership.objects.get_or_create(
                user=admin, role=role, clinic=clinic, defaults={"organisation": organisation}
            )
        audit_record(
            origin=ORIGIN,
            action="create",
            object_type="staff_membership",
            object_id=admin.pk,
            clinic_id=clinic.pk,
            summary=f"{email} is clinic admin and medical director of {clinic.name}",
            changes={"roles": [str(r) for r in ADMIN_ROLES], "account_created": admin_created},
            at=at,
        )
    return SetupResult(organisation, clinic, admin, admin_created)


@transaction.atomic
def clinic_add(
    *,
    organisation: Organisation,
    name: str,
    time_zone: str,
    mrn_prefix: str = "",
    origin: RequestOrigin,
    at: dt.datetime,
) -> Clinic:
    """A new clinic of ``organisation`` (setup, the network page); its staff are then invited."""
    name, time_zone, prefix = _check_clinic(name, time_zone, mrn_prefix)
    same_name = organisation.clinics.filter(name__iexact=name).first()
    if same_name is not None:
        raise Invalid.field(
            "clinic", f"{organisation.name} already has a clinic named {same_name.name}."
        )
    clinic = Clinic.objects.create(
        organisation=organisation,
        name=name,
        slug=_unique_slug(Clinic, name),
        mrn_prefix=prefix,
        time_zone=time_zone,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="clinic",
        object_id=clinic.pk,
        clinic_id=clinic.pk,
        summary=f"Added clinic {clinic.name} to {organisation.name} ({time_zone}, MRN prefix "
        f"{prefix})",
        at=at,
    )
    return clinic
