"""Reading a clinic's protocol: the registered defaults with the clinic's values on top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ketacare.clinic_settings import registry
from ketacare.clinic_settings.models import ClinicSetting
from ketacare.clinical.common import ClinicalRuleError
from ketacare.core.models import Clinic
from ketacare.core.request_cache import cached


@dataclass(frozen=True)
class StoredValue:
    value: Any
    updated_at: dt.datetime
    updated_by: str


@dataclass(frozen=True)
class ClinicProtocol:
    """Every registered setting's value in force at one clinic (None: not set, required)."""

    clinic_id: int
    values: Mapping[str, Any]
    stored: Mapping[str, StoredValue]

    def get(self, key: str) -> Any:
        """The value in force, or None when the reference gives none and the clinic has not
        set it. Unknown keys are a programming error (KeyError)."""
        registry.setting(key)
        return self.values.get(key)

    def require(self, key: str) -> Any:
        """The value in force; ClinicalRuleError naming the setting when it is not set."""
        value = self.get(key)
        if value is None:
            label = registry.setting(key).label
            raise ClinicalRuleError(
                f"{label} has no value in the clinical reference: the medical director must set "
                "it on the protocol settings page first"
            )
        return value

    def set_by_clinic(self, key: str) -> bool:
        return key in self.stored

    def unconfigured(self) -> tuple[registry.Setting, ...]:
        """Required settings the clinic has not set."""
        return tuple(s for s in registry.settings() if s.required and s.key not in self.stored)

    def unconfirmed(self) -> tuple[registry.Setting, ...]:
        """Defaults resting on an unverified source that the medical director has not confirmed
        (by saving a value)."""
        return tuple(
            s
            for s in registry.settings()
            if s.unverified and not s.required and s.key not in self.stored
        )


def protocol_key(clinic_id: int) -> tuple[str, int]:
    """The request-cache key of a clinic's protocol (``clinic_settings_update`` forgets it)."""
    return ("clinic_protocol", clinic_id)


def clinic_protocol(clinic: Clinic | int) -> ClinicProtocol:
    """One query, once per request: the clinic's stored values over the registered defaults."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return cached(protocol_key(clinic_id), lambda: _read(clinic_id))


def _read(clinic_id: int) -> ClinicProtocol:
    rows = ClinicSetting.objects.filter(clinic_id=clinic_id).select_related("updated_by")
    stored = {
        row.key: StoredValue(
            row.value,
            row.updated_at,
            (row.updated_by.get_full_name() or row.updated_by.get_username())
            if row.updated_by
            else "",
        )
        for row in rows
    }
    values = {}
    for item in registry.settings():
        values[item.key] = stored[item.key].value if item.key in stored else item.default.value
    return ClinicProtocol(clinic_id, MappingProxyType(values), MappingProxyType(stored))
