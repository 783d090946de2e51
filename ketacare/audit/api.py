from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from ketacare.audit.selectors import audit_search
from ketacare.audit.services import audit_trail_read
from ketacare.core.api_utils import require
from ketacare.core.roles import Capability

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    sequence: int
    at: dt.datetime
    actor_label: str
    ip_address: str | None
    action: str
    object_type: str
    object_id: str
    clinic_id: int | None
    patient_id: int | None
    summary: str
    changes: dict[str, Any]
    entry_hash: str


@router.get("", response=list[AuditEntryOut], summary="Search the audit trail (medical director)")
def search(
    request,
    q: str = "",
    action: str = "",
    patient_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 100,
):
    access = require(request, Capability.AUDIT_VIEW)
    limit = max(1, min(limit, 1000))
    entries = list(
        audit_search(
            access, text=q, action=action, patient_id=patient_id, since=since, until=until
        )[:limit]
    )
    filters = {"q": q, "action": action, "patient": patient_id, "since": since, "until": until}
    audit_trail_read(request, filters=filters, shown=len(entries), how="API")
    return entries
