"""Course outcomes from dated totals: baseline, change, response, remission, relapse, status.

Inputs are plain data: ``DatedScore`` (instrument code, total, timezone-aware ``at``) and the
datetime of the first treatment of the course. There is no clock here; the caller passes time in.
Every judgement carries a sentence for the screen and the Provenance it rests on.

Definitions (``shared/clinical-reference.md`` §4.6 and the outcomes issue):

- Baseline: the last score at or before the first treatment of the course (project rule).
- Response: a fall of at least 50 % from baseline on PHQ-9, MADRS or QIDS-SR16 [S3][S16][S29].
- Remission: PHQ-9 < 5 [S29]; MADRS <= 10 [S17][S37] (<= 12 in esketamine programs [S18]);
  QIDS-SR16 <= 5 [S67]. The reference gives none for GAD-7: not evaluated.
- Rapid response: the response criterion at the assessment nearest 24 h and 1 week after the
  first treatment, within a window the caller must supply (the reference gives none).
- Relapse (default, project rule): after response, two consecutive assessments without it.
  Alternative: SUSTAIN-1, MADRS >= 22 at two consecutive assessments 5–15 days apart
  [S86][S87] ([memory, verify]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance
from ketacare.clinical.instruments import Instrument, Score, get_instrument


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
        _require_aware(self.at, f"{instrument.name} score time")
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


# --- building blocks ---------------------------------------------------------------------------


def percent_change(baseline_total: int, total: int) -> float | None:
    """Change from baseline in percent of baseline (negative = fewer symptoms).

    None when the baseline is 0: a change relative to 0 is undefined, and callers must not read
    None as "no change".
    """
    if baseline_total == 0:
        return None
    return (total - baseline_total) * 100 / baseline_total


def find_baseline(
    scores: Sequence[DatedScore],
    *,
    first_treatment_at: datetime,
    max_age: timedelta | None = None,
) -> DatedScore | None:
    """The last score at or before the first treatment (project rule), or None.

    A score stamped at the very moment the first treatment starts counts as baseline: it cannot
    reflect the treatment. ``max_age`` (optional; the reference gives none) drops older scores.
    Of scores stamped at the same moment the one given last (the later record) is baseline, as
    the latest follow-up is, so the cohort engine can order by (time, record) both ways.
    """
    _require_aware(first_treatment_at, "first treatment time")
    _one_instrument(scores)
    before = [s for s in scores if s.at <= first_treatment_at]
    if max_age is not None:
        before = [s for s in before if first_treatment_at - s.at <= max_age]
    return max(reversed(before), key=lambda s: s.at, default=None)  # max keeps the first tie


def follow_ups(
    scores: Sequence[DatedScore], *, first_treatment_at: datetime
) -> tuple[DatedScore, ...]:
    """Scores after the first treatment, oldest first."""
    _require_aware(first_treatment_at, "first treatment time")
    _one_instrument(scores)
    return tuple(sorted((s for s in scores if s.at > first_treatment_at), key=lambda s: s.at))


def judge_response(
    baseline: DatedScore, assessment: DatedScore, *, settings: OutcomeSettings | None = None
) -> Judgement:
    """Response: a fall of at least 50 % from baseline [S3][S16][S29], checked exactly."""
    settings = settings or OutcomeSettings()
    instrument = _same_instrument(baseline, assessment)
    if instrument.response is None:
        return Judgement(None, _no_rule(instrument, "response"), _NO_RULE)
    threshold, provenance = _response_threshold(instrument, settings)
    criterion = f"response is a fall of at least {threshold} % {_cite(provenance)}"
    if baseline.total == 0:
        return Judgement(
            None,
            f"{instrument.name} baseline is 0 ({_day(baseline.at)}): a percent change from 0 "
            f"is undefined, so response cannot be judged",
            provenance,
        )
    return Judgement(
        _meets_fall(baseline.total, assessment.total, threshold),
        f"{_change(instrument, baseline, assessment, threshold)}; {criterion}",
        provenance,
    )


def judge_remission(
    assessment: DatedScore, *, settings: OutcomeSettings | None = None
) -> Judgement:
    """Remission: the total against the instrument's threshold (PHQ-9 < 5, MADRS <= 10, ...)."""
    settings = settings or OutcomeSettings()
    instrument = get_instrument(assessment.code)
    rule = instrument.remission
    if rule is None:
        return Judgement(None, _no_rule(instrument, "remission threshold"), _NO_RULE)
    threshold = rule.threshold.resolve(settings.remission_threshold)
    provenance = rule.provenance_for(threshold)
    met = rule.met(assessment.total, threshold)
    if rule.comparator == "<":
        verdict = "is below" if met else "is not below"
        criterion = f"{instrument.name} < {threshold}"
    else:
        verdict = "is at or below" if met else "is above"
        criterion = f"{instrument.name} ≤ {threshold}"
    return Judgement(
        met,
        f"{instrument.name} {assessment.total} ({_day(assessment.at)}) {verdict} {threshold}; "
        f"remission is {criterion} {_cite(provenance)}",
        provenance,
    )


# --- rapid response ----------------------------------------------------------------------------


def rapid_response(
    scores: Sequence[DatedScore],
    *,
    code: str,
    first_treatment_at: datetime,
    window: timedelta,
    settings: OutcomeSettings | None = None,
) -> tuple[RapidResponse, ...]:
    """Response at 24 h and 1 week after the first treatment.

    For each time point, the follow-up score nearest to it and no further than ``window`` away is
    judged (ties: the earlier score). The reference gives no window, so the caller must supply it.
    """
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise ClinicalRuleError("rapid response window must be a positive duration")
    instrument = get_instrument(code)
    _one_instrument(scores, code)
    baseline = find_baseline(
        scores,
        first_treatment_at=first_treatment_at,
        max_age=(settings or OutcomeSettings()).baseline_max_age,
    )
    later = follow_ups(scores, first_treatment_at=first_treatment_at)
    results = []
    for label, offset in RAPID_RESPONSE_TIME_POINTS:
        target = first_treatment_at + offset
        near = [s for s in later if abs(s.at - target) <= window]
        nearest = min(near, key=lambda s: (abs(s.at - target), s.at), default=None)
        if baseline is None:
            judgement = Judgement(
                None,
                f"No {instrument.name} baseline at or before the first treatment",
                BASELINE_PROVENANCE,
            )
        elif nearest is None:
            judgement = Judgement(
                None,
                f"No {instrument.name} score within {_duration(window)} of {label} after the "
                f"first treatment ({_moment(target)})",
                RAPID_RESPONSE_PROVENANCE,
            )
        else:
            judgement = judge_response(baseline, nearest, settings=settings)
        results.append(RapidResponse(label, target, nearest, judgement))
    return tuple(results)


# --- course status -----------------------------------------------------------------------------


def course_status(
    scores: Sequence[DatedScore],
    *,
    code: str,
    first_treatment_at: datetime,
    settings: OutcomeSettings | None = None,
) -> CourseStatus:
    """The course's current state from all its scores on one instrument, with the reason.

    States: no baseline, no follow-up, not evaluated (no rule for the instrument, or baseline 0),
    not yet responding, responder, remitter, response lost, relapse. Response is "reached" at the
    first assessment meeting response or remission. Relapse is looked for in the assessments after
    the last one that kept the benefit (met response or remission; under the SUSTAIN-1 rule also
    MADRS < 22), so regaining response after a relapse makes the course a responder again.
    """
    settings = settings or OutcomeSettings()
    instrument = get_instrument(code)
    if instrument.score_range is None:
        raise ClinicalRuleError(f"{instrument.name} has no total; outcomes do not apply")
    _one_instrument(scores, code)
    baseline = find_baseline(
        scores, first_treatment_at=first_treatment_at, max_age=settings.baseline_max_age
    )
    later = follow_ups(scores, first_treatment_at=first_treatment_at)

    if baseline is None:
        limit = (
            f" within {_duration(settings.baseline_max_age)}" if settings.baseline_max_age else ""
        )
        return CourseStatus(
            code,
            CourseState.NO_BASELINE,
            f"No baseline: no {instrument.name} score{limit} at or before the first treatment "
            f"({_moment(first_treatment_at)})",
            BASELINE_PROVENANCE,
        )
    if not later:
        return CourseStatus(
            code,
            CourseState.NO_FOLLOW_UP,
            f"No follow-up: baseline {instrument.name} {baseline.total} ({_day(baseline.at)}); "
            "no score after the first treatment yet",
            BASELINE_PROVENANCE,
            baseline=baseline,
        )

    latest = later[-1]
    remission = judge_remission(latest, settings=settings)

    def status(
        state: CourseState,
        reason: str,
        provenance: Provenance,
        *,
        reached_at: datetime | None = None,
        relapse_at: datetime | None = None,
    ) -> CourseStatus:
        return CourseStatus(
            code,
            state,
            reason,
            provenance,
            baseline=baseline,
            latest=latest,
            percent_change=percent_change(baseline.total, latest.total),
            response_reached_at=reached_at,
            relapse_at=relapse_at,
            remission=remission,
        )

    if instrument.response is None or instrument.remission is None:
        reason = _no_rule(instrument, "response or remission")
        return status(CourseState.NOT_EVALUATED, f"Not evaluated: {reason}", _NO_RULE)
    latest_response = judge_response(baseline, latest, settings=settings)
    if baseline.total == 0:
        return status(
            CourseState.NOT_EVALUATED,
            f"Not evaluated: {latest_response.reason}",
            latest_response.provenance,
        )

    threshold, response_provenance = _response_threshold(instrument, settings)
    remission_rule = instrument.remission
    remission_threshold = remission_rule.threshold.resolve(settings.remission_threshold)
    rule_key, rule_text, rule_provenance = _relapse_rule(instrument, settings)

    def benefit(s: DatedScore) -> bool:  # meets response or remission
        return _meets_fall(baseline.total, s.total, threshold) or remission_rule.met(
            s.total, remission_threshold
        )

    def kept(s: DatedScore) -> bool:  # still well for the relapse rule in force
        if rule_key == SUSTAIN1_MADRS and s.total >= SUSTAIN1_MADRS_MIN:
            return False  # a SUSTAIN-1 relapse value never keeps the benefit
        return benefit(s)

    reached = next((i for i, s in enumerate(later) if benefit(s)), None)
    if remission.met:
        change = _change(instrument, baseline, latest, threshold)
        return status(
            CourseState.REMITTER,
            f"Remitter: {remission.reason}; {change}",
            remission.provenance,
            reached_at=later[reached].at if reached is not None else None,
        )
    if reached is None:
        return status(
            CourseState.NOT_YET_RESPONDING,
            f"Not yet responding: {latest_response.reason}",
            response_provenance,
        )

    reached_at = later[reached].at
    # relapse is looked for after the last assessment that kept the benefit
    last_kept = max((i for i in range(reached, len(later)) if kept(later[i])), default=None)
    anchor = later[last_kept if last_kept is not None else reached]
    since = later[last_kept + 1 :] if last_kept is not None else later[reached:]
    relapse = _find_relapse(rule_key, since)
    if relapse is not None:
        first, second = relapse
        both = (
            f"after response on {_day(anchor.at)}, {instrument.name} was {first.total} "
            f"({_day(first.at)}) and {second.total} ({_day(second.at)})"
        )
        if rule_key == LOSS_OF_RESPONSE:
            detail = (
                f"both short of a {threshold} % fall from baseline {baseline.total} "
                f"({_day(baseline.at)})"
            )
        else:
            detail = f"{_duration(second.at - first.at)} apart"
        return status(
            CourseState.RELAPSE,
            f"Relapse: {both}, {detail}; relapse is {rule_text} {_cite(rule_provenance)}",
            rule_provenance,
            reached_at=reached_at,
            relapse_at=second.at,
        )
    if latest_response.met:
        return status(
            CourseState.RESPONDER,
            f"Responder: {latest_response.reason}",
            response_provenance,
            reached_at=reached_at,
        )
    return status(
        CourseState.RESPONSE_LOST,
        f"Response lost: {latest_response.reason}. Response was last met on "
        f"{_day(anchor.at)}; relapse needs {rule_text} {_cite(rule_provenance)}",
        response_provenance,
        reached_at=reached_at,
    )


def _find_relapse(
    rule_key: str, since: Sequence[DatedScore]
) -> tuple[DatedScore, DatedScore] | None:
    """The first pair of consecutive scores that meets the relapse rule.

    ``since`` holds the scores after the last one that kept the benefit, so under the default
    rule none of them meets response or remission and any two in a row are a relapse.
    """
    for first, second in pairwise(since):
        if rule_key == LOSS_OF_RESPONSE:  # source: outcomes issue (project rule)
            return first, second
        # source: S86, S87 [memory, verify]
        if (
            first.total >= SUSTAIN1_MADRS_MIN
            and second.total >= SUSTAIN1_MADRS_MIN
            and SUSTAIN1_MIN_GAP <= second.at - first.at <= SUSTAIN1_MAX_GAP
        ):
            return first, second
    return None


def _relapse_rule(instrument: Instrument, settings: OutcomeSettings) -> tuple[str, str, Provenance]:
    """The relapse rule in force: (key, words for the screen, provenance)."""
    rule = RELAPSE_RULE.resolve(settings.relapse_rule)
    if rule == SUSTAIN1_MADRS:
        if instrument.code != "madrs":
            raise ClinicalRuleError(
                f"The SUSTAIN-1 relapse rule is defined on MADRS, not {instrument.name}"
            )
        return (
            rule,
            f"MADRS ≥ {SUSTAIN1_MADRS_MIN} at two consecutive assessments "
            f"{SUSTAIN1_MIN_GAP.days}–{SUSTAIN1_MAX_GAP.days} days apart (SUSTAIN-1)",
            SUSTAIN1_PROVENANCE,
        )
    return rule, "loss of response on two consecutive assessments", LOSS_OF_RESPONSE_PROVENANCE


# --- helpers -----------------------------------------------------------------------------------

_NO_RULE = Provenance((), note="the clinical reference defines no rule here")


def _no_rule(instrument: Instrument, what: str) -> str:
    return (
        f"the clinical reference defines no {what} for {instrument.name} "
        "(only for PHQ-9, MADRS and QIDS-SR16), so it is not evaluated"
    )


def _response_threshold(
    instrument: Instrument, settings: OutcomeSettings
) -> tuple[int, Provenance]:
    assert instrument.response is not None
    default = instrument.response.min_fall_percent
    threshold = default.resolve(settings.response_min_fall_percent)
    if threshold == default.value:
        return threshold, default.provenance
    return threshold, Provenance(("clinic setting",), note=f"clinic override of {default.value} %")


def _meets_fall(baseline_total: int, total: int, min_fall_percent: int) -> bool:
    """Exact integer test of (baseline - total) / baseline >= min_fall_percent / 100."""
    return (
        baseline_total > 0 and (baseline_total - total) * 100 >= min_fall_percent * baseline_total
    )


def _change(
    instrument: Instrument, baseline: DatedScore, assessment: DatedScore, threshold: int
) -> str:
    pct = percent_change(baseline.total, assessment.total)
    ends = (
        f"from baseline {baseline.total} ({_day(baseline.at)}) to {assessment.total} "
        f"({_day(assessment.at)})"
    )
    if pct is None:
        return f"{instrument.name} went {ends}"
    if pct == 0:
        return f"{instrument.name} is unchanged {ends}"
    verb = "fell" if pct < 0 else "rose"
    return f"{instrument.name} {verb} {_percent(abs(pct), threshold if pct < 0 else None)} {ends}"


def _percent(value: float, threshold: int | None) -> str:
    """Whole percent, unless rounding would carry a value across the response threshold."""
    rounded = round(value)
    if threshold is not None and value < threshold <= rounded:
        return f"{math.floor(value * 10) / 10:.1f} %"
    return f"{rounded} %"


def _cite(provenance: Provenance) -> str:
    tags = "".join(f"[{s}]" for s in provenance.sources if s[:1] == "S" and s[1:].isdigit())
    words = [s for s in provenance.sources if not (s[:1] == "S" and s[1:].isdigit())]
    if not provenance.verified:
        words.append("unverified")
    if not words:
        return tags
    return f"{tags} ({', '.join(words)})".strip()


def _day(at: datetime) -> str:
    return at.date().isoformat()


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours:g} h"


def _require_aware(at: datetime, what: str) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ClinicalRuleError(f"{what} must be a timezone-aware datetime, got {at!r}")


def _one_instrument(scores: Sequence[DatedScore], code: str | None = None) -> None:
    codes = {s.code for s in scores} | ({code} if code else set())
    if len(codes) > 1:
        raise ClinicalRuleError(
            f"scores mix instruments ({', '.join(sorted(codes))}); pass one instrument at a time"
        )


def _same_instrument(a: DatedScore, b: DatedScore) -> Instrument:
    if a.code != b.code:
        raise ClinicalRuleError(f"cannot compare {a.code} with {b.code}")
    return get_instrument(a.code)
