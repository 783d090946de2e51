"""Esketamine nasal spray (Spravato): the label's permitted doses, 28 mg devices and their
schedule."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.dosing.parameters import ESKETAMINE_28_MG_ELDERLY_START
from ketacare.clinical.dosing.refusals import DoseRefused
from ketacare.clinical.dosing.rounding import round_half_up

ESKETAMINE_DEVICE_MG: Final = 28  # source: S45
ESKETAMINE_DEVICE_VOLUME_ML: Final = 0.2  # source: S45
ESKETAMINE_SPRAYS_PER_DEVICE: Final = 2  # one per nostril  # source: S45
ESKETAMINE_MINUTES_BETWEEN_DEVICES: Final = 5  # source: S11, S46
ESKETAMINE_STEP_MG: Final = 28  # dose changes in 28 mg steps  # source: S46
ESKETAMINE_ELDERLY_AGE_YEARS: Final = 65  # EU/HK 28 mg start  # source: S46


class EsketamineIndication(enum.StrEnum):
    TRD = "trd"  # treatment-resistant depression  # source: S47, S48
    MDSI = "mdsi"  # MDD with acute suicidal ideation or behaviour  # source: S49


@dataclass(frozen=True, kw_only=True)
class EsketamineProtocol:
    """Clinic options for esketamine. 28 mg is off unless the clinic enables the EU/HK elderly
    start (S46); the US label starts all adults at 56 mg (that US detail is unverified)."""

    allow_28_mg_elderly_start: bool = bool(ESKETAMINE_28_MG_ELDERLY_START.value)  # source: S46


DEFAULT_ESKETAMINE_PROTOCOL: Final = EsketamineProtocol()


@dataclass(frozen=True)
class DeviceStep:
    """One 28 mg device: 2 sprays (one per nostril), ``offset_minutes`` after the first device."""

    device_number: int
    offset_minutes: int
    sprays: int
    at: datetime | None


@dataclass(frozen=True, kw_only=True)
class EsketamineDose:
    """One esketamine session: ``dose_mg`` is the total of all devices (28 mg each)."""

    dose_mg: int
    devices: int
    volume_ml: float
    indication: EsketamineIndication
    schedule: tuple[DeviceStep, ...]
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def esketamine_dose(
    *,
    dose_mg: int,
    indication: EsketamineIndication | str,
    previous_dose_mg: int | None,
    age_years: int | None = None,
    protocol: EsketamineProtocol = DEFAULT_ESKETAMINE_PROTOCOL,
    first_device_at: datetime | None = None,
) -> EsketamineDose:
    """Check an esketamine dose against the label rules and lay out the device schedule.

    ``previous_dose_mg`` is the last dose of this course, None for the course's first dose.
    TRD: first dose 56 mg; 84 mg only after a 56 mg start (S11); changes in 28 mg steps (S46).
    MDSI: 84 mg, may reduce to 56 mg for tolerability (S49, S51). Devices 5 min apart (S11, S46).
    """
    indication = EsketamineIndication(indication)
    if isinstance(dose_mg, bool) or not isinstance(dose_mg, (int, float)):
        raise ClinicalRuleError(f"Esketamine dose must be a number of mg, got {dose_mg!r}")
    warnings: list[str] = []
    allowed = {56, 84}  # source: S11, S46
    if indication is EsketamineIndication.TRD and protocol.allow_28_mg_elderly_start:
        allowed.add(28)  # source: S46 (EU/HK label)
    if previous_dose_mg is not None and previous_dose_mg not in {28, 56, 84}:
        raise ClinicalRuleError(f"Previous esketamine dose {previous_dose_mg} mg is not 28/56/84.")
    if dose_mg not in allowed:
        raise DoseRefused(_esketamine_not_allowed(dose_mg, indication, protocol))
    if dose_mg == 28:
        if age_years is None or age_years < ESKETAMINE_ELDERLY_AGE_YEARS:
            raise DoseRefused(
                f"28 mg is the EU/HK label's start dose for patients aged "
                f"{ESKETAMINE_ELDERLY_AGE_YEARS} or over (S46); this patient's age is "
                f"{'not recorded' if age_years is None else age_years}."
            )
        warnings.append(
            "28 mg: EU/HK label start for patients ≥ 65 (S46); the US label uses 56 mg for all "
            "adults (US detail unverified)."
        )
    if previous_dose_mg is None:
        if indication is EsketamineIndication.TRD and dose_mg == 84:  # source: S11
            raise DoseRefused(
                "The first esketamine dose of a course is 56 mg; 84 mg only after a 56 mg start "
                "(S11)."
            )
        if indication is EsketamineIndication.MDSI and dose_mg == 56:  # source: S49, S51
            warnings.append(
                "MDSI label dose is 84 mg twice weekly; 56 mg is the reduction for tolerability "
                "(S49, S51)."
            )
    elif abs(dose_mg - previous_dose_mg) > ESKETAMINE_STEP_MG:  # source: S46
        raise DoseRefused(
            f"Esketamine doses change in 28 mg steps (S46): {previous_dose_mg} mg → {dose_mg} mg "
            f"skips a step; go to {previous_dose_mg + (28 if dose_mg > previous_dose_mg else -28)} "
            "mg first."
        )
    dose_mg = int(dose_mg)
    devices = dose_mg // ESKETAMINE_DEVICE_MG
    schedule = tuple(
        DeviceStep(
            device_number=number + 1,
            offset_minutes=number * ESKETAMINE_MINUTES_BETWEEN_DEVICES,  # source: S11, S46
            sprays=ESKETAMINE_SPRAYS_PER_DEVICE,
            at=None
            if first_device_at is None
            else first_device_at + timedelta(minutes=number * ESKETAMINE_MINUTES_BETWEEN_DEVICES),
        )
        for number in range(devices)
    )
    return EsketamineDose(
        dose_mg=dose_mg,
        devices=devices,
        volume_ml=round_half_up(devices * ESKETAMINE_DEVICE_VOLUME_ML, 0.01),
        indication=indication,
        schedule=schedule,
        warnings=tuple(warnings),
        sources=("S11", "S45", "S46")
        + (("S49", "S51") if indication is EsketamineIndication.MDSI else ()),
    )


def _esketamine_not_allowed(
    dose_mg: int, indication: EsketamineIndication, protocol: EsketamineProtocol
) -> str:
    if dose_mg == 28 and indication is EsketamineIndication.TRD:
        return (
            "28 mg is not enabled: the US label uses 56 mg for all adults (unverified detail); "
            "the clinic may enable the EU/HK 28 mg start for patients ≥ 65 (S46)."
        )
    if dose_mg == 28:
        return "28 mg is not a dose for the MDSI indication: 84 mg, or 56 mg for tolerability."
    return (
        f"Esketamine {dose_mg} mg is not a permitted dose: 56 mg (2 devices) or 84 mg "
        f"(3 devices) of 28 mg each (S11, S45, S46)."
    )
