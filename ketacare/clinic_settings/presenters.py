"""One row per setting, shared by the page and the API."""

from __future__ import annotations

from ketacare.clinic_settings import registry
from ketacare.clinic_settings.selectors import ClinicProtocol


def setting_row(item: registry.Setting, protocol: ClinicProtocol) -> dict:
    default = item.default
    stored = protocol.stored.get(item.key)
    return {
        "key": item.key,
        "section": item.section,
        "label": default.label,
        "unit": default.unit,
        "value": protocol.values.get(item.key),
        "default": default.value,
        "set_by_clinic": stored is not None,
        "required": item.required,
        "verified": default.provenance.verified,
        "confirmed": default.provenance.verified or stored is not None,
        "sources": list(default.provenance.sources),
        "note": default.provenance.note,
        "minimum": default.minimum,
        "maximum": default.maximum,
        "choices": list(default.choices),
        "kind": item.kind.__name__,
        "updated": stored,
    }


def protocol_rows(protocol: ClinicProtocol) -> list[dict]:
    return [setting_row(item, protocol) for item in registry.settings()]
