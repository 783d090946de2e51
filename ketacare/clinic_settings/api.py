"""Clinic protocol settings under /api/v1/clinic-settings."""

from __future__ import annotations

from ninja import Router

from ketacare.clinic_settings.presenters import protocol_rows
from ketacare.clinic_settings.schemas import ProtocolIn, ProtocolOut
from ketacare.clinic_settings.selectors import ClinicProtocol, clinic_protocol
from ketacare.clinic_settings.services import clinic_settings_update
from ketacare.core.actions import action
from ketacare.core.roles import Capability
from ketacare.core.schemas import ERRORS

router = Router(tags=["clinic settings"])


def _out(protocol: ClinicProtocol) -> dict:
    return {
        "clinic_id": protocol.clinic_id,
        "settings": protocol_rows(protocol),
        "unconfigured": [s.key for s in protocol.unconfigured()],
        "unconfirmed": [s.key for s in protocol.unconfirmed()],
    }


@router.get("", response={200: ProtocolOut, **ERRORS}, summary="Every protocol setting in force")
def protocol_get(request):
    act = action(request, Capability.PROTOCOL_VIEW)
    return _out(clinic_protocol(act.clinic))


@router.put(
    "",
    response={200: ProtocolOut, **ERRORS},
    summary="Change settings within their safe bounds (medical director); null clears one",
)
def protocol_put(request, payload: ProtocolIn):
    act = action(request, Capability.PROTOCOL_EDIT)
    protocol = clinic_settings_update(
        clinic=act.clinic, values=payload.values, origin=act.origin, at=act.at
    )
    return _out(protocol)
