"""Changing a clinic's protocol settings: validated against each setting's safe bounds, audited."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinic_settings import registry
from ketacare.clinic_settings.models import ClinicSetting
from ketacare.clinic_settings.selectors import ClinicProtocol, clinic_protocol, protocol_key
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.errors import Invalid
from ketacare.core.models import Clinic
from ketacare.core.request_cache import forget

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_value(item: registry.Setting, raw: Any) -> Any:
    """The typed value of ``raw`` (form text or JSON) for ``item``; None clears it.
    ClinicalRuleError says what is wrong in words a medical director understands."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    if item.kind is bool:
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ClinicalRuleError(f"{item.label}: answer yes or no")
    if item.kind in (int, float):
        if isinstance(text, bool):
            raise ClinicalRuleError(f"{item.label}: give a number")
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise ClinicalRuleError(f"{item.label}: give a number") from None
        if not math.isfinite(number):
            raise ClinicalRuleError(f"{item.label}: give a finite number")
        if item.kind is int:
            if not number.is_integer():
                raise ClinicalRuleError(f"{item.label}: give a whole number")
            return int(number)
        return number
    if not isinstance(text, str):
        raise ClinicalRuleError(f"{item.label}: choose one of the listed values")
    return text


def _check_sections(clinic: Clinic, parsed: Mapping[str, Any]) -> None:
    """Run each touched section's own check on the clinic's values as they would be; Invalid,
    naming the changed values, when the values do not hold together."""
    validators = []
    for key in parsed:
        check = registry.section(registry.setting(key).section).validate
        if check is not None and check not in validators:
            validators.append(check)
    if not validators:
        return
    after = dict(
        ClinicSetting.objects.select_for_update()
        .filter(clinic=clinic)
        .values_list("key", "value")
    )
    for key, value in parsed.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    for check in validators:
        try:
            check(after)
        except ClinicalRuleError as refused:
            raise Invalid(
                f"Nothing was saved: {refused}", fields=dict.fromkeys(parsed, str(refused))
            ) from None


@transaction.atomic
def clinic_settings_update(
    *,
    clinic: Clinic,
    values: Mapping[str, Any],
    origin: RequestOrigin,
    at: dt.datetime,
) -> ClinicProtocol:
    """Store the clinic's values (None or blank clears one back to the reference default).

    All or nothing: Invalid lists every value outside its safe bounds or not a registered key,
    and nothing is stored. One audit entry records each change with its before and after."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for key, raw in values.items():
        try:
            item = registry.setting(key)
        except KeyError:
            errors[key] = f"{key} is not a protocol setting of this clinic"
            continue
        try:
            value = parse_value(item, raw)
            parsed[key] = None if value is None else item.default.validate(value)
        except ClinicalRuleError as wrong:
            errors[key] = str(wrong)
    if errors:
        raise Invalid("Nothing was saved: " + " ".join(errors.values()), fields=errors)
    existing = {
        row.key: row
        for row in ClinicSetting.objects.select_for_update().filter(
            clinic=clinic, key__in=list(parsed)
        )
    }
    _check_sections(clinic, parsed)
    changes: dict[str, dict[str, Any]] = {}
    for key, value in parsed.items():
        row = existing.get(key)
        before = row.value if row is not None else None
        if value is None:
            if row is not None:
                row.delete()
                changes[key] = {"before": before, "after": None}
            continue
        if row is not None and row.value == value:
            continue
        ClinicSetting.objects.update_or_create(
            clinic=clinic,
            key=key,
            defaults={"value": value, "updated_at": at, "updated_by": origin.actor},
        )
        changes[key] = {"before": before, "after": value}
    if changes:
        audit_record(
            origin=origin,
            action="update",
            object_type="clinic_settings",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            summary=(
                "Protocol settings changed: "
                + ", ".join(registry.setting(k).label for k in changes)
            )[:300],
            changes=changes,
            at=at,
        )
    forget(protocol_key(clinic.pk))  # a read after this, in this request, sees the change
    return clinic_protocol(clinic)
