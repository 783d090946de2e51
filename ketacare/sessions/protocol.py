"""A clinic's monitoring protocol per route: the reference defaults plus the clinic's own values.

The values themselves, their bounds and their sources live in ``ketacare.clinical.monitoring``;
this module only stores what the medical director set and builds the protocol from it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.monitoring import MonitoringProtocol, default_protocol
from ketacare.core.models import Clinic
from ketacare.sessions.models import MonitoringSettings
from ketacare.treatment.selectors import monitoring_protocol

# Fasting times are also the patient's preparation instructions: the treatment app's protocol
# page owns them (``treatment.selectors.monitoring_protocol``); this page shows them read-only,
# so each value is set in exactly one place.
FASTING_KEYS = ("fasting_food_minutes", "fasting_liquid_minutes")


def keys_set_elsewhere() -> tuple[str, ...]:
    """Protocol keys the treatment app's protocol page owns (read-only here)."""
    return FASTING_KEYS


def protocol_for(clinic: Clinic, route: Route | str) -> MonitoringProtocol:
    """The protocol in force at ``clinic`` for ``route``; unset required values stay None."""
    route = Route(route)
    protocol = monitoring_protocol(clinic, route)
    stored = MonitoringSettings.objects.filter(clinic=clinic, route=route.value).first()
    if stored and stored.values:
        known = {s.key for s in protocol.settings()} - set(keys_set_elsewhere())
        protocol = protocol.with_settings(
            **{k: int(v) for k, v in stored.values.items() if k in known and v is not None}
        )
    return protocol


@transaction.atomic
def protocol_update(
    *,
    clinic: Clinic,
    route: Route | str,
    values: dict[str, int | None],
    origin: RequestOrigin,
    at: dt.datetime,
) -> MonitoringProtocol:
    """Store the clinic's values for ``route``; each is checked against its safe bounds first.

    ``None`` clears a value back to the reference default. ClinicalRuleError names a value out
    of bounds or a key the protocol does not have.
    """
    route = Route(route)
    for key in keys_set_elsewhere():
        if values.get(key) is not None:
            label = getattr(default_protocol(route), key).label
            raise ClinicalRuleError(f"{label} is set on the treatment protocol page")
    values = {k: v for k, v in values.items() if k not in keys_set_elsewhere()}
    settings, _ = MonitoringSettings.objects.select_for_update().get_or_create(
        clinic=clinic, route=route.value, defaults={"updated_at": at}
    )
    before = dict(settings.values)
    after = {k: v for k, v in {**before, **values}.items() if v is not None}
    protocol = default_protocol(route).with_settings(**after)  # validates every value
    settings.values = after
    settings.updated_at = at
    settings.updated_by = origin.actor
    settings.save()
    audit_record(
        origin=origin,
        action="update",
        object_type="monitoring_protocol",
        object_id=settings.pk,
        clinic_id=clinic.pk,
        summary=f"Monitoring protocol for {route.value} changed",
        changes={
            k: {"before": before.get(k), "after": after.get(k)}
            for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)
        },
        at=at,
    )
    return protocol
