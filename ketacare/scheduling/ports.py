"""Where the minimum observation time comes from: a port the sessions app fills (scheduling sits
below sessions, which open from appointments).

The clinic's monitoring protocol as sessions apply it (reference defaults plus the values the
medical director stored) is what a session's chair time must cover. The sessions app registers
``protocol_for`` here from its ``AppConfig.ready`` with ``provide_monitoring_protocol``; without
a provider, the treatment app's protocol (reference defaults and the clinic's fasting times) is
used, so an observation time the reference leaves open stays unset and is asked for by name.
"""

from __future__ import annotations

from collections.abc import Callable

from ketacare.clinical.common import Route
from ketacare.clinical.monitoring import MonitoringProtocol
from ketacare.core.models import Clinic
from ketacare.treatment.selectors import monitoring_protocol as treatment_monitoring

ProtocolOf = Callable[[Clinic, Route], MonitoringProtocol]

_provider: ProtocolOf | None = None


def provide_monitoring_protocol(protocol_of: ProtocolOf) -> None:
    """Register the owner of the monitoring protocol in force at a clinic."""
    global _provider
    _provider = protocol_of


def monitoring_protocol(clinic: Clinic, route: Route | str) -> MonitoringProtocol:
    route = Route(route)
    if _provider is not None:
        return _provider(clinic, route)
    return treatment_monitoring(clinic, route)
