"""Changing one value of the clinic's treatment protocol, checked by building the core's objects."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.errors import NotFound
from ketacare.core.models import Clinic
from ketacare.treatment.errors import TreatmentInvalid
from ketacare.treatment.models import (
    ProtocolSetting,
)
from ketacare.treatment.protocol import SPECS, build_protocol, display_value


@transaction.atomic
def protocol_setting_set(
    *, clinic: Clinic, key: str, value: object, origin: RequestOrigin, at: dt.datetime
) -> ProtocolSetting | None:
    """Set one protocol value for the clinic, refused unless the clinical core accepts it.

    Setting a rule's severity back to its default removes the override.
    """
    spec = SPECS.get(key)
    if spec is None:
        raise NotFound(f"Unknown protocol setting {key!r}.")
    try:
        parsed = spec.parse(value)
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused), fields={"value": str(refused)}) from None
    if not spec.editable and parsed != spec.default:
        raise TreatmentInvalid(f"{spec.label} is fixed by its source and cannot change.")
    rows = {
        row.key: row for row in ProtocolSetting.objects.select_for_update().filter(clinic=clinic)
    }
    overrides = {k: row.value for k, row in rows.items()}
    before = overrides.get(key, spec.default)
    if parsed == spec.default and key.startswith("eligibility.severity."):
        overrides.pop(key, None)
    else:
        overrides[key] = parsed
    try:
        build_protocol(overrides)
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused), fields={"value": str(refused)}) from None
    row = rows.get(key)
    if key not in overrides:
        if row is not None:
            row.delete()
        row = None
    elif row is None:
        row = ProtocolSetting.objects.create(
            clinic=clinic, key=key, value=parsed, updated_at=at, updated_by=origin.actor
        )
    else:
        row.value, row.updated_at, row.updated_by = parsed, at, origin.actor
        row.save(update_fields=["value", "updated_at", "updated_by"])
    if before != parsed:
        audit_record(
            origin=origin,
            action="update",
            object_type="protocol_setting",
            object_id=key,
            clinic_id=clinic.pk,
            summary=f"Protocol: {spec.label[:150]} {display_value(spec, before)} → "
            f"{display_value(spec, parsed)}",
            changes={key: {"before": before, "after": parsed}},
            at=at,
        )
    return row


@transaction.atomic
def protocol_setting_reset(
    *, clinic: Clinic, key: str, origin: RequestOrigin, at: dt.datetime
) -> None:
    """Return one value to the reference default (or to unset, where the reference is silent)."""
    spec = SPECS.get(key)
    if spec is None:
        raise NotFound(f"Unknown protocol setting {key!r}.")
    rows = {
        row.key: row for row in ProtocolSetting.objects.select_for_update().filter(clinic=clinic)
    }
    row = rows.get(key)
    if row is None:
        return
    overrides = {k: r.value for k, r in rows.items() if k != key}
    try:
        build_protocol(overrides)
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused)) from None
    before = row.value
    row.delete()
    audit_record(
        origin=origin,
        action="update",
        object_type="protocol_setting",
        object_id=key,
        clinic_id=clinic.pk,
        summary=f"Protocol: {spec.label[:150]} reset to the default "
        f"({display_value(spec, spec.default)})",
        changes={key: {"before": before, "after": spec.default}},
        at=at,
    )
