from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from ketacare.audit.models import AuditEntry
from ketacare.core.access import Access


def audit_search(
    access: Access,
    *,
    text: str = "",
    action: str = "",
    patient_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries about the clinics the medical director may see (plus sign-ins of anyone)."""
    entries = AuditEntry.objects.filter(
        Q(clinic_id__in=access.clinic_ids) | Q(clinic_id__isnull=True)
    )
    if text:
        entries = entries.filter(
            Q(summary__icontains=text)
            | Q(actor_label__icontains=text)
            | Q(object_type__icontains=text)
        )
    if action:
        entries = entries.filter(action=action)
    if patient_id:
        entries = entries.filter(patient_id=patient_id)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.order_by("-sequence")


def field_history(
    object_type: str, object_ids: list[int], field: str
) -> list[tuple[str, dt.datetime, object]]:
    """``(object_id, at, value after)`` for every recorded change of ``field``, oldest first: the
    history of a value whose model keeps only its current state (e.g. a course's phase)."""
    entries = (
        AuditEntry.objects.filter(
            object_type=object_type,
            object_id__in=[str(i) for i in object_ids],
            changes__has_key=field,
        )
        .order_by("sequence")
        .values_list("object_id", "at", "changes")
    )
    history = []
    for object_id, at, changes in entries.iterator(chunk_size=2000):
        change = changes.get(field)
        if isinstance(change, dict) and "after" in change:
            history.append((object_id, at, change["after"]))
    return history
