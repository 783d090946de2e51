"""What one treatment session needs from the clinic, per route: chair time, nurse time, a
prescriber on site, observation time and what the chair must be able to do.

The needs come from the route's protocol, never from the person booking:

- IV dosing time is the clinic's IV infusion duration (``dosing.iv.infusion_minutes``, 40 min
  by default, source: S1, S2); the observation after it is the clinic's monitoring setting
  "minimum observation after end of dosing" (the reference gives no number for racemic routes).
- Esketamine observation is at least 2 hours counted from the first device (source: S10, S11,
  S12), so its dosing (devices 5 minutes apart, 84 mg = 3 devices, source: S11, S46) falls inside
  the observation; the REMS requires a prescriber on site during administration and monitoring
  and a setting with a pulse oximeter (source: S12).
- Check-in before dosing, discharge and chair turnover after the observation, the nurse's
  one-to-one time, how many sessions one nurse may run at once, and whether racemic routes need a
  prescriber on site: the reference is silent, so each is a required clinic setting (value None
  until the clinic sets it; ``resource_needs`` refuses with the setting's name).

Setting keys are registered under the ``scheduling`` section of the clinic settings, so the full
key of ``racemic_iv.arrival_minutes`` is ``scheduling.racemic_iv.arrival_minutes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from ketacare.clinical.common import (
    ROUTE_LABELS,
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    Route,
)

SECTION: Final = "scheduling"
_CLINIC: Final = Provenance((), verified=False, note="reference silent: the clinic must set this")
_OPERATIONAL: Final = Provenance((), note="operational default, not a clinical number")

ESKETAMINE_OBSERVATION_SOURCE: Final = Provenance(("S10", "S11", "S12"), note=">= 2 h")
ESKETAMINE_DEVICE_GAP_MINUTES: Final = 5  # source: S11, S46 — 5-minute rest between devices
ESKETAMINE_MAX_DEVICES: Final = 3  # source: S11, S46 — 84 mg = 3 devices


class ChairCapability(StrEnum):
    """What a chair or room is equipped and certified for."""

    IV_PUMP = "iv_pump"
    ESKETAMINE_OBSERVATION = "esketamine_observation"


CAPABILITY_LABELS: Final[dict[ChairCapability, str]] = {
    ChairCapability.IV_PUMP: "IV infusion pump",
    ChairCapability.ESKETAMINE_OBSERVATION: "Esketamine observation (REMS setting, pulse oximeter)",
}

# Routes given in a clinic chair. At-home sublingual telehealth sessions hold no chair.
CHAIR_ROUTES: Final = (
    Route.RACEMIC_IV,
    Route.ESKETAMINE_NASAL,
    Route.RACEMIC_IM,
    Route.RACEMIC_SC,
    Route.RACEMIC_SUBLINGUAL,
    Route.RACEMIC_ORAL,
)


def required_capabilities(route: Route | str) -> frozenset[ChairCapability]:
    """What the chair must offer for ``route``.

    IV infusions run on a pump (the dosing core gives the order as a pump rate); esketamine needs
    the REMS-certified setting with a pulse oximeter on site (source: S12).
    """
    route = Route(route)
    if route is Route.RACEMIC_IV:
        return frozenset({ChairCapability.IV_PUMP})
    if route is Route.ESKETAMINE_NASAL:
        return frozenset({ChairCapability.ESKETAMINE_OBSERVATION})  # source: S12
    return frozenset()


def _minutes(key: str, label: str, maximum: int = 480) -> ConfigurableDefault[int]:
    return ConfigurableDefault[int](key, label, None, "min", _CLINIC, 0, maximum)


def _route_settings(route: Route) -> list[ConfigurableDefault]:
    name = ROUTE_LABELS[route]
    items: list[ConfigurableDefault] = [
        _minutes(f"{route.value}.arrival_minutes", f"{name}: check-in and pre-dose checks"),
        _minutes(
            f"{route.value}.discharge_minutes",
            f"{name}: discharge and chair turnover after the minimum observation",
        ),
        _minutes(
            f"{route.value}.nurse_minutes", f"{name}: nurse one-to-one time from the session start"
        ),
    ]
    if route not in (Route.RACEMIC_IV, Route.ESKETAMINE_NASAL):
        items.append(_minutes(f"{route.value}.dosing_minutes", f"{name}: dosing time", 240))
    if route is not Route.ESKETAMINE_NASAL:  # esketamine: always, by the REMS (S12)
        items.append(
            ConfigurableDefault[bool](
                f"{route.value}.prescriber_on_site",
                f"{name}: a prescriber must be on site for the whole session",
                None,
                "",
                _CLINIC,
            )
        )
    return items


NURSE_CONCURRENT_SESSIONS: Final = ConfigurableDefault[int](
    "nurse_concurrent_sessions",
    "Sessions one nurse may have in progress at once",
    None,
    "",
    _CLINIC,
    1,
    12,
)
SLOT_STEP_MINUTES: Final = ConfigurableDefault[int](
    "slot_step_minutes", "Start times offered every", 15, "min", _OPERATIONAL, 5, 120
)
SEARCH_DAYS: Final = ConfigurableDefault[int](
    "search_days", "Slot finding looks this many days ahead", 60, "days", _OPERATIONAL, 7, 366
)
LATE_CANCEL_HOURS: Final = ConfigurableDefault[int](
    "late_cancel_hours",
    "A cancellation is late when made less than this before",
    24,
    "h",
    _OPERATIONAL,
    0,
    168,
)
FIRST_REMINDER_HOURS: Final = ConfigurableDefault[int](
    "first_reminder_hours",
    "First reminder before the appointment (0: none)",
    48,
    "h",
    _OPERATIONAL,
    0,
    336,
)
SECOND_REMINDER_HOURS: Final = ConfigurableDefault[int](
    "second_reminder_hours",
    "Second reminder before the appointment (0: none)",
    2,
    "h",
    _OPERATIONAL,
    0,
    336,
)
OFFER_EXPIRY_HOURS: Final = ConfigurableDefault[int](
    "offer_expiry_hours", "A waitlist offer expires after", 12, "h", _OPERATIONAL, 1, 168
)
# The length of a new patient's first consultation: the clinic's own (the reference gives none);
# the public directory shows the next free one only once it is set.
CONSULTATION_MINUTES: Final = ConfigurableDefault[int](
    "consultation_minutes", "New-patient consultation length", None, "min", _CLINIC, 10, 240
)

SETTINGS: Final[tuple[ConfigurableDefault, ...]] = (
    *(item for route in CHAIR_ROUTES for item in _route_settings(route)),
    NURSE_CONCURRENT_SESSIONS,
    SLOT_STEP_MINUTES,
    SEARCH_DAYS,
    LATE_CANCEL_HOURS,
    FIRST_REMINDER_HOURS,
    SECOND_REMINDER_HOURS,
    OFFER_EXPIRY_HOURS,
    CONSULTATION_MINUTES,
)
# The registry needs the kind of a setting the reference gives no value for.
SETTING_KINDS: Final[dict[str, type]] = {
    item.key: bool if item.key.endswith("prescriber_on_site") else int
    for item in SETTINGS
    if item.value is None
}
_BY_KEY: Final = {item.key: item for item in SETTINGS}


def setting_value(values: Mapping[str, Any], key: str) -> Any:
    """The clinic's value for ``key`` (a key of ``SETTINGS``), or ClinicalRuleError naming it."""
    item = _BY_KEY[key]
    value = values.get(key, item.value)
    if value is None:
        raise ClinicalRuleError(
            f"{item.label} has no value in the clinical reference: the medical director must "
            "set it on the protocol settings page (Scheduling) first"
        )
    return value


@dataclass(frozen=True)
class Part:
    """One stretch of the chair time, with where its length comes from."""

    label: str
    minutes: int
    source: str


@dataclass(frozen=True)
class ResourceNeeds:
    """What one session by ``route`` holds: the chair for ``chair_minutes`` from its start, a
    nurse working throughout (one-to-one for ``nurse_minutes`` from the start), a prescriber on
    site throughout when ``prescriber_on_site``, and a chair with ``capabilities``."""

    route: Route | None  # None: a visit that is not a treatment (consultation, follow-up)
    parts: tuple[Part, ...]
    nurse_minutes: int
    observation_minutes: int
    prescriber_on_site: bool
    capabilities: frozenset[ChairCapability]
    needs_chair: bool = True
    needs_nurse: bool = True

    @property
    def chair_minutes(self) -> int:
        return sum(part.minutes for part in self.parts)

    def describe(self) -> str:
        parts = " + ".join(f"{p.label} {p.minutes} min ({p.source})" for p in self.parts)
        name = ROUTE_LABELS[self.route] if self.route else "Visit"
        return f"{name}: {self.chair_minutes} min in the chair = {parts}"


def visit_needs(minutes: int, *, chair: bool, nurse: bool) -> ResourceNeeds:
    """A visit that is not a treatment (consultation, follow-up): its booked length, and a chair
    or room and a nurse only when it has them."""
    if minutes <= 0:
        raise ClinicalRuleError("A visit lasts at least a minute")
    return ResourceNeeds(
        route=None,
        parts=(Part("visit", minutes, "as booked"),),
        nurse_minutes=0,
        observation_minutes=0,
        prescriber_on_site=False,
        capabilities=frozenset(),
        needs_chair=chair,
        needs_nurse=nurse,
    )


def resource_needs(
    route: Route | str,
    *,
    values: Mapping[str, Any],
    observation_minutes: int | None,
    iv_infusion_minutes: float | None = None,
) -> ResourceNeeds:
    """The needs of one session by ``route`` from the clinic's settings.

    ``values`` are the clinic's scheduling settings by key (``racemic_iv.arrival_minutes``);
    ``observation_minutes`` is the route's minimum observation from the clinic's monitoring
    protocol (esketamine: at least 120, source: S10, S11, S12); ``iv_infusion_minutes`` the
    clinic's IV infusion duration (source: S1, S2). Refused, naming the setting, while any value
    needed is unset.
    """
    route = Route(route)
    if route not in CHAIR_ROUTES:
        raise ClinicalRuleError(f"{ROUTE_LABELS[route]} sessions are not held in a clinic chair")
    name = ROUTE_LABELS[route]
    if observation_minutes is None:
        raise ClinicalRuleError(
            f"{name}: the minimum observation time has no value in the clinical reference: the "
            "medical director must set it in the monitoring protocol first"
        )
    arrival = int(setting_value(values, f"{route.value}.arrival_minutes"))
    discharge = int(setting_value(values, f"{route.value}.discharge_minutes"))
    nurse = int(setting_value(values, f"{route.value}.nurse_minutes"))
    check_in = Part("check-in and pre-dose checks", arrival, "clinic setting")
    turnover = Part("discharge and turnover", discharge, "clinic setting")
    if route is Route.ESKETAMINE_NASAL:
        if observation_minutes < 120:  # source: S10, S11, S12
            raise ClinicalRuleError("Esketamine observation is at least 120 min (S10, S11, S12)")
        dosing = ESKETAMINE_DEVICE_GAP_MINUTES * (ESKETAMINE_MAX_DEVICES - 1)
        # Observation is counted from the first device, so dosing lies inside it.
        middle = (
            Part(
                "dosing and observation from the first device",
                max(observation_minutes, dosing),
                ESKETAMINE_OBSERVATION_SOURCE.cite(),
            ),
        )
        prescriber = True  # source: S12 — prescriber on site during administration and monitoring
    else:
        if route is Route.RACEMIC_IV:
            if iv_infusion_minutes is None:
                raise ClinicalRuleError("The IV infusion duration is needed to plan an IV session")
            dosing_part = Part("infusion", round(iv_infusion_minutes), "S1, S2 / clinic dosing")
        else:
            dosing_part = Part(
                "dosing",
                int(setting_value(values, f"{route.value}.dosing_minutes")),
                "clinic setting",
            )
        middle = (
            dosing_part,
            Part("observation after dosing", observation_minutes, "clinic monitoring protocol"),
        )
        prescriber = bool(setting_value(values, f"{route.value}.prescriber_on_site"))
    parts = (check_in, *middle, turnover)
    total = sum(part.minutes for part in parts)
    if total <= 0:
        raise ClinicalRuleError(f"{name}: a session must hold the chair for some minutes")
    if nurse > total:
        raise ClinicalRuleError(
            f"{name}: the nurse's one-to-one time ({nurse} min) is longer than the whole session "
            f"({total} min)"
        )
    return ResourceNeeds(
        route=route,
        parts=parts,
        nurse_minutes=nurse,
        observation_minutes=observation_minutes,
        prescriber_on_site=prescriber,
        capabilities=required_capabilities(route),
    )
