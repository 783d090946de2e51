"""The waitlist: patients waiting for a first series or an earlier slot, in priority order
(clinical priority, e.g. suicidal ideation, is set by a prescriber or the medical director),
and the one-time offers sent when a slot frees.

When an appointment is cancelled or moved, after the transaction commits, the freed start is
offered to the first waiting patient it suits: for an earlier slot, their booked session moved
there (series spacing kept); for a first series, a whole series starting there. The offer goes
by e-mail with a one-time link that expires; accepting books through the same checks as staff,
so a slot taken meanwhile is refused with a clear message and the patient stays on the list.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.scheduling import Slot, check_slot
from ketacare.clinical.scheduling_series import SeriesPattern, check_move, find_series
from ketacare.core.actions import Actor
from ketacare.core.errors import DomainError, Forbidden, Invalid, Refused
from ketacare.core.links import find_usable_link, new_link_token, public_url, use_link
from ketacare.core.models import Clinic
from ketacare.core.roles import Capability
from ketacare.scheduling import selectors, services
from ketacare.scheduling.messages import record_message
from ketacare.scheduling.models import OutboundMessage, WaitlistEntry, WaitlistOffer
from ketacare.scheduling.protocol import scheduling_protocol
from ketacare.treatment.models import Appointment, TreatmentCourse

logger = logging.getLogger(__name__)
OPEN = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)
OFFER_USED = "This offer has already been answered. Thank you."


class OfferInvalid(Refused):
    """The offer link cannot be used (unknown, used or expired)."""


def _audit(origin, entry: WaitlistEntry, action: str, summary: str, at, changes=None) -> None:
    audit_record(
        origin=origin,
        action=action,
        object_type="waitlist_entry",
        record=entry,
        summary=summary[:300],
        changes=changes,
        at=at,
    )


def _check_priority(priority: int, reason: str, actor: Actor) -> None:
    if priority not in WaitlistEntry.Priority.values:
        raise Invalid.field("priority", "Choose routine, soon or urgent.")
    if priority == WaitlistEntry.Priority.URGENT:
        if not actor.can(Capability.WAITLIST_PRIORITISE):
            raise Forbidden("Only a prescriber or the medical director sets clinical priority.")
        if not reason.strip():
            raise Invalid.field("priority_reason", "Say why this patient is urgent.")


@transaction.atomic
def waitlist_add(
    *,
    course: TreatmentCourse,
    wants: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
    appointment: Appointment | None = None,
    not_before: dt.date | None = None,
    priority: int = WaitlistEntry.Priority.ROUTINE,
    priority_reason: str = "",
    note: str = "",
) -> WaitlistEntry:
    """Put a course's patient on the waitlist (one open entry per course)."""
    if wants not in WaitlistEntry.Wants.values:
        raise Invalid.field("wants", "Choose a first series or an earlier slot.")
    _check_priority(priority, priority_reason, actor)
    if WaitlistEntry.objects.filter(course=course, status__in=OPEN).exists():
        raise Refused("This course is already on the waitlist.")
    if wants == WaitlistEntry.Wants.EARLIER:
        if appointment is None or appointment.course_id != course.pk:
            raise Invalid.field("appointment", "Choose the booked session to bring forward.")
        if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= at:
            raise Invalid.field("appointment", "Only a future booked session can come earlier.")
    entry = WaitlistEntry.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        wants=wants,
        appointment=appointment if wants == WaitlistEntry.Wants.EARLIER else None,
        priority=priority,
        priority_reason=priority_reason.strip()[:300],
        prioritised_by=origin.actor if priority else None,
        not_before=not_before,
        note=note.strip()[:300],
        created_at=at,
        created_by=origin.actor,
    )
    _audit(
        origin,
        entry,
        "create",
        f"Waitlist: {entry.get_wants_display().lower()}, {entry.get_priority_display().lower()}",
        at,
    )
    return entry


@transaction.atomic
def waitlist_prioritise(
    *,
    entry: WaitlistEntry,
    priority: int,
    reason: str,
    actor: Actor,
    origin: RequestOrigin,
    at: dt.datetime,
) -> WaitlistEntry:
    _check_priority(priority, reason, actor)
    before = entry.priority
    entry.priority, entry.priority_reason = priority, reason.strip()[:300]
    entry.prioritised_by = origin.actor
    entry.save(update_fields=["priority", "priority_reason", "prioritised_by"])
    _audit(
        origin,
        entry,
        "update",
        f"Waitlist priority: {entry.get_priority_display()}",
        at,
        {"priority": {"before": before, "after": priority}, "reason": entry.priority_reason},
    )
    return entry


@transaction.atomic
def waitlist_remove(
    *, entry: WaitlistEntry, reason: str, origin: RequestOrigin, at: dt.datetime
) -> WaitlistEntry:
    if entry.status not in OPEN:
        raise Refused("This entry is no longer on the waitlist.")
    entry.status, entry.closed_at = WaitlistEntry.Status.REMOVED, at
    entry.closed_reason = reason.strip()[:200] or "removed"
    entry.save(update_fields=["status", "closed_at", "closed_reason"])
    entry.offers.filter(status=WaitlistOffer.Status.OPEN).update(status=WaitlistOffer.Status.GONE)
    _audit(origin, entry, "update", f"Removed from the waitlist: {entry.closed_reason}", at)
    return entry


# --- offers ------------------------------------------------------------------------------------


def _proposal(entry: WaitlistEntry, start: dt.datetime, chair_id: int | None, at) -> list[Slot]:
    """The slots to offer ``entry`` at ``start`` (empty when the freed time does not suit)."""
    if entry.not_before and start.astimezone(entry.clinic.zone).date() < entry.not_before:
        return []
    protocol = scheduling_protocol(entry.clinic)
    needs = protocol.needs(entry.course.route)
    day = start.astimezone(entry.clinic.zone).date()
    if entry.wants == WaitlistEntry.Wants.EARLIER:
        appointment = entry.appointment
        if appointment is None or appointment.status != Appointment.Status.BOOKED:
            return []
        if appointment.starts_at <= start:
            return []
        sessions = selectors.series_sessions(appointment)
        if len(sessions) > 1:
            pattern = SeriesPattern(**appointment.booking.series.pattern)
            days = [s.starts_at.astimezone(entry.clinic.zone).date() for s in sessions]
            index = [s.pk for s in sessions].index(appointment.pk)
            moved = check_move(pattern, days, index, day)
            if moved.problems or moved.must_move:
                return []
        calendar = selectors.calendar_for(
            entry.clinic, protocol, first=day, last=day, exclude=[appointment.pk]
        )
        patient = selectors.patient_availability(
            entry.patient, first=day, last=day, exclude=[appointment.pk]
        )
        slot, _ = check_slot(needs, calendar, patient, start=start, now=at, chair_id=chair_id)
        return [slot] if slot else []
    if entry.course.appointments.filter(
        status__in=selectors.HOLDS_TIME, starts_at__gte=at
    ).exists():
        return []  # already booked meanwhile
    pattern = protocol.pattern(entry.course.regimen_key, "induction")
    calendar = selectors.calendar_for(
        entry.clinic, protocol, first=day, last=day + dt.timedelta(days=pattern.window_days or 60)
    )
    patient = selectors.patient_availability(
        entry.patient, first=day, last=day + dt.timedelta(days=pattern.window_days or 60)
    )
    found = find_series(
        needs,
        calendar,
        patient,
        pattern,
        not_before=start,
        now=at,
        days=1,
        open_weekdays=selectors.open_weekdays(entry.clinic),
        limit=1,
    )
    if found.proposals and found.proposals[0][0].start == start:
        return list(found.proposals[0])
    return []


def _offer_url(token: str) -> str:
    return public_url(reverse("scheduling:offer", args=[token]))


def _send_offer(entry: WaitlistEntry, slots: list[Slot], at: dt.datetime) -> WaitlistOffer:
    protocol = scheduling_protocol(entry.clinic)
    token, digest = new_link_token()
    offer = WaitlistOffer.objects.create(
        entry=entry,
        clinic=entry.clinic,
        starts_at=slots[0].start,
        slots=[
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "chair_id": s.chair_id,
                "nurse_id": s.nurse_id,
                "prescriber_id": s.prescriber_id,
            }
            for s in slots
        ],
        token_sha256=digest,
        created_at=at,
        expires_at=at + dt.timedelta(hours=protocol.offer_expiry_hours),
        sent_to=entry.patient.email,
    )
    entry.status = WaitlistEntry.Status.OFFERED
    entry.save(update_fields=["status"])
    zone = entry.clinic.zone
    when = ", ".join(f"{s.start.astimezone(zone):%a %d %b %H:%M}" for s in slots)
    what = "an earlier appointment" if len(slots) == 1 else f"a series of {len(slots)} sessions"
    subject = f"{entry.clinic.name}: {what} is available"
    body = (
        f"Hello {entry.patient.preferred_name or entry.patient.first_name},\n\n"
        f"You are on our waitlist, and {what} has become available: {when} "
        f"({slots[0].start.astimezone(zone):%Z}).\n\n"
        f"To accept or decline, open this link (it works once and expires in "
        f"{protocol.offer_expiry_hours} hours):\n{_offer_url(token)}\n\n"
        f"If you did not expect this message, call {entry.clinic.phone or 'the clinic'}.\n"
    )
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[entry.patient.email])
    record_message(
        clinic=entry.clinic,
        patient=entry.patient,
        appointment=None,
        kind="waitlist_offer",
        channel=OutboundMessage.Channel.EMAIL,
        to=entry.patient.email,
        subject=subject,
        body=body.replace(token, "…"),
        key=f"offer:{offer.pk}",
        at=at,
    )
    _audit(RequestOrigin.system("waitlist"), entry, "send", f"Offered {when}", at)
    return offer


def offer_freed_slot(
    *, clinic: Clinic, start: dt.datetime, chair_id: int | None, at: dt.datetime
) -> WaitlistOffer | None:
    """Offer the freed ``start`` to the first waiting patient it suits (not one already offered
    this start); None when nobody fits or it is in the past."""
    if start <= at:
        return None
    with transaction.atomic():
        services.lock_schedule(clinic)
        already = WaitlistOffer.objects.filter(clinic=clinic, starts_at=start).values("entry_id")
        waiting = (
            WaitlistEntry.objects.filter(clinic=clinic, status=WaitlistEntry.Status.WAITING)
            .exclude(pk__in=already)
            .exclude(patient__email="")
            .select_related("patient", "course", "clinic", "appointment__booking__series")
        )
        for entry in waiting:
            try:
                slots = _proposal(entry, start, chair_id, at)
            except (ClinicalRuleError, DomainError):
                continue  # this entry's protocol cannot be planned yet: the next one
            if slots:
                return _send_offer(entry, slots, at)
    return None


def offer_freed_slot_later(*, appointment, freed_start, freed_chair_id, at, **_: object) -> None:
    """Event handler: once the change has committed, offer the freed time (never fails it)."""

    def offer() -> None:
        try:
            offer_freed_slot(
                clinic=appointment.clinic, start=freed_start, chair_id=freed_chair_id, at=at
            )
        except Exception:  # an offer failing must not undo or block the cancellation
            logger.exception("Waitlist offer for a freed slot failed")

    transaction.on_commit(offer)


def offer_resolve(token: str, *, at: dt.datetime) -> WaitlistOffer:
    offer = find_usable_link(
        WaitlistOffer.objects.select_related("entry", "entry__patient", "clinic"),
        token,
        error=OfferInvalid,
        used_message=OFFER_USED,
        now=at,
    )
    if offer.status != WaitlistOffer.Status.OPEN:
        raise OfferInvalid(OFFER_USED)
    return offer


def offer_answer(*, token: str, accept: bool, at: dt.datetime, origin: RequestOrigin):
    """The patient accepts (the session is moved or the series booked, checked again) or
    declines; either way the link is used up. Returns the offer."""
    with transaction.atomic():
        offer = use_link(
            WaitlistOffer.objects.all(),
            offer_resolve(token, at=at),
            error=OfferInvalid,
            used_message=OFFER_USED,
            at=at,
        )
        entry = offer.entry
        patient_origin = origin.by_patient(entry.patient, "waitlist offer")
        if not accept:
            offer.status = WaitlistOffer.Status.DECLINED
            offer.save(update_fields=["status"])
            entry.status = WaitlistEntry.Status.WAITING
            entry.save(update_fields=["status"])
            _audit(patient_origin, entry, "update", "Declined a waitlist offer", at)
            return offer
    try:
        with transaction.atomic():
            _book_offer(offer, patient_origin, at)
    except DomainError:
        WaitlistOffer.objects.filter(pk=offer.pk).update(status=WaitlistOffer.Status.GONE)
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.WAITING)
        raise Refused(
            "Sorry: that time was taken before you answered. You stay on the waitlist, and we "
            "will offer you the next suitable time."
        ) from None
    offer.refresh_from_db()
    return offer


def _book_offer(offer: WaitlistOffer, origin: RequestOrigin, at: dt.datetime) -> None:
    entry = WaitlistEntry.objects.select_for_update().get(pk=offer.entry_id)
    slots = [
        services.SlotChoice(dt.datetime.fromisoformat(s["start"]), s["chair_id"], s["nurse_id"])
        for s in offer.slots
    ]
    if entry.wants == WaitlistEntry.Wants.EARLIER:
        choice = slots[0]
        services.appointment_move(
            appointment=entry.appointment,
            start=choice.start,
            chair_id=choice.chair_id,
            nurse_id=choice.nurse_id,
            origin=origin,
            at=at,
        )
    else:
        services.series_book(
            course=entry.course,
            phase="induction" if len(slots) > 1 else None,
            slots=slots,
            origin=origin,
            at=at,
        )
    WaitlistOffer.objects.filter(pk=offer.pk).update(status=WaitlistOffer.Status.ACCEPTED)
    entry.status, entry.closed_at, entry.closed_reason = WaitlistEntry.Status.BOOKED, at, "booked"
    entry.save(update_fields=["status", "closed_at", "closed_reason"])
    _audit(origin, entry, "update", "Accepted a waitlist offer", at)


def offers_expire(*, at: dt.datetime) -> int:
    """Expire open offers past their time; each freed start goes to the next patient."""
    expired = list(
        WaitlistOffer.objects.filter(
            status=WaitlistOffer.Status.OPEN, expires_at__lte=at
        ).select_related("entry", "clinic")
    )
    for offer in expired:
        with transaction.atomic():
            WaitlistOffer.objects.filter(pk=offer.pk).update(status=WaitlistOffer.Status.EXPIRED)
            WaitlistEntry.objects.filter(
                pk=offer.entry_id, status=WaitlistEntry.Status.OFFERED
            ).update(status=WaitlistEntry.Status.WAITING)
            _audit(
                RequestOrigin.system("waitlist"),
                offer.entry,
                "update",
                "A waitlist offer expired unanswered",
                at,
            )
        try:
            offer_freed_slot(
                clinic=offer.clinic,
                start=offer.starts_at,
                chair_id=offer.slots[0].get("chair_id") if offer.slots else None,
                at=at,
            )
        except Exception:
            logger.exception("Re-offering an expired waitlist offer failed")
    return len(expired)
