"""The clinic's outbox: every reminder and offer sent, by e-mail or text message.

``record_message`` stores what was sent (one-time link tokens are masked); its ``key`` is unique,
so a message already recorded is never sent again by a repeated run.
"""

from __future__ import annotations

import datetime as dt

from ketacare.core.models import Clinic
from ketacare.patients.models import Patient
from ketacare.scheduling.models import OutboundMessage


def already_sent(key: str) -> bool:
    return OutboundMessage.objects.filter(key=key).exists()


def record_message(
    *,
    clinic: Clinic,
    patient: Patient,
    appointment,
    kind: str,
    channel: str,
    to: str,
    subject: str,
    body: str,
    key: str,
    at: dt.datetime,
    provider_id: str = "",
) -> OutboundMessage:
    return OutboundMessage.objects.create(
        clinic=clinic,
        patient=patient,
        appointment=appointment,
        kind=kind,
        channel=channel,
        to=to,
        subject=subject[:200],
        body=body,
        key=key,
        sent_at=at,
        provider_id=provider_id[:100],
    )
