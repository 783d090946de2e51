"""What the outcome rules speak of: course states, the relapse rules and their sources, dated
scores, a clinic's settings and the judgements returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketacare.clinical.common import (
    ClinicalRuleError,
    ConfigurableDefault,
    Provenance,
    require_aware,
)
from ketacare.clinical.instruments import OUTCOME_DEFAULTS, Score, get_instrument


class CourseState(StrEnum):
    """Where a course stands at its latest assessment."""

    NO_BASELINE = "no baseline"
    NO_FOLLOW_UP = "no follow-up"
    NOT_EVALUATED = "not evaluated"
    NOT_YET_RESPONDING = "not yet responding"
    RESPONDER = "responder"
    REMITTER = "remitter"
    RESPONSE_LOST = "response lost"  # after response, but the relapse rule is not (yet) met
    RELAPSE = "relapse"


# source: outcomes issue (project rule); the reference does not define a baseline
BASELINE_PROVENANCE = Provenance(
    ("project rule",), note="baseline = last score at or before the first treatment of a course"
)
# source: outcomes issue; 24 h and 1 week echo Zarate 2006 and ASCERTAIN [S88] ([memory, verify])
RAPID_RESPONSE_PROVENANCE = Provenance(
    ("project rule", "S88"),
    verified=False,
    note="time points from the outcomes issue; trial response rates at 24 h and 1 week are "
    "[memory, verify] in the reference",
)
RAPID_RESPONSE_TIME_POINTS: tuple[tuple[str, timedelta], ...] = (
    ("24 h", timedelta(hours=24)),
    ("1 week", timedelta(days=7)),
)

LOSS_OF_RESPONSE = "loss_of_response_twice"
SUSTAIN1_MADRS = "sustain1_madrs"
# source: outcomes issue (project rule); Murrough 2013 loss-of-response relapse is [memory, verify]
LOSS_OF_RESPONSE_PROVENANCE = Provenance(
    ("project rule",),
    verified=False,
    note="loss of response on two consecutive assessments after response (outcomes issue); "
    "resembles the Murrough 2013 definition, which the reference tags [memory, verify]",
)
# source: S86, S87; the definitions themselves are [memory, verify] (reference §4.6, §11.4)
SUSTAIN1_PROVENANCE = Provenance(
    ("S86", "S87"),
    verified=False,
    note="SUSTAIN-1 relapse: MADRS >= 22 at 2 consecutive assessments 5–15 days apart; "
    "hospitalisation, suicide attempt and other clinical events are not visible in scores",
)
SUSTAIN1_MADRS_MIN = 22  # source: S86, S87 [memory, verify]
SUSTAIN1_MIN_GAP = timedelta(days=5)  # source: S86, S87 [memory, verify]
SUSTAIN1_MAX_GAP = timedelta(days=15)  # source: S86, S87 [memory, verify]
RELAPSE_RULE: ConfigurableDefault[str] = ConfigurableDefault(
    key="outcomes.relapse_rule",
    label="Relapse rule",
    value=LOSS_OF_RESPONSE,
    unit="",
    provenance=LOSS_OF_RESPONSE_PROVENANCE,
    choices=(LOSS_OF_RESPONSE, SUSTAIN1_MADRS),
)


# Every outcome value a clinic may set, for the clinic-settings registry: the response and
# remission thresholds (declared with the instruments they apply to) and the relapse rule.
CONFIGURABLE_DEFAULTS: tuple[ConfigurableDefault, ...] = (*OUTCOME_DEFAULTS, RELAPSE_RULE)


@dataclass(frozen=True)
class DatedScore:
    """An instrument total at a timezone-aware moment."""

    code: str
    total: int
    at: datetime

    def __post_init__(self) -> None:
        instrument = get_instrument(self.code)
        if instrument.score_range is None:
            raise ClinicalRuleError(f"{instrument.name} has no total; outcomes do not apply")
        require_aware(f"{instrument.name} score time", self.at)
        low, high = instrument.score_range
        if isinstance(self.total, bool) or not isinstance(self.total, int):
            raise ClinicalRuleError(f"{instrument.name} total {self.total!r} is not a whole number")
        if not low <= self.total <= high:
            raise ClinicalRuleError(f"{instrument.name} total {self.total} is outside {low}–{high}")

    @classmethod
    def from_score(cls, score: Score, *, at: datetime) -> DatedScore:
        """Date a Score from ``instruments.score``."""
        if score.total is None:
            raise ClinicalRuleError(f"{score.code} has no total; outcomes do not apply")
        return cls(code=score.code, total=score.total, at=at)


@dataclass(frozen=True)
class OutcomeSettings:
    """Clinic overrides; None keeps the reference default (or, for the baseline age, no limit)."""

    response_min_fall_percent: int | None = None
    remission_threshold: int | None = None  # for the instrument being evaluated
    relapse_rule: str | None = None
    baseline_max_age: timedelta | None = None  # reference silent: None means any age


@dataclass(frozen=True)
class Judgement:
    """A yes/no decision, or None when it cannot be decided, with its reason and source."""

    met: bool | None
    reason: str
    provenance: Provenance


@dataclass(frozen=True)
class RapidResponse:
    """Response at one early time point (24 h or 1 week after the first treatment)."""

    time_point: str
    target_at: datetime
    assessment: DatedScore | None
    judgement: Judgement
    provenance: Provenance = RAPID_RESPONSE_PROVENANCE


@dataclass(frozen=True)
class CourseStatus:
    """The course's state at its latest assessment, with the sentence that explains it."""

    code: str
    status: CourseState
    reason: str
    provenance: Provenance
    baseline: DatedScore | None = None
    latest: DatedScore | None = None
    percent_change: float | None = None  # negative = improvement
    response_reached_at: datetime | None = None
    relapse_at: datetime | None = None
    remission: Judgement | None = None  # of the latest assessment
