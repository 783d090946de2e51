"""Appointment reminders by e-mail and text message, at the hours the clinic sets (e.g. 48 h and
2 h before), with the route's preparation instructions and a one-time link to confirm or ask to
reschedule. ``ketacare send_appointment_reminders`` runs ``reminders_send`` from a scheduler.

For each booked appointment only the latest reminder that has come due is sent (a session booked
10 hours ahead gets the 48-hour reminder at once, then the 2-hour one). Each message has a key
(appointment, its start, the hours, the channel), so running again sends nothing twice; a moved
appointment is reminded afresh. Times are written in the clinic's zone with its abbreviation,
so a reminder in the week clocks change reads right.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import Route
from ketacare.core.errors import Refused
from ketacare.core.links import find_usable_link, new_link_token, public_url, use_link
from ketacare.core.models import Clinic
from ketacare.scheduling import services
from ketacare.scheduling.messages import record_message
from ketacare.scheduling.models import (
    ChangeRequest,
    OutboundMessage,
    PatientPreferences,
    ReminderLink,
)
from ketacare.scheduling.protocol import SchedulingProtocol, scheduling_protocol
from ketacare.scheduling.sms import sms_backend
from ketacare.treatment.models import Appointment
from ketacare.treatment.preparation import instructions

logger = logging.getLogger(__name__)
LINK_USED = "You have already answered this reminder. Thank you; call the clinic to change it."
SMS_TOPICS = ("Eating and drinking", "Getting home")


class ReminderLinkInvalid(Refused):
    """The reminder link cannot be used (unknown, used or expired)."""


@dataclass(frozen=True)
class Due:
    appointment: Appointment
    hours: int
    channel: str
    to: str

    @property
    def key(self) -> str:
        start = int(self.appointment.starts_at.timestamp())
        return f"reminder:{self.appointment.pk}:{start}:{self.hours}h:{self.channel}"


def _channels(appointment: Appointment) -> list[tuple[str, str]]:
    patient = appointment.patient
    prefs: PatientPreferences | None = getattr(patient, "scheduling_preferences", None)
    found = []
    if patient.email and (prefs is None or prefs.email_reminders):
        found.append((OutboundMessage.Channel.EMAIL, patient.email))
    if patient.phone and prefs is not None and prefs.sms_reminders:
        found.append((OutboundMessage.Channel.SMS, patient.phone))
    return found


def reminders_due(*, at: dt.datetime, clinic: Clinic | None = None) -> list[Due]:
    """Every reminder due at ``at`` and not yet sent (two queries per clinic)."""
    at = at.astimezone(dt.UTC)  # hours before are elapsed hours, whatever zone ``at`` is in
    due: list[Due] = []
    clinics = [clinic] if clinic else Clinic.objects.all()
    for each in clinics:
        hours = scheduling_protocol(each).reminder_hours
        if not hours:
            continue
        appointments = Appointment.objects.filter(
            clinic=each,
            status=Appointment.Status.BOOKED,
            starts_at__gt=at,
            starts_at__lte=at + dt.timedelta(hours=max(hours)),
        ).select_related("patient", "patient__scheduling_preferences", "clinic", "course", "chair")
        candidates = []
        for appointment in appointments:
            passed = [h for h in hours if appointment.starts_at - dt.timedelta(hours=h) <= at]
            if not passed:
                continue
            for channel, to in _channels(appointment):
                candidates.append(Due(appointment, min(passed), channel, to))
        sent = set(
            OutboundMessage.objects.filter(key__in=[c.key for c in candidates]).values_list(
                "key", flat=True
            )
        )
        due += [c for c in candidates if c.key not in sent]
    return due


def _when(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(appointment.clinic.zone)
    return f"{local:%A %d %B %Y at %H:%M} ({local:%Z})"


def _what(appointment: Appointment) -> str:
    if appointment.course_id and appointment.kind == Appointment.Kind.TREATMENT:
        return f"your {appointment.course.route_label}"
    return f"your {appointment.get_kind_display().lower()}"


def _preparation(appointment: Appointment, protocol: SchedulingProtocol, *, short: bool) -> str:
    if not appointment.course_id or appointment.kind != Appointment.Kind.TREATMENT:
        return ""
    route = Route(appointment.course.route)
    if not short:
        return protocol.preparation(route)
    items = instructions(route, protocol.treatment.monitoring[route])
    return " ".join(i.text for i in items if i.topic in SMS_TOPICS)


def message_for(
    appointment: Appointment, channel: str, link: str, protocol: SchedulingProtocol
) -> tuple[str, str]:
    """(subject, body) of the reminder, in the clinic's zone."""
    clinic = appointment.clinic
    if channel == OutboundMessage.Channel.SMS:
        body = (
            f"{clinic.name}: reminder of {_what(appointment)} on {_when(appointment)}. "
            f"Confirm or ask to change it: {link} {_preparation(appointment, protocol, short=True)}"
        )
        return "", body.strip()
    patient = appointment.patient
    where = ", ".join(p for p in (clinic.address_line1, clinic.city) if p)
    preparation = _preparation(appointment, protocol, short=False)
    body = (
        f"Hello {patient.preferred_name or patient.first_name},\n\n"
        f"This is a reminder of {_what(appointment)} at {clinic.name} on {_when(appointment)}."
        + (f"\nAddress: {where}" if where else "")
        + f"\n\nPlease confirm, or tell us you need to change it:\n{link}\n"
        + (f"\n{preparation}\n" if preparation else "")
        + "\nIf you are thinking about suicide or are in crisis, call or text 988 now, or call "
        "911.\n" + f"Questions: call {clinic.phone or 'the clinic'}.\n"
    )
    return f"{clinic.name}: reminder of your appointment on {_when(appointment)}", body


def _link_url(token: str) -> str:
    return public_url(reverse("scheduling:reminder", args=[token]))


def _send(items: list[Due], at: dt.datetime, protocol: SchedulingProtocol) -> int:
    """Send one appointment's due reminders in one transaction (nothing recorded on failure)."""
    appointment = items[0].appointment
    with transaction.atomic():
        token, digest = new_link_token()
        ReminderLink.objects.create(
            appointment=appointment,
            token_sha256=digest,
            created_at=at,
            expires_at=appointment.starts_at,
        )
        link = _link_url(token)
        for item in items:
            subject, body = message_for(appointment, item.channel, link, protocol)
            try:
                with transaction.atomic():
                    record_message(
                        clinic=appointment.clinic,
                        patient=appointment.patient,
                        appointment=appointment,
                        kind="reminder",
                        channel=item.channel,
                        to=item.to,
                        subject=subject,
                        body=body.replace(token, "…"),
                        key=item.key,
                        at=at,
                    )
            except IntegrityError:
                continue  # another run sent it meanwhile
            if item.channel == OutboundMessage.Channel.SMS:
                provider_id = sms_backend().send(to=item.to, body=body)
                OutboundMessage.objects.filter(key=item.key).update(provider_id=provider_id)
            else:
                send_mail(subject=subject, message=body, from_email=None, recipient_list=[item.to])
        audit_record(
            origin=RequestOrigin.system("send_appointment_reminders"),
            action="send",
            object_type="appointment_reminder",
            record=appointment,
            summary=f"Reminder ({items[0].hours} h) by "
            + " and ".join(sorted({i.channel for i in items})),
            at=at,
        )
    return len(items)


def reminders_send(*, at: dt.datetime, dry_run: bool = False) -> list[Due]:
    """Send every due reminder (``dry_run``: only say what would go). Returns those sent (or
    due, in a dry run). A message that fails is logged and left for the next run."""
    due = reminders_due(at=at)
    if dry_run:
        return due
    by_appointment: dict[int, list[Due]] = {}
    for item in due:
        by_appointment.setdefault(item.appointment.pk, []).append(item)
    protocols: dict[int, SchedulingProtocol] = {}
    sent: list[Due] = []
    for items in by_appointment.values():
        clinic = items[0].appointment.clinic
        protocol = protocols.setdefault(clinic.pk, scheduling_protocol(clinic))
        try:
            _send(items, at, protocol)
        except Exception:
            logger.exception("Reminder for appointment %s failed", items[0].appointment.pk)
        else:
            sent += items
    return sent


# --- the link in the reminder ------------------------------------------------------------------


def reminder_link_resolve(token: str, *, at: dt.datetime) -> ReminderLink:
    return find_usable_link(
        ReminderLink.objects.select_related(
            "appointment", "appointment__patient", "appointment__clinic", "appointment__course"
        ),
        token,
        error=ReminderLinkInvalid,
        used_message=LINK_USED,
        now=at,
    )


def reminder_answer(
    *, token: str, answer: str, note: str, origin: RequestOrigin, at: dt.datetime
) -> ReminderLink:
    """The patient confirms, or asks to reschedule (a change request the front desk sees)."""
    if answer not in ("confirm", "reschedule"):
        raise ReminderLinkInvalid("Choose to confirm or to ask for another time.")
    with transaction.atomic():
        link = use_link(
            ReminderLink.objects.select_related("appointment", "appointment__patient"),
            reminder_link_resolve(token, at=at),
            error=ReminderLinkInvalid,
            used_message=LINK_USED,
            at=at,
        )
        appointment = link.appointment
        patient_origin = origin.by_patient(appointment.patient, "reminder link")
        if appointment.status != Appointment.Status.BOOKED:
            raise ReminderLinkInvalid("This appointment is no longer booked; call the clinic.")
        link.answer = answer
        link.save(update_fields=["answer"])
        if answer == "confirm":
            services.appointment_confirm(appointment=appointment, origin=patient_origin, at=at)
        else:
            change_request_create(
                appointment=appointment,
                note=note,
                source=ChangeRequest.Source.REMINDER,
                origin=patient_origin,
                at=at,
            )
    return link


def change_request_create(
    *, appointment: Appointment, note: str, source: str, origin: RequestOrigin, at: dt.datetime
) -> ChangeRequest:
    """The patient asks to change an appointment; the front desk sees it on the dashboard."""
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= at:
        raise Refused("Only a future booked appointment can be changed; call the clinic.")
    request = ChangeRequest.objects.create(
        clinic_id=appointment.clinic_id,
        appointment=appointment,
        source=source,
        note=note.strip()[:1000],
        created_at=at,
    )
    audit_record(
        origin=origin,
        action="create",
        object_type="change_request",
        object_id=request.pk,
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        summary="The patient asked to change an appointment",
        at=at,
    )
    return request
