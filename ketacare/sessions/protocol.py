"""A clinic's monitoring protocol per route: the reference defaults plus the clinic's own values.

The values, their bounds and their sources live in ``ketacare.clinical.monitoring``; the clinic's
values live in the clinic-settings registry, one section per route (``monitoring.<route>``), set
on the one protocol settings page. Two kinds of value are set elsewhere, each once: the fasting
times (also the patient's preparation instructions, on the treatment protocol) and the pre-dose
blood-pressure caution, which is the screening's pre-treatment limit (``bp.pre_treatment_*``).
"""

from __future__ import annotations

from ketacare.clinic_settings.registry import register
from ketacare.clinic_settings.selectors import clinic_protocol
from ketacare.clinical.common import ROUTE_LABELS, Route
from ketacare.clinical.monitoring import MonitoringProtocol, configurable_defaults
from ketacare.core.models import Clinic
from ketacare.treatment.selectors import monitoring_protocol

FASTING_KEYS = ("fasting_food_minutes", "fasting_liquid_minutes")


def section(route: Route | str) -> str:
    """The registry section of ``route``'s monitoring values (``monitoring.racemic_iv``)."""
    return f"monitoring.{Route(route).value}"


def register_monitoring_settings() -> None:
    """Register every route's monitoring values (from the app's ``ready``)."""
    for route in Route:
        defaults = [d for d in configurable_defaults(route) if d.key not in FASTING_KEYS]
        register(
            section(route),
            f"Monitoring: {ROUTE_LABELS[route]}",
            defaults,
            description="Vital-sign thresholds, reading intervals and the observation time.",
            kinds={d.key: int for d in defaults},
        )


def protocol_for(clinic: Clinic, route: Route | str) -> MonitoringProtocol:
    """The protocol in force at ``clinic`` for ``route``; unset required values stay None."""
    route = Route(route)
    protocol = monitoring_protocol(clinic, route)  # fasting times and the pre-treatment limit
    prefix = f"{section(route)}."
    own = {
        key.removeprefix(prefix): stored.value
        for key, stored in clinic_protocol(clinic).stored.items()
        if key.startswith(prefix) and stored.value is not None
    }
    return protocol.with_settings(**own) if own else protocol
