"""Reads of the FHIR app's own records, scoped to the clinic in use."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from ketacare.core.access import Access
from ketacare.core.errors import NotFound
from ketacare.fhir.models import PrefillDraft


def prefills_pending(access: Access) -> QuerySet[PrefillDraft]:
    """Drafts of the clinic in use waiting for review, newest first."""
    if access.clinic is None:
        return PrefillDraft.objects.none()
    return PrefillDraft.objects.filter(
        clinic_id=access.clinic.pk, status=PrefillDraft.Status.PENDING
    ).select_related("submitted_by")


def prefill_get(access: Access, draft_id: uuid.UUID) -> PrefillDraft:
    """One draft of the clinic in use; another clinic's is not found."""
    draft = PrefillDraft.objects.filter(
        pk=draft_id, clinic_id=getattr(access.clinic, "pk", None)
    ).select_related("patient").first()
    if draft is None:
        raise NotFound("No such registration draft at this clinic.")
    return draft
