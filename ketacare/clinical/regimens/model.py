"""A regimen template and its schedule blocks: editable data, each count or frequency a
``ConfigurableDefault`` with its source; ``with_settings`` returns a checked copy."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance, Route

REQUIRED: Final = Provenance((), verified=False, note="reference silent: the clinic must set this")


class Phase(enum.StrEnum):
    INDUCTION = "induction"
    EVALUATION = "evaluation"
    MAINTENANCE = "maintenance"
    BOOSTER = "booster"
    PAUSED = "paused"
    COMPLETED = "completed"


def whole_number_setting(
    key: str,
    label: str,
    value: int | None,
    unit: str,
    provenance: Provenance,
    minimum: float | None = 1,
    maximum: float | None = None,
) -> ConfigurableDefault[int]:
    """A whole-number setting; ``minimum`` 1 is structural (a count or interval is positive)."""
    return ConfigurableDefault[int](
        key=key,
        label=label,
        value=value,
        unit=unit,
        provenance=provenance if value is not None else REQUIRED,
        minimum=minimum,
        maximum=maximum,
    )


@dataclass(frozen=True, kw_only=True)
class ScheduleBlock:
    """One stretch of a course: how many sessions, how often, within what window, what dose.

    Frequency is either ``sessions_per_week`` (sessions on fixed weekdays) or ``interval_days``
    (a fixed gap between sessions), never both. ``sessions`` None means open-ended (planned up to
    a date). ``allowed_interval_days`` restricts an interval to listed values (e.g. esketamine
    week 9+: weekly or every 2 weeks).
    """

    phase: Phase
    dose_description: str
    provenance: Provenance
    sessions: ConfigurableDefault[int] | None
    sessions_per_week: ConfigurableDefault[int] | None = None
    interval_days: ConfigurableDefault[int] | None = None
    window_days: ConfigurableDefault[int] | None = None
    first_dose_description: str | None = None
    allowed_interval_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if (self.sessions_per_week is None) == (self.interval_days is None):
            raise ClinicalRuleError(
                "A schedule block needs either sessions per week or an interval in days"
            )

    def settings(self) -> tuple[ConfigurableDefault[int], ...]:
        return tuple(
            item
            for item in (
                self.sessions,
                self.sessions_per_week,
                self.interval_days,
                self.window_days,
            )
            if item is not None
        )


@dataclass(frozen=True, kw_only=True)
class RegimenTemplate:
    """A route-specific course: induction, maintenance steps in order, and a booster series."""

    key: str
    label: str
    route: Route
    indication: str
    induction: ScheduleBlock
    maintenance: tuple[ScheduleBlock, ...]
    booster: ScheduleBlock
    evaluation: str  # what happens at the end of induction
    provenance: Provenance
    notes: tuple[str, ...] = ()

    def settings(self) -> tuple[ConfigurableDefault[int], ...]:
        """Every editable value of the template, for the protocol review page."""
        blocks = (self.induction, *self.maintenance, self.booster)
        return tuple(item for block in blocks for item in block.settings())

    def with_settings(self, values: Mapping[str, int]) -> RegimenTemplate:
        """A copy with settings changed by key, each checked against its safe bounds."""
        known = {item.key for item in self.settings()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ClinicalRuleError(f"{self.label}: unknown setting(s) {', '.join(unknown)}")

        def block(item: ScheduleBlock) -> ScheduleBlock:
            changes: dict[str, ConfigurableDefault[int]] = {}
            for name in ("sessions", "sessions_per_week", "interval_days", "window_days"):
                current: ConfigurableDefault[int] | None = getattr(item, name)
                if current is not None and current.key in values:
                    new = values[current.key]
                    if isinstance(new, bool) or not isinstance(new, int):
                        raise ClinicalRuleError(f"{current.label} must be a whole number: {new!r}")
                    current.validate(new)
                    if name == "interval_days" and item.allowed_interval_days:
                        check_allowed_interval(item, new)
                    changes[name] = replace(
                        current,
                        value=new,
                        provenance=Provenance(
                            current.provenance.sources, note="set by the clinic's medical director"
                        ),
                    )
            return replace(item, **changes)

        return replace(
            self,
            induction=block(self.induction),
            maintenance=tuple(block(item) for item in self.maintenance),
            booster=block(self.booster),
        )


def check_allowed_interval(block: ScheduleBlock, days: int) -> None:
    if days not in block.allowed_interval_days:
        allowed = " or ".join(str(item) for item in block.allowed_interval_days)
        raise ClinicalRuleError(
            f"{block.phase.value.capitalize()} interval must be {allowed} days "
            f"({block.provenance.cite()}), got {days}"
        )


@dataclass(frozen=True)
class PlannedTreatment:
    """One planned session: its date, 1-based order within the plan, phase and dose wording."""

    scheduled_date: date
    sequence: int
    phase: Phase
    dose_description: str
