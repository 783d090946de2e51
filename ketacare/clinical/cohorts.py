"""Cohort statistics: Wilson intervals, Kaplan–Meier, small-cell suppression, outcome summaries.

Pure Python and numpy; no Django and no clock. A cohort figure is built from the per-patient
judgements of ``ketacare.clinical.outcomes`` (baseline, response, remission, relapse), never from a
second definition: ``patient_outcome`` runs ``course_status`` for one patient, ``tally`` counts the
results, and the analytics engine's SQL produces the same ``OutcomeCounts`` at scale (a test
checks that they agree patient by patient).

Units of a cohort figure: one patient, evaluated from the first treatment of the patient's first
treated course, as the chart's trajectory does. Each summary names who is counted and who is
excluded and why (no baseline, no follow-up in the window, baseline 0), and carries a 95 % Wilson
interval for every rate. Small cells are suppressed on shared views: the reference's n < 11 is
tagged [memory, verify] (§12), so the safer reading is taken and the figure marked unverified.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.instruments import get_instrument
from ketacare.clinical.outcomes import (
    BASELINE_PROVENANCE,
    LOSS_OF_RESPONSE_PROVENANCE,
    RELAPSE_RULE,
    SUSTAIN1_MADRS,
    SUSTAIN1_PROVENANCE,
    CourseState,
    CourseStatus,
    DatedScore,
    OutcomeSettings,
    course_status,
    judge_response,
)

# Statistics, not clinical numbers: the two-sided 95 % normal quantile (the issue asks for 95 %
# Wilson intervals). Wilson 1927 behaves well near 0 % and 100 % and for small n.
Z_95 = 1.959963984540054

# source: reference §12 (CMS cell-size policy, [memory, verify]): cells 1–10 are suppressed.
# Safer reading: a rate is hidden when its denominator is below 11 or when its numerator or the
# complement (denominator − numerator) is 1–10, since either can be worked back from the other.
SMALL_CELL_MIN = 11
SMALL_CELL_PROVENANCE = Provenance(
    ("memory",),
    verified=False,
    note="n < 11 suppressed on shared aggregate views (CMS cell-size policy), tagged "
    "[memory, verify] in the reference (§12); complements suppressed as the safer reading",
)


# --- Wilson interval and proportions ----------------------------------------------------------


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` of ``n`` (95 % by default), within [0, 1]."""
    _check_counts(successes, n)
    if n == 0:
        raise ClinicalRuleError("a confidence interval needs at least one patient")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Exact ends at 0 and n: the closed form gives them up to rounding only.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Proportion:
    """``numerator`` of ``denominator`` with its 95 % Wilson interval.

    ``suppressed`` says the figure must not be shown on a shared view (small cell); the counts
    stay here so the clinic's own view and the tests can read them.
    """

    numerator: int
    denominator: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool


def proportion(numerator: int, denominator: int, *, min_cell: int = SMALL_CELL_MIN) -> Proportion:
    """A rate with its Wilson interval and the small-cell verdict; rate None when n is 0."""
    _check_counts(numerator, denominator)
    hidden = rate_is_suppressed(numerator, denominator, min_cell=min_cell)
    if denominator == 0:
        return Proportion(numerator, denominator, None, None, None, hidden)
    low, high = wilson_interval(numerator, denominator)
    return Proportion(numerator, denominator, numerator / denominator, low, high, hidden)


def is_small_cell(count: int, *, min_cell: int = SMALL_CELL_MIN) -> bool:
    """A count of 1 to ``min_cell`` − 1 people (0 is not a person and is shown)."""
    return 0 < count < min_cell


def rate_is_suppressed(numerator: int, denominator: int, *, min_cell: int = SMALL_CELL_MIN) -> bool:
    """Hide a rate whose denominator is small, or whose numerator or complement is a small cell."""
    _check_counts(numerator, denominator)
    return (
        denominator < min_cell
        or is_small_cell(numerator, min_cell=min_cell)
        or is_small_cell(denominator - numerator, min_cell=min_cell)
    )


def _check_counts(numerator: int, denominator: int) -> None:
    for value in (numerator, denominator):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ClinicalRuleError(f"a count must be a whole number, got {value!r}")
    if denominator < 0 or numerator < 0:
        raise ClinicalRuleError("counts cannot be negative")
    if numerator > denominator:
        raise ClinicalRuleError(f"{numerator} of {denominator}: more events than patients")


# --- Kaplan–Meier -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AtRisk:
    """One row of the at-risk table under a Kaplan–Meier curve."""

    time: float
    at_risk: int
    events_so_far: int  # events at or before ``time``
    survival: float


@dataclass(frozen=True)
class KaplanMeier:
    """The product-limit estimate at each distinct time with an event or a censoring.

    Ties: events at a time are counted before the censorings at that time (those censored at t
    were still at risk at t), the usual convention. ``survival[i]`` holds just after ``times[i]``.
    """

    times: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    censored: tuple[int, ...]
    survival: tuple[float, ...]

    @property
    def subjects(self) -> int:
        return self.at_risk[0] if self.at_risk else 0

    @property
    def median(self) -> float | None:
        """The first time the survival falls to 0.5 or below; None while it stays above."""
        for time, value in zip(self.times, self.survival, strict=True):
            if value <= 0.5 + 1e-12:  # a product of fractions that is 1/2 may round above it
                return time
        return None

    def survival_at(self, time: float) -> float:
        """S(time): 1 before the first event time."""
        index = int(np.searchsorted(np.asarray(self.times), time, side="right")) - 1
        return 1.0 if index < 0 else self.survival[index]

    def at_risk_table(self, times: Sequence[float]) -> tuple[AtRisk, ...]:
        """At each time: those still at risk (duration ≥ time), events by then, and S(time)."""
        known = np.asarray(self.times)
        events_by = np.concatenate(([0], np.cumsum(self.events)))
        left_by = np.concatenate(([0], np.cumsum(np.add(self.events, self.censored))))
        rows = []
        for time in times:
            before = int(np.searchsorted(known, time, side="left"))  # rows with times < time
            through = int(np.searchsorted(known, time, side="right"))  # rows with times <= time
            rows.append(
                AtRisk(
                    time=float(time),
                    at_risk=self.subjects - int(left_by[before]),
                    events_so_far=int(events_by[through]),
                    survival=self.survival_at(time),
                )
            )
        return tuple(rows)


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> KaplanMeier:
    """Kaplan–Meier from one duration and one event flag (True = event, False = censored) each."""
    times = np.asarray(durations, dtype=float)
    happened = np.asarray(events, dtype=bool)
    if times.shape != happened.shape or times.ndim != 1:
        raise ClinicalRuleError("durations and events must be two lists of the same length")
    unique, inverse = np.unique(times, return_inverse=True)
    event_counts = np.bincount(inverse, weights=happened, minlength=len(unique))
    censor_counts = np.bincount(inverse, weights=~happened, minlength=len(unique))
    return kaplan_meier_from_counts(
        unique.tolist(), event_counts.astype(int).tolist(), censor_counts.astype(int).tolist()
    )


def kaplan_meier_from_counts(
    times: Sequence[float], events: Sequence[int], censored: Sequence[int]
) -> KaplanMeier:
    """Kaplan–Meier from counts per time (as a GROUP BY returns them; times in any order)."""
    t = np.asarray(times, dtype=float)
    d = np.asarray(events, dtype=np.int64)
    c = np.asarray(censored, dtype=np.int64)
    if not (t.shape == d.shape == c.shape) or t.ndim != 1:
        raise ClinicalRuleError("times, events and censored must be lists of the same length")
    if (d < 0).any() or (c < 0).any():
        raise ClinicalRuleError("event and censoring counts cannot be negative")
    if np.isnan(t).any() or (t < 0).any():
        raise ClinicalRuleError("durations must be zero or more")
    # merge duplicate times (a caller may pass rows split by another column)
    unique, inverse = np.unique(t, return_inverse=True)
    d = np.bincount(inverse, weights=d, minlength=len(unique)).astype(np.int64)
    c = np.bincount(inverse, weights=c, minlength=len(unique)).astype(np.int64)
    keep = (d + c) > 0
    unique, d, c = unique[keep], d[keep], c[keep]
    total = int(d.sum() + c.sum())
    at_risk = total - np.concatenate(([0], np.cumsum(d + c)[:-1]))
    survival = np.cumprod(1.0 - d / at_risk)
    return KaplanMeier(
        times=tuple(unique.tolist()),
        at_risk=tuple(int(n) for n in at_risk),
        events=tuple(int(n) for n in d),
        censored=tuple(int(n) for n in c),
        survival=tuple(float(s) for s in survival),
    )


# --- outcome definitions and per-patient judgements -------------------------------------------


class Exclusion(StrEnum):
    """Why a treated patient is not in the denominator of a response or remission rate."""

    NO_BASELINE = "no baseline"
    NO_FOLLOW_UP = "no follow-up"
    BASELINE_ZERO = "baseline 0"


@dataclass(frozen=True)
class OutcomeDefinition:
    """The rules a cohort figure applies for one instrument, resolved from the clinic settings."""

    code: str
    instrument_name: str
    response_min_fall_percent: int
    remission_comparator: str  # "<" or "<="
    remission_threshold: int
    relapse_rule: str
    baseline_max_age: timedelta | None
    follow_up_days: int | None  # None: every score after the first treatment
    provenance: tuple[Provenance, ...]

    @property
    def text(self) -> dict[str, str]:
        """The definitions in words, as each figure shows them."""
        name = self.instrument_name
        window = (
            f"within {self.follow_up_days} days of the first treatment"
            if self.follow_up_days is not None
            else "after the first treatment"
        )
        age = (
            f" (no older than {self.baseline_max_age.days} days)"
            if self.baseline_max_age is not None
            else ""
        )
        relapse = (
            "MADRS ≥ 22 at two consecutive assessments 5–15 days apart (SUSTAIN-1, unverified)"
            if self.relapse_rule == SUSTAIN1_MADRS
            else "after response, two consecutive assessments without response or remission "
            "(project rule, unverified)"
        )
        return {
            "baseline": f"the last {name} at or before the first treatment{age} (project rule)",
            "follow_up": f"{name} scores {window}; the latest of them is judged",
            "response": f"{name} at least {self.response_min_fall_percent} % below baseline "
            f"at the latest assessment [S3][S16][S29]",
            "remission": f"{name} {self.remission_comparator.replace('<=', '≤')} "
            f"{self.remission_threshold} at the latest assessment",
            "relapse": relapse,
            "unit": "one patient, from the first treatment of the first treated course",
        }

    @property
    def settings(self) -> OutcomeSettings:
        return OutcomeSettings(
            response_min_fall_percent=self.response_min_fall_percent,
            remission_threshold=self.remission_threshold,
            relapse_rule=self.relapse_rule,
            baseline_max_age=self.baseline_max_age,
        )


def outcome_definition(
    code: str, *, settings: OutcomeSettings | None = None, follow_up_days: int | None = None
) -> OutcomeDefinition:
    """Resolve the instrument's response, remission and relapse rules under the clinic settings.

    Refuses instruments without a response or remission rule (GAD-7: the reference gives none).
    """
    settings = settings or OutcomeSettings()
    instrument = get_instrument(code)
    if instrument.response is None or instrument.remission is None:
        raise ClinicalRuleError(
            f"The clinical reference defines no response or remission for {instrument.name}: "
            "there is no cohort outcome to count"
        )
    if follow_up_days is not None and (
        isinstance(follow_up_days, bool)
        or not isinstance(follow_up_days, int)
        or follow_up_days < 1
    ):
        raise ClinicalRuleError("the follow-up window must be a whole number of days, 1 or more")
    fall = instrument.response.min_fall_percent
    remission = instrument.remission
    threshold = remission.threshold.resolve(settings.remission_threshold)
    rule = RELAPSE_RULE.resolve(settings.relapse_rule)
    if rule == SUSTAIN1_MADRS and code != "madrs":
        raise ClinicalRuleError(
            f"The SUSTAIN-1 relapse rule is defined on MADRS, not {instrument.name}"
        )
    relapse = SUSTAIN1_PROVENANCE if rule == SUSTAIN1_MADRS else LOSS_OF_RESPONSE_PROVENANCE
    return OutcomeDefinition(
        code=code,
        instrument_name=instrument.name,
        response_min_fall_percent=fall.resolve(settings.response_min_fall_percent),
        remission_comparator=remission.comparator,
        remission_threshold=threshold,
        relapse_rule=rule,
        baseline_max_age=settings.baseline_max_age,
        follow_up_days=follow_up_days,
        provenance=(
            BASELINE_PROVENANCE,
            fall.provenance,
            remission.provenance_for(threshold),
            relapse,
        ),
    )


@dataclass(frozen=True)
class PatientScores:
    """One patient's first treatment and every score on one instrument (any order)."""

    patient: str | int
    first_treatment_at: datetime
    scores: Sequence[DatedScore]


def patient_outcome(patient: PatientScores, definition: OutcomeDefinition) -> CourseStatus:
    """``outcomes.course_status`` on the scores the cohort window keeps for this patient."""
    scores = list(patient.scores)
    if definition.follow_up_days is not None:
        end = patient.first_treatment_at + timedelta(days=definition.follow_up_days)
        scores = [s for s in scores if s.at <= end]
    return course_status(
        scores,
        code=definition.code,
        first_treatment_at=patient.first_treatment_at,
        settings=definition.settings,
    )


@dataclass(frozen=True)
class OutcomeCounts:
    """Counts of one cohort cell: treated patients, exclusions, and the evaluated outcomes."""

    patients: int = 0
    no_baseline: int = 0
    no_follow_up: int = 0
    baseline_zero: int = 0
    responders: int = 0  # latest assessment meets response
    remitters: int = 0  # latest assessment meets remission
    reached_response: int = 0  # response or remission met at any follow-up
    relapsed: int = 0  # course status "relapse" at the latest assessment

    @property
    def evaluated(self) -> int:
        return self.patients - self.no_baseline - self.no_follow_up - self.baseline_zero

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        return OutcomeCounts(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(counts: OutcomeCounts) -> tuple[int, ...]:
    return (
        counts.patients,
        counts.no_baseline,
        counts.no_follow_up,
        counts.baseline_zero,
        counts.responders,
        counts.remitters,
        counts.reached_response,
        counts.relapsed,
    )


def count_status(status: CourseStatus, definition: OutcomeDefinition) -> OutcomeCounts:
    """One patient's course status as counts (exactly one exclusion, or evaluated)."""
    if status.status is CourseState.NO_BASELINE:
        return OutcomeCounts(patients=1, no_baseline=1)
    if status.status is CourseState.NO_FOLLOW_UP:
        return OutcomeCounts(patients=1, no_follow_up=1)
    if status.status is CourseState.NOT_EVALUATED:
        return OutcomeCounts(patients=1, baseline_zero=1)
    assert status.baseline is not None and status.latest is not None
    response = judge_response(status.baseline, status.latest, settings=definition.settings)
    return OutcomeCounts(
        patients=1,
        responders=int(bool(response.met)),
        remitters=int(bool(status.remission and status.remission.met)),
        reached_response=int(status.response_reached_at is not None),
        relapsed=int(status.status is CourseState.RELAPSE),
    )


def tally(patients: Iterable[PatientScores], definition: OutcomeDefinition) -> OutcomeCounts:
    """The cohort's counts, one ``course_status`` per patient (the reference implementation)."""
    total = OutcomeCounts()
    for patient in patients:
        total = total + count_status(patient_outcome(patient, definition), definition)
    return total


# --- summaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExcludedGroup:
    reason: Exclusion
    count: int
    explanation: str


@dataclass(frozen=True)
class OutcomeSummary:
    """A cohort cell's response and remission with denominators, exclusions and definitions."""

    group: dict[str, object]
    counts: OutcomeCounts
    response: Proportion
    remission: Proportion
    excluded: tuple[ExcludedGroup, ...]
    denominator: str
    definition: OutcomeDefinition
    suppression: Provenance = field(default=SMALL_CELL_PROVENANCE)

    @property
    def suppressed(self) -> bool:
        return self.response.suppressed or self.remission.suppressed


def summarize(
    counts: OutcomeCounts,
    definition: OutcomeDefinition,
    *,
    group: dict[str, object] | None = None,
    min_cell: int = SMALL_CELL_MIN,
) -> OutcomeSummary:
    """Rates with Wilson intervals over the evaluated patients, and who was left out and why."""
    name = definition.instrument_name
    window = (
        f" within {definition.follow_up_days} days" if definition.follow_up_days is not None else ""
    )
    excluded = (
        ExcludedGroup(
            Exclusion.NO_BASELINE,
            counts.no_baseline,
            f"no {name} at or before the first treatment",
        ),
        ExcludedGroup(
            Exclusion.NO_FOLLOW_UP,
            counts.no_follow_up,
            f"no {name} after the first treatment{window}",
        ),
        ExcludedGroup(
            Exclusion.BASELINE_ZERO,
            counts.baseline_zero,
            f"{name} baseline 0: a change from 0 is undefined",
        ),
    )
    denominator = (
        f"{counts.evaluated} of {counts.patients} treated patients: those with a {name} baseline "
        f"above 0 and at least one {name} after the first treatment{window}"
    )
    return OutcomeSummary(
        group=dict(group or {}),
        counts=counts,
        response=proportion(counts.responders, counts.evaluated, min_cell=min_cell),
        remission=proportion(counts.remitters, counts.evaluated, min_cell=min_cell),
        excluded=excluded,
        denominator=denominator,
        definition=definition,
    )
