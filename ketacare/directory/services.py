"""Every write of the directory: listings, their verification, consultation requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.text import slugify

from ketacare.audit.services import RequestOrigin, audit_record, diff, snapshot
from ketacare.core.errors import Invalid, Refused
from ketacare.core.models import Clinic, Organisation
from ketacare.directory import geo
from ketacare.directory.models import (
    NEVER_EXPIRES,
    ConsultationRequest,
    Listing,
    VerificationCheck,
)
from ketacare.directory.rules import CheckFact, CheckKind, verification_status
from ketacare.directory.schemas import CheckIn, ListingIn

# Consultation requests: a person may send a few; a flood from one address is refused.
REQUESTS_PER_ADDRESS_PER_HOUR = 3
REQUESTS_PER_LISTING_PER_HOUR = 30
RESERVED_SLUGS = frozenset({"manage"})  # the staff pages live under /find/manage/


def _position(data: ListingIn) -> tuple[float, float]:
    zip_code = geo.normalise_zip(data.postal_code)
    where = geo.centroid(zip_code or "")
    if where is None:
        raise Invalid.field("postal_code", f"{data.postal_code} is not a US ZIP code we know.")
    state = geo.state_of(zip_code or "")
    if state and state != data.state:
        raise Invalid.field(
            "state", f"ZIP code {zip_code} is in {state}, not {data.state}: check the address."
        )
    return where


def _check_prices(data: ListingIn) -> None:
    for number, price in enumerate(data.price_ranges):
        if price.low > price.high:
            raise Invalid.field(
                f"price_ranges.{number}",
                f"{price.service}: the lowest price (${price.low}) is above the highest "
                f"(${price.high}).",
            )


def _values(data: ListingIn) -> dict:
    values = data.model_dump()
    values["routes"] = [str(r) for r in data.routes]
    values["indications"] = [str(i) for i in data.indications]
    values["postal_code"] = geo.normalise_zip(data.postal_code)
    values["insurance_accepted"] = [p.strip() for p in data.insurance_accepted if p.strip()]
    values["languages"] = [lang.strip() for lang in data.languages if lang.strip()]
    return values


def _unique_slug(name: str, city: str) -> str:
    base = slugify(f"{name} {city}")[:70] or "clinic"
    slug, number = base, 2
    while slug in RESERVED_SLUGS or Listing.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def listing_save(
    *,
    data: ListingIn,
    origin: RequestOrigin,
    at: dt.datetime,
    clinic: Clinic | None = None,
    organisation: Organisation | None = None,
    listing: Listing | None = None,
) -> Listing:
    """Create or update a listing (a clinic's own, or one a network adds by hand). A published
    listing stays published; its public page shows the new details at once."""
    latitude, longitude = _position(data)
    _check_prices(data)
    values = _values(data)
    if listing is None:
        if clinic is not None and Listing.objects.filter(clinic=clinic).exists():
            raise Refused("This clinic already has a listing: edit it instead.")
        owner = organisation or (clinic.organisation if clinic else None)
        if owner is None:
            raise Invalid("A listing belongs to a clinic or a network.")
        listing = Listing(
            organisation=owner,
            clinic=clinic,
            slug=_unique_slug(data.name, data.city),
            created_at=at,
        )
        before = {}
    else:
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        before = snapshot(listing)
    for name, value in values.items():
        setattr(listing, name, value)
    listing.latitude, listing.longitude = latitude, longitude
    listing.updated_at, listing.updated_by = at, origin.actor
    listing.save()
    _refresh_verification(listing, today=at.date())
    audit_record(
        origin=origin,
        action="update" if before else "create",
        object_type="directory_listing",
        object_id=listing.pk,
        clinic_id=listing.clinic_id,
        summary=f"Directory listing saved: {listing.name}",
        changes=diff(before, snapshot(listing)),
        at=at,
    )
    return listing


@transaction.atomic
def listing_publish(*, listing: Listing, publish: bool, origin: RequestOrigin, at: dt.datetime):
    """Publish (or withdraw) a listing. Publishing needs a way to reach the clinic and at least
    one route; verification is separate (unverified listings stay hidden by default)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if publish:
        missing = []
        if not listing.routes:
            missing.append("the treatments offered")
        if not (listing.phone or listing.email or listing.website):
            missing.append("a phone number, e-mail or website")
        if missing:
            raise Refused("Before publishing, add " + " and ".join(missing) + ".")
    listing.published = publish
    listing.published_at = at if publish else None
    listing.updated_at, listing.updated_by = at, origin.actor
    listing.save(update_fields=["published", "published_at", "updated_at", "updated_by"])
    audit_record(
        origin=origin,
        action="update",
        object_type="directory_listing",
        object_id=listing.pk,
        clinic_id=listing.clinic_id,
        summary=f"Directory listing {'published' if publish else 'withdrawn'}: {listing.name}",
        at=at,
    )
    return listing


def _refresh_verification(listing: Listing, *, today: dt.date) -> None:
    facts = [
        CheckFact(CheckKind(kind), expires)
        for kind, expires in listing.checks.values_list("kind", "expires_on")
    ]
    status = verification_status(facts, offers_esketamine=listing.offers_esketamine, today=today)
    until = (status.expires_on or NEVER_EXPIRES) if status.verified else None
    if listing.verified_until != until:
        Listing.objects.filter(pk=listing.pk).update(verified_until=until)
        listing.verified_until = until


@transaction.atomic
def check_record(
    *, listing: Listing, data: CheckIn, origin: RequestOrigin, at: dt.datetime
) -> VerificationCheck:
    """Record one document seen (who, when, what, until when); the badge follows the checks."""
    try:
        kind = CheckKind(data.kind)
    except ValueError:
        raise Invalid.field("kind", f"{data.kind!r} is not a kind of check.") from None
    if data.expires_on is not None and data.expires_on < at.date():
        raise Invalid.field("expires_on", "This document has already expired: it verifies nothing.")
    if kind is CheckKind.DEA_REGISTRATION and not data.covers_schedule_iii:
        raise Invalid.field(
            "covers_schedule_iii",
            "Confirm that the DEA registration covers Schedule III: ketamine and esketamine are "
            "Schedule III, and a registration without it verifies nothing here.",
        )
    check = VerificationCheck.objects.create(
        listing=listing,
        kind=kind.value,
        identifier=data.identifier.strip(),
        issuing_state=data.issuing_state.strip().upper(),
        holder=data.holder.strip(),
        evidence=data.evidence.strip(),
        covers_schedule_iii=kind is CheckKind.DEA_REGISTRATION and data.covers_schedule_iii,
        expires_on=data.expires_on,
        verified_at=at,
        verified_by=origin.actor,
    )
    _refresh_verification(listing, today=at.date())
    audit_record(
        origin=origin,
        action="create",
        object_type="directory_check",
        object_id=check.pk,
        clinic_id=listing.clinic_id,
        summary=f"Verified {check.get_kind_display()} for {listing.name}",
        changes={"identifier": check.identifier, "expires_on": check.expires_on},
        at=at,
    )
    return check


def source_digest(address: str | None) -> str:
    """A keyed hash of the sender's address: enough to rate-limit, not to identify."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (address or "unknown").encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def consultation_request(
    *,
    listing: Listing,
    name: str,
    email: str,
    phone: str,
    message: str,
    preferred_contact: str,
    source_address: str | None,
    at: dt.datetime,
) -> ConsultationRequest:
    """A visitor asks a published listing for a consultation: the clinic's lead list gets it and
    the clinic is e-mailed. Refused (Refused) past the hourly limits."""
    if not listing.published:
        raise Refused("This listing is not published.")
    if not (email.strip() or phone.strip()):
        raise Invalid(
            "Give an e-mail address or a phone number so the clinic can reach you.",
            fields={"email": "Give an e-mail address or a phone number."},
        )
    digest = source_digest(source_address)
    hour_ago = at - dt.timedelta(hours=1)
    recent = ConsultationRequest.objects.filter(created_at__gte=hour_ago)
    if recent.filter(source_digest=digest).count() >= REQUESTS_PER_ADDRESS_PER_HOUR:
        raise Refused("Too many requests from this connection: please try again in an hour.")
    if recent.filter(listing=listing).count() >= REQUESTS_PER_LISTING_PER_HOUR:
        raise Refused("This clinic has received many requests: please call it instead.")
    lead = ConsultationRequest.objects.create(
        listing=listing,
        name=name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        message=message.strip(),
        preferred_contact=preferred_contact if preferred_contact in ("email", "phone") else "email",
        created_at=at,
        source_digest=digest,
    )
    audit_record(
        origin=RequestOrigin(actor_label="public directory", ip_address=None),
        action="create",
        object_type="consultation_request",
        object_id=lead.pk,
        clinic_id=listing.clinic_id,
        summary=f"Consultation requested through the directory ({listing.name})",
        at=at,
    )
    recipient = listing.email or (listing.clinic.email if listing.clinic else "")
    if recipient:
        transaction.on_commit(
            lambda: send_mail(
                "New consultation request from the Ketacare directory",
                "Someone asked for a consultation through your directory listing. Sign in to "
                "Ketacare and open Consultation requests to see it (contact details are not "
                "sent by e-mail).",
                None,
                [recipient],
                fail_silently=True,
            )
        )
    return lead


@transaction.atomic
def consultation_request_mark(
    *, lead: ConsultationRequest, status: str, origin: RequestOrigin, at: dt.datetime
) -> ConsultationRequest:
    if status not in ConsultationRequest.Status.values:
        raise Invalid.field("status", f"{status!r} is not a request status.")
    lead = ConsultationRequest.objects.select_for_update().get(pk=lead.pk)
    lead.status, lead.handled_at, lead.handled_by = status, at, origin.actor
    lead.save(update_fields=["status", "handled_at", "handled_by"])
    audit_record(
        origin=origin,
        action="update",
        object_type="consultation_request",
        object_id=lead.pk,
        clinic_id=lead.listing.clinic_id,
        summary=f"Consultation request marked {lead.get_status_display().lower()}",
        at=at,
    )
    return lead
