"""A change of IV dose between sessions: accepted only with a documented reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketacare.clinical.common import positive_number
from ketacare.clinical.dosing.iv import DEFAULT_IV_PROTOCOL, IvProtocol
from ketacare.clinical.dosing.refusals import TitrationRefused, mg_per_kg_refusal
from ketacare.clinical.dosing.rounding import is_above, to_decimal


@dataclass(frozen=True, kw_only=True)
class TitrationCheck:
    """A checked change of IV mg/kg between sessions. No step-size limit is applied: the
    reference's step sizes are unverified (§1.1), so the prescriber's documented reason decides."""

    previous_dose_mg_per_kg: float
    new_dose_mg_per_kg: float
    change_mg_per_kg: float
    direction: str  # "increase", "decrease" or "unchanged"
    reason: str
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=("S1",))


def check_titration(
    *,
    previous_dose_mg_per_kg: float,
    new_dose_mg_per_kg: float,
    reason: str | None,
    protocol: IvProtocol = DEFAULT_IV_PROTOCOL,
) -> TitrationCheck:
    """Accept a dose change only with a documented reason; refuse above the protocol maximum."""
    previous = positive_number("Previous dose", previous_dose_mg_per_kg, "mg/kg")
    new = positive_number("New dose", new_dose_mg_per_kg, "mg/kg")
    change = float(to_decimal(new) - to_decimal(previous))
    direction = "unchanged" if change == 0 else ("increase" if change > 0 else "decrease")
    text = (reason or "").strip()
    if direction != "unchanged" and not text:
        raise TitrationRefused(
            f"Changing the dose from {previous:g} to {new:g} mg/kg needs a documented reason "
            "(e.g. partial response after 3 sessions, or side effects)."
        )
    if is_above(new, protocol.max_mg_per_kg):  # source: S1, S4
        raise mg_per_kg_refusal(new, protocol.max_mg_per_kg, "IV", "S1, S4")
    usual = protocol.usual_range.warning(new, what="New IV dose")
    return TitrationCheck(
        previous_dose_mg_per_kg=previous,
        new_dose_mg_per_kg=new,
        change_mg_per_kg=change,
        direction=direction,
        reason=text,
        warnings=(usual,) if usual else (),
    )
