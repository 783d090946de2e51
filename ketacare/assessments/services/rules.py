"""The clinic's schedule rules (kept for history; retiring one makes it inactive)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.assessments import selectors
from ketacare.assessments.models import (
    ScheduleRule,
)
from ketacare.assessments.services.common import (
    AssessmentError,
)
from ketacare.assessments.services.due import due_store_for_clinic
from ketacare.audit.services import RequestOrigin, audit_record, diff
from ketacare.clinical.instruments import (
    INSTRUMENTS,
)
from ketacare.core.models import Clinic

# --- rules --------------------------------------------------------------------------------------

RULE_FIELDS = (
    "instrument",
    "trigger",
    "phase",
    "offset_hours",
    "interval_days",
    "window_hours",
    "grace_hours",
    "active",
)
MAX_RULE_HOURS = 24 * 90


def _check_rule(values: dict) -> None:
    if values["instrument"] not in INSTRUMENTS:
        raise AssessmentError.field("instrument", f"Unknown instrument {values['instrument']!r}.")
    if values["trigger"] not in ScheduleRule.Trigger.values:
        raise AssessmentError.field("trigger", f"Unknown trigger {values['trigger']!r}.")
    if values["phase"] not in ScheduleRule.Phase.values:
        raise AssessmentError.field("phase", f"Unknown phase {values['phase']!r}.")
    if values["trigger"] == ScheduleRule.Trigger.EVERY_N_DAYS:
        if not values.get("interval_days") or not 1 <= values["interval_days"] <= 365:
            raise AssessmentError.field(
                "interval_days", "“Every N days” needs an interval of 1 to 365 days."
            )
    else:
        values["interval_days"] = None
    for name in ("offset_hours", "window_hours", "grace_hours"):
        if not 0 <= values[name] <= MAX_RULE_HOURS:
            raise AssessmentError.field(
                name, f"{name.replace('_', ' ').capitalize()} must be 0–{MAX_RULE_HOURS}."
            )


@transaction.atomic
def rule_create(
    *, clinic: Clinic, values: dict, origin: RequestOrigin, at: dt.datetime
) -> ScheduleRule:
    """Add a schedule rule for the clinic."""
    selectors.settings_for(clinic)
    values = {
        "phase": "any",
        "offset_hours": 0,
        "window_hours": 24,
        "grace_hours": 0,
        "interval_days": None,
        "active": True,
    } | values
    _check_rule(values)
    now = at
    rule = ScheduleRule.objects.create(
        clinic=clinic, created_at=now, updated_at=now, **{k: values[k] for k in RULE_FIELDS}
    )
    due_store_for_clinic(clinic=clinic, at=at)
    audit_record(
        origin=origin,
        action="create",
        object_type="schedule_rule",
        object_id=rule.pk,
        clinic_id=clinic.pk,
        summary=f"Schedule rule added: {rule}",
        changes={k: values[k] for k in RULE_FIELDS},
        at=at,
    )
    return rule


@transaction.atomic
def rule_update(
    *, rule: ScheduleRule, values: dict, origin: RequestOrigin, at: dt.datetime
) -> ScheduleRule:
    """Change a schedule rule; ``active=False`` retires it (rules are kept for history)."""
    rule = ScheduleRule.objects.select_for_update().get(pk=rule.pk)
    before = {k: getattr(rule, k) for k in RULE_FIELDS}
    values = before | values
    _check_rule(values)
    for k in RULE_FIELDS:
        setattr(rule, k, values[k])
    rule.updated_at = at
    rule.save()
    due_store_for_clinic(clinic=rule.clinic, at=at)
    changes = diff(before, {k: getattr(rule, k) for k in RULE_FIELDS})
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="schedule_rule",
            object_id=rule.pk,
            clinic_id=rule.clinic_id,
            summary=f"Schedule rule changed: {rule}",
            changes=changes,
            at=at,
        )
    return rule
