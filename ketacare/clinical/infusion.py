"""The administration record of an IV infusion and its arithmetic: what the pump delivered.

Pure Python, exact rational arithmetic. The delivered dose is always computed from the
concentration *in the bag the pump runs* (drug mg ÷ the bag's final volume), never from the
vial's concentration: a 36 mg dose drawn from a 50 mg/mL vial into a 100 mL bag runs at
0.36 mg/mL, so 150 mL/h delivers 18 mg in 20 minutes, not 2,500 mg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from ketacare.clinical.common import ClinicalRuleError


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time")


# --- what the pump holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class PumpContents:
    """The bag on the pump: drug mg, diluent and final volume, hence its concentration.

    ``final_volume_ml`` is everything in the bag once the drug is added (drug volume included);
    ``diluent_ml`` is the carrier (e.g. 0.9 % sodium chloride) it was made up with, where known.
    """

    drug_mg: float
    final_volume_ml: float
    diluent_ml: float | None = None
    vial_concentration_mg_per_ml: float | None = None

    @property
    def concentration_mg_per_ml(self) -> float:
        """mg/mL in the bag: drug mg ÷ final volume mL."""
        return float(Fraction(str(self.drug_mg)) / Fraction(str(self.final_volume_ml)))

    @property
    def drug_volume_ml(self) -> float | None:
        """The volume drawn from the vial, where its concentration is known."""
        if self.vial_concentration_mg_per_ml is None:
            return None
        return self.drug_mg / self.vial_concentration_mg_per_ml


def _finite_positive(name: str, value: float | None, unit: str) -> float:
    if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ClinicalRuleError(f"{name} must be above 0 {unit}, got {value!r}")
    return float(value)


def pump_contents(
    *,
    drug_mg: float,
    final_volume_ml: float,
    diluent_ml: float | None = None,
    vial_concentration_mg_per_ml: float | None = None,
) -> PumpContents:
    """Check what the nurse made up and return it; ClinicalRuleError names what does not add up.

    Refused: any amount at or below 0; a bag more concentrated than the vial it was drawn from
    (dilution cannot raise a concentration); a diluent volume at or above the final volume
    (the drug adds volume); a final volume smaller than the drug volume drawn from the vial.
    """
    drug = _finite_positive("The drug in the bag", drug_mg, "mg")
    final = _finite_positive("The bag's final volume", final_volume_ml, "mL")
    diluent = None if diluent_ml is None else _finite_positive("The diluent", diluent_ml, "mL")
    vial = (
        None
        if vial_concentration_mg_per_ml is None
        else _finite_positive("The vial concentration", vial_concentration_mg_per_ml, "mg/mL")
    )
    if diluent is not None and diluent >= final:
        raise ClinicalRuleError(
            f"The diluent ({diluent:g} mL) must be less than the bag's final volume "
            f"({final:g} mL), which includes the drug"
        )
    if vial is not None:
        drug_ml = drug / vial
        if drug_ml > final:
            raise ClinicalRuleError(
                f"{drug:g} mg at {vial:g} mg/mL is {drug_ml:.2f} mL, more than the bag's final "
                f"volume of {final:g} mL: check the volumes"
            )
    return PumpContents(drug, final, diluent, vial)


# --- the pump record --------------------------------------------------------------------------


class AdminEventKind(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    RATE_CHANGE = "rate_change"
    STOP = "stop"


@dataclass(frozen=True)
class AdminEvent:
    """One pump event. ``start`` and ``rate_change`` carry a rate; a rate change needs a reason."""

    kind: AdminEventKind
    at: datetime
    rate_ml_per_h: float | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AdminEventKind(self.kind))
        _aware("The event time", self.at)
        has_rate = self.kind in (AdminEventKind.START, AdminEventKind.RATE_CHANGE)
        rate = self.rate_ml_per_h
        if has_rate:
            if rate is None or isinstance(rate, bool) or not math.isfinite(rate) or rate <= 0:
                raise ClinicalRuleError(
                    f"{self.kind.value.replace('_', ' ').capitalize()} needs a rate above 0 mL/h "
                    "(to stop the flow, pause)"
                )
        elif rate is not None:
            raise ClinicalRuleError(f"A {self.kind.value} event carries no rate")
        if self.kind is AdminEventKind.RATE_CHANGE and (not self.reason or not self.reason.strip()):
            raise ClinicalRuleError("A rate change needs a documented reason")

    @classmethod
    def start(cls, at: datetime, rate_ml_per_h: float) -> AdminEvent:
        return cls(AdminEventKind.START, at, rate_ml_per_h)

    @classmethod
    def pause(cls, at: datetime, reason: str | None = None) -> AdminEvent:
        return cls(AdminEventKind.PAUSE, at, reason=reason)

    @classmethod
    def resume(cls, at: datetime) -> AdminEvent:
        return cls(AdminEventKind.RESUME, at)

    @classmethod
    def rate_change(cls, at: datetime, rate_ml_per_h: float, reason: str) -> AdminEvent:
        return cls(AdminEventKind.RATE_CHANGE, at, rate_ml_per_h, reason)

    @classmethod
    def stop(cls, at: datetime, reason: str | None = None) -> AdminEvent:
        return cls(AdminEventKind.STOP, at, reason=reason)


_NEXT: dict[str, dict[AdminEventKind, str]] = {
    "not_started": {AdminEventKind.START: "running"},
    "running": {
        AdminEventKind.PAUSE: "paused",
        AdminEventKind.RATE_CHANGE: "running",
        AdminEventKind.STOP: "stopped",
    },
    "paused": {
        AdminEventKind.RESUME: "running",
        AdminEventKind.RATE_CHANGE: "paused",  # takes effect on resume
        AdminEventKind.STOP: "stopped",
    },
    "stopped": {},
}

# (start, end or None while still running, rate)
_Segment = tuple[datetime, datetime | None, Fraction]


@dataclass(frozen=True)
class AdministrationRecord:
    """The pump events of one administration, validated in order on construction."""

    events: tuple[AdminEvent, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        self._replay()

    def append(self, event: AdminEvent) -> AdministrationRecord:
        """A new record with ``event`` added; ClinicalRuleError if it is out of order."""
        return AdministrationRecord((*self.events, event))

    @property
    def status(self) -> str:
        """not_started, running, paused or stopped."""
        return self._replay()[0]

    def _replay(self) -> tuple[str, list[_Segment]]:
        status, rate = "not_started", Fraction(0)
        previous: datetime | None = None
        segments: list[_Segment] = []
        for event in self.events:
            if previous is not None and event.at < previous:
                raise ClinicalRuleError(
                    f"{event.kind.value} at {event.at:%H:%M:%S} is before the previous event at "
                    f"{previous:%H:%M:%S}: events must be recorded in time order"
                )
            nxt = _NEXT[status].get(event.kind)
            if nxt is None:
                raise ClinicalRuleError(
                    f"Cannot record {event.kind.value.replace('_', ' ')} while the "
                    f"administration is {status.replace('_', ' ')}"
                )
            if status == "running":  # this event ends the open running period
                began, _, segment_rate = segments[-1]
                segments[-1] = (began, event.at, segment_rate)
            if event.rate_ml_per_h is not None:
                rate = Fraction(str(event.rate_ml_per_h))
            if nxt == "running":  # start, resume, or a rate change while running
                segments.append((event.at, None, rate))
            status, previous = nxt, event.at
        return status, segments


@dataclass(frozen=True)
class Delivered:
    """What the pump delivered at the recorded rates.

    Excludes priming volume, line dead space and any bolus not in the record.
    """

    volume_ml: float
    dose_mg: float
    running_minutes: float


_US_PER_H = 3_600_000_000


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _positive(name: str, value: float) -> Fraction:
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ClinicalRuleError(f"{name} must be above 0, got {value!r}")
    return Fraction(str(value))


def delivered(
    record: AdministrationRecord,
    *,
    bag_concentration_mg_per_ml: float,
    as_of: datetime | None = None,
) -> Delivered:
    """Volume, dose and running time integrated over the running periods of ``record``.

    ``bag_concentration_mg_per_ml`` is the concentration in the bag the pump runs
    (``PumpContents.concentration_mg_per_ml``), never the vial's. Counted up to ``as_of`` when
    given (needed while the pump still runs), else to the stop. Exact rational arithmetic; the
    result is converted to float once at the end.
    """
    concentration = _positive("The bag concentration (mg/mL)", bag_concentration_mg_per_ml)
    status, segments = record._replay()
    if as_of is not None:
        _aware("as_of", as_of)
    elif status in ("running", "paused"):
        raise ClinicalRuleError(
            "The administration has not been stopped: give the time to count up to (as_of)"
        )
    volume, running_us = Fraction(0), 0
    for start, end, rate in segments:
        stop = as_of if end is None else (end if as_of is None else min(end, as_of))
        assert stop is not None  # an open segment exists only while running, with as_of given
        span = max(0, _micros(stop - start))
        volume += rate * span / _US_PER_H
        running_us += span
    return Delivered(
        volume_ml=float(volume),
        dose_mg=float(volume * concentration),
        running_minutes=running_us / 60_000_000,
    )


@dataclass(frozen=True)
class RunningPeriod:
    """One stretch of the pump running at one rate: what it delivered and when."""

    started_at: datetime
    minutes: float
    rate_ml_per_h: float
    dose_mg: float


def running_periods(
    record: AdministrationRecord,
    *,
    bag_concentration_mg_per_ml: float,
    as_of: datetime | None = None,
) -> tuple[RunningPeriod, ...]:
    """The record as constant-rate periods (pauses left out), each with the mg it delivered at
    the bag's concentration, counted up to ``as_of`` when given (needed while running).

    This is the pump's dosing history in the form a pharmacokinetic model takes.
    """
    concentration = _positive("The bag concentration (mg/mL)", bag_concentration_mg_per_ml)
    status, segments = record._replay()
    if as_of is not None:
        _aware("as_of", as_of)
    elif status in ("running", "paused"):
        raise ClinicalRuleError(
            "The administration has not been stopped: give the time to count up to (as_of)"
        )
    periods = []
    for start, end, rate in segments:
        stop = as_of if end is None else (end if as_of is None else min(end, as_of))
        assert stop is not None
        span = max(0, _micros(stop - start))
        if span == 0:
            continue
        volume = rate * span / _US_PER_H
        periods.append(
            RunningPeriod(start, span / 60_000_000, float(rate), float(volume * concentration))
        )
    return tuple(periods)


@dataclass(frozen=True)
class OrderCheck:
    delivered_mg: float
    ordered_mg: float
    remaining_mg: float


def check_not_above_order(delivered_mg: float, ordered_mg: float) -> OrderCheck:
    """The remaining dose; ClinicalRuleError when the delivered dose is above the signed order.

    Exactly the ordered dose is allowed; anything above it is refused, with no tolerance.
    """
    ordered = _positive("The ordered dose (mg)", ordered_mg)
    if isinstance(delivered_mg, bool) or not math.isfinite(delivered_mg) or delivered_mg < 0:
        raise ClinicalRuleError(f"The delivered dose must be 0 mg or more, got {delivered_mg!r}")
    given = Fraction(str(delivered_mg))
    if given > ordered:
        raise ClinicalRuleError(
            f"Delivered {delivered_mg:g} mg is above the signed order of {ordered_mg:g} mg: "
            "stop the infusion and tell the prescriber"
        )
    return OrderCheck(delivered_mg, ordered_mg, float(ordered - given))


def order_reached_at(
    record: AdministrationRecord, *, bag_concentration_mg_per_ml: float, ordered_mg: float
) -> datetime | None:
    """When the ordered dose is (or was) reached at the recorded rates; None if it is not.

    For a running pump this is the time to stop it, rounded down to the microsecond so the
    stop never comes after the ordered dose.
    """
    concentration = _positive("The bag concentration (mg/mL)", bag_concentration_mg_per_ml)
    ordered_ml = _positive("The ordered dose (mg)", ordered_mg) / concentration
    given_ml = Fraction(0)
    for start, end, rate in record._replay()[1]:
        needed_us = (ordered_ml - given_ml) * _US_PER_H / rate
        if end is None or _micros(end - start) >= needed_us:
            return start + timedelta(microseconds=math.floor(needed_us))
        given_ml += rate * _micros(end - start) / _US_PER_H
    return None
