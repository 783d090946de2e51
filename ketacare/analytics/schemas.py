"""API shapes of the cohort figures."""

from __future__ import annotations

from ninja import Schema


class Interval(Schema):
    low: float | None
    high: float | None


class ExcludedOut(Schema):
    reason: str
    count: int
    explanation: str


class OutcomesOut(Schema):
    """Response and remission after the first treatment, with their denominators and rules.
    Rates and intervals are null when the cell is too small to show (n < 11)."""

    instrument: str
    filters: dict[str, str | int]
    clinics: list[int]
    as_of: str
    patients: int
    evaluable: int
    responders: int | None
    response_rate: float | None
    response_ci: Interval
    remitters: int | None
    remission_rate: float | None
    remission_ci: Interval
    suppressed: bool
    excluded: list[ExcludedOut]
    denominator: str
    definitions: dict[str, str]
    sources: list[str]
    small_cell_rule: str
