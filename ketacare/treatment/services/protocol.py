"""Changing one value of the clinic's treatment protocol: parsed and checked here against its
catalogue entry, stored through the one clinic-settings service (which builds the core's objects
with it, ``treatment.protocol.build_protocol``, and audits the change)."""

from __future__ import annotations

import datetime as dt

from ketacare.audit.services import RequestOrigin
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.errors import Invalid, NotFound
from ketacare.core.models import Clinic
from ketacare.treatment.errors import TreatmentInvalid
from ketacare.treatment.protocol import SEVERITY_PREFIX, SPECS, SettingSpec, registry_key


def _spec(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise NotFound(f"Unknown protocol setting {key!r}.")
    return spec


def _store(clinic: Clinic, key: str, value: object, origin: RequestOrigin, at: dt.datetime):
    try:
        clinic_settings_update(
            clinic=clinic, values={registry_key(key): value}, origin=origin, at=at
        )
    except Invalid as refused:
        message = refused.message.removeprefix("Nothing was saved: ")
        raise TreatmentInvalid(message, fields={"value": message}) from None


def protocol_setting_set(
    *, clinic: Clinic, key: str, value: object, origin: RequestOrigin, at: dt.datetime
) -> None:
    """Set one protocol value for the clinic, refused unless the clinical core accepts it.

    Setting a rule's severity back to its default removes the override.
    """
    spec = _spec(key)
    try:
        parsed = spec.parse(value)
    except ClinicalRuleError as refused:
        raise TreatmentInvalid(str(refused), fields={"value": str(refused)}) from None
    if not spec.editable and parsed != spec.default:
        raise TreatmentInvalid(f"{spec.label} is fixed by its source and cannot change.")
    back_to_default = parsed == spec.default and key.startswith(SEVERITY_PREFIX)
    _store(clinic, key, None if back_to_default else parsed, origin, at)


def protocol_setting_reset(
    *, clinic: Clinic, key: str, origin: RequestOrigin, at: dt.datetime
) -> None:
    """Return one value to the reference default (or to unset, where the reference is silent)."""
    _store(clinic, _spec(key).key, None, origin, at)
