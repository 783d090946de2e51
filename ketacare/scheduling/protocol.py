"""The protocol values scheduling reads, gathered once per request from where each is kept.

- scheduling's own settings (chair and nurse time, nurse capacity, reminders, ...): the clinic
  settings registry, section ``scheduling``;
- regimen templates, the IV infusion duration and preparation instructions: the treatment app's
  protocol;
- the minimum observation time: the clinic's monitoring protocol as sessions apply it (through
  the port in ``ports.py``: scheduling sits below sessions).

This is the one place that knows those homes; everything else asks ``scheduling_protocol``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ketacare.clinic_settings.selectors import clinic_protocol as clinic_settings
from ketacare.clinical.common import Route
from ketacare.clinical.regimens import RegimenTemplate
from ketacare.clinical.scheduling_needs import (
    FIRST_REMINDER_HOURS,
    LATE_CANCEL_HOURS,
    NURSE_CONCURRENT_SESSIONS,
    OFFER_EXPIRY_HOURS,
    SEARCH_DAYS,
    SECOND_REMINDER_HOURS,
    SECTION,
    SETTINGS,
    SLOT_STEP_MINUTES,
    ResourceNeeds,
    resource_needs,
    setting_value,
)
from ketacare.clinical.scheduling_series import SeriesPattern, series_pattern
from ketacare.core.models import Clinic
from ketacare.scheduling.ports import monitoring_protocol
from ketacare.treatment.preparation import instructions_text
from ketacare.treatment.protocol import ClinicProtocol
from ketacare.treatment.selectors import clinic_protocol as treatment_protocol


@dataclass
class SchedulingProtocol:
    """Everything scheduling reads from a clinic's protocol (queries made on first use)."""

    clinic: Clinic
    _needs: dict[Route, ResourceNeeds] = field(default_factory=dict)

    @cached_property
    def values(self) -> dict[str, Any]:
        """Scheduling settings by their key in ``scheduling_needs`` (no section prefix)."""
        protocol = clinic_settings(self.clinic)
        return {item.key: protocol.get(f"{SECTION}.{item.key}") for item in SETTINGS}

    @cached_property
    def treatment(self) -> ClinicProtocol:
        return treatment_protocol(self.clinic)

    def value(self, key: str) -> Any:
        return setting_value(self.values, key)

    def needs(self, route: Route | str) -> ResourceNeeds:
        """One session's needs for ``route``; ClinicalRuleError names any unset setting."""
        route = Route(route)
        if route not in self._needs:
            observation = monitoring_protocol(self.clinic, route).minimum_observation_minutes.value
            self._needs[route] = resource_needs(
                route,
                values=self.values,
                observation_minutes=observation,
                iv_infusion_minutes=float(self.treatment.iv.infusion_minutes),
            )
        return self._needs[route]

    def template(self, regimen_key: str) -> RegimenTemplate:
        return self.treatment.templates[regimen_key]

    def pattern(
        self, regimen_key: str, phase: str, *, sessions: int | None = None, step: int = 0
    ) -> SeriesPattern:
        return series_pattern(self.template(regimen_key), phase, sessions=sessions, step=step)

    def preparation(self, route: Route | str) -> str:
        """The route's preparation instructions as the patient reads them."""
        return instructions_text(route, self.treatment.monitoring[Route(route)])

    @property
    def nurse_capacity(self) -> int:
        return int(self.value(NURSE_CONCURRENT_SESSIONS.key))

    @property
    def step_minutes(self) -> int:
        return int(self.value(SLOT_STEP_MINUTES.key))

    @property
    def search_days(self) -> int:
        return int(self.value(SEARCH_DAYS.key))

    @property
    def late_cancel_hours(self) -> int:
        return int(self.value(LATE_CANCEL_HOURS.key))

    @property
    def offer_expiry_hours(self) -> int:
        return int(self.value(OFFER_EXPIRY_HOURS.key))

    @property
    def reminder_hours(self) -> tuple[int, ...]:
        """Hours before an appointment that a reminder goes out, largest first (0: none)."""
        hours = {
            int(self.value(FIRST_REMINDER_HOURS.key)),
            int(self.value(SECOND_REMINDER_HOURS.key)),
        }
        return tuple(sorted((h for h in hours if h > 0), reverse=True))


def scheduling_protocol(clinic: Clinic) -> SchedulingProtocol:
    return SchedulingProtocol(clinic)
