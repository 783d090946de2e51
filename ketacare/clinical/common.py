"""Shared clinical vocabulary: tri-state answers, provenance, configurable defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T", int, float, bool, str)


class Answer(StrEnum):
    """A history answer. ``UNKNOWN`` is never read as ``NO``: missing data is not absence."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> Answer:
        """Accept an Answer, a bool, None (unknown) or one of the strings; refuse anything else."""
        if isinstance(value, Answer):
            return value
        if value is None:
            return cls.UNKNOWN
        if isinstance(value, bool):
            return cls.YES if value else cls.NO
        if isinstance(value, str) and value.lower() in cls._value2member_map_:
            return cls(value.lower())
        raise ValueError(f"expected yes, no or unknown, got {value!r}")


class Route(StrEnum):
    """How the drug is given: esketamine nasal spray (Spravato) or a racemic ketamine route.

    "iv", "im", "sc", "oral" and "sublingual" are accepted as short names for the racemic routes.
    """

    ESKETAMINE_NASAL = "esketamine_nasal"
    RACEMIC_IV = "racemic_iv"
    RACEMIC_IM = "racemic_im"
    RACEMIC_SC = "racemic_sc"
    RACEMIC_ORAL = "racemic_oral"
    RACEMIC_SUBLINGUAL = "racemic_sublingual"

    @classmethod
    def _missing_(cls, value: object) -> Route | None:
        if isinstance(value, str):
            return cls._value2member_map_.get(f"racemic_{value.lower()}")  # type: ignore[return-value]
        return None

    @property
    def is_esketamine(self) -> bool:
        return self is Route.ESKETAMINE_NASAL


ROUTE_LABELS: dict[Route, str] = {
    Route.ESKETAMINE_NASAL: "esketamine nasal spray",
    Route.RACEMIC_IV: "IV ketamine infusion",
    Route.RACEMIC_IM: "IM ketamine injection",
    Route.RACEMIC_SC: "subcutaneous ketamine injection",
    Route.RACEMIC_ORAL: "oral ketamine",
    Route.RACEMIC_SUBLINGUAL: "sublingual ketamine lozenge",
}


class Severity(StrEnum):
    """How much a finding weighs on a decision, from blocking to informative."""

    CONTRAINDICATION = "contraindication"  # blocks treatment
    CAUTION = "caution"  # treatment possible after a documented risk-benefit decision
    MISSING = "missing"  # the rule cannot be decided without more information
    INFO = "info"


class ClinicalRuleError(ValueError):
    """A clinical input or setting that the rules refuse, with a message a clinician understands."""


@dataclass(frozen=True)
class Provenance:
    """Where a rule comes from: source tags of the clinical reference and whether they are verified.

    ``verified`` is False when the reference tags the fact ``[memory, verify]`` or ``[weak]``.
    """

    sources: tuple[str, ...]
    verified: bool = True
    note: str = ""

    def cite(self) -> str:
        text = ", ".join(self.sources) if self.sources else "clinic setting"
        return text if self.verified else f"{text} (unverified)"


# A rule that rests on clinic practice the project's issue names, not on the clinical reference.
ISSUE_PRACTICE = Provenance(("project issue",), False, "clinic practice named in the issue")


@dataclass(frozen=True)
class ConfigurableDefault(Generic[T]):
    """A protocol value a clinic's medical director may change within ``[minimum, maximum]``.

    ``value`` None means the reference is silent: the clinic must set it before it is used.
    """

    key: str
    label: str
    value: T | None
    unit: str
    provenance: Provenance
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)

    def validate(self, candidate: T) -> T:
        """Return ``candidate`` if it lies within the safe bounds, else raise ClinicalRuleError."""
        if self.choices and candidate not in self.choices:
            raise ClinicalRuleError(
                f"{self.label}: {candidate!r} is not one of {', '.join(self.choices)}"
            )
        if isinstance(candidate, (int, float)) and not isinstance(candidate, bool):
            if self.minimum is not None and candidate < self.minimum:
                raise ClinicalRuleError(
                    f"{self.label}: {candidate} {self.unit} is below the safe minimum "
                    f"{self.minimum} {self.unit}"
                )
            if self.maximum is not None and candidate > self.maximum:
                raise ClinicalRuleError(
                    f"{self.label}: {candidate} {self.unit} is above the safe maximum "
                    f"{self.maximum} {self.unit}"
                )
        return candidate

    def resolve(self, override: T | None = None) -> T:
        """The value in force: the clinic's override (validated) or the default."""
        if override is not None:
            return self.validate(override)
        if self.value is None:
            raise ClinicalRuleError(
                f"{self.label} has no default in the clinical reference; the clinic must set it"
            )
        return self.value


def require_aware(name: str, value: object) -> None:
    """Refuse anything but a timezone-aware datetime: the core compares instants, and a naive
    time does not say which instant it is."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ClinicalRuleError(f"{name} must be a timezone-aware time, got {value!r}")


def require_not_after(record: object, names: tuple[str, ...], limit: datetime, what: str) -> None:
    """Each of ``record``'s times ``names`` that is set must be aware and not later than
    ``limit`` (``what`` names it in the message): a fact cannot postdate the moment it is told."""
    for name in names:
        value = getattr(record, name)
        if value is not None:
            require_aware(name, value)
            if value > limit:
                raise ClinicalRuleError(f"{name} is later than the {what}")


def parse_answers(record: object) -> None:
    """Turn every ``Answer`` field of a frozen dataclass into an ``Answer`` (see ``Answer.parse``),
    naming the field when a value is refused."""
    for item in fields(record):  # type: ignore[arg-type]
        if item.type in ("Answer", Answer):
            try:
                object.__setattr__(record, item.name, Answer.parse(getattr(record, item.name)))
            except ValueError as exc:
                raise ClinicalRuleError(f"{item.name}: {exc}") from exc


def positive_number(name: str, value: object, unit: str) -> float:
    """``value`` as a float; refuses a missing, non-numeric, non-finite, zero or negative value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClinicalRuleError(f"{name} must be a number in {unit}, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ClinicalRuleError(f"{name} must be a positive number of {unit}, got {value}")
    return float(value)
