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
