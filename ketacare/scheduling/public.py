"""What the public directory shows of a clinic's schedule: its next free new-patient consultation.

A consultation holds a room or chair for the clinic's consultation length, inside opening hours,
while a prescriber is at work (their leave and closures removed). Only clinics that set the
consultation length (and the scheduling values the calendar needs) answer; a read, nothing held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.scheduling import PatientAvailability, find_slots
from ketacare.clinical.scheduling_needs import CONSULTATION_MINUTES, visit_needs
from ketacare.core.models import Clinic
from ketacare.scheduling import selectors
from ketacare.scheduling.protocol import scheduling_protocol


def next_consultation(clinic: Clinic, *, at: dt.datetime) -> dt.datetime | None:
    """The earliest start of a new-patient consultation at ``clinic`` after ``at`` within the
    clinic's search horizon, or None (not set up, or nothing free)."""
    protocol = scheduling_protocol(clinic)
    minutes = protocol.values.get(CONSULTATION_MINUTES.key)
    if not minutes:
        return None
    needs = replace(visit_needs(int(minutes), chair=True, nurse=False), prescriber_on_site=True)
    first = at.astimezone(clinic.zone).date()
    try:
        days = protocol.search_days
        calendar = selectors.calendar_for(
            clinic, protocol, first=first, last=first + dt.timedelta(days=days)
        )
    except ClinicalRuleError:  # a value the calendar needs is unset: nothing to promise
        return None
    found = find_slots(
        needs, calendar, PatientAvailability(), not_before=at, now=at, days=days, limit=1
    )
    return found.slots[0].start if found.slots else None


def next_consultations(clinic_ids: Iterable[int], *, at: dt.datetime) -> dict[int, dt.datetime]:
    clinics = Clinic.objects.filter(pk__in=list(clinic_ids))
    found = {clinic.pk: next_consultation(clinic, at=at) for clinic in clinics}
    return {pk: start for pk, start in found.items() if start is not None}
