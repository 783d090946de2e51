"""The building blocks: percent change, baseline, follow-ups, response, remission, rapid response.

Response and remission are judged exactly (integer arithmetic), each with a sentence for the
screen and its source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from ketacare.clinical.common import ClinicalRuleError, Provenance, require_aware
from ketacare.clinical.instruments import Instrument, get_instrument
from ketacare.clinical.outcomes.definitions import (
    BASELINE_PROVENANCE,
    RAPID_RESPONSE_PROVENANCE,
    RAPID_RESPONSE_TIME_POINTS,
    DatedScore,
    Judgement,
    OutcomeSettings,
    RapidResponse,
)
from ketacare.clinical.outcomes.text import cite, day, duration, moment


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
    require_aware("first treatment time", first_treatment_at)
    one_instrument(scores)
    before = [s for s in scores if s.at <= first_treatment_at]
    if max_age is not None:
        before = [s for s in before if first_treatment_at - s.at <= max_age]
    return max(reversed(before), key=lambda s: s.at, default=None)  # max keeps the first tie


def follow_ups(
    scores: Sequence[DatedScore], *, first_treatment_at: datetime
) -> tuple[DatedScore, ...]:
    """Scores after the first treatment, oldest first."""
    require_aware("first treatment time", first_treatment_at)
    one_instrument(scores)
    return tuple(sorted((s for s in scores if s.at > first_treatment_at), key=lambda s: s.at))


def judge_response(
    baseline: DatedScore, assessment: DatedScore, *, settings: OutcomeSettings | None = None
) -> Judgement:
    """Response: a fall of at least 50 % from baseline [S3][S16][S29], checked exactly."""
    settings = settings or OutcomeSettings()
    instrument = same_instrument(baseline, assessment)
    if instrument.response is None:
        return Judgement(None, no_rule(instrument, "response"), NO_RULE)
    threshold, provenance = response_threshold(instrument, settings)
    criterion = f"response is a fall of at least {threshold} % {cite(provenance)}"
    if baseline.total == 0:
        return Judgement(
            None,
            f"{instrument.name} baseline is 0 ({day(baseline.at)}): a percent change from 0 "
            f"is undefined, so response cannot be judged",
            provenance,
        )
    return Judgement(
        meets_fall(baseline.total, assessment.total, threshold),
        f"{change_text(instrument, baseline, assessment, threshold)}; {criterion}",
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
        return Judgement(None, no_rule(instrument, "remission threshold"), NO_RULE)
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
        f"{instrument.name} {assessment.total} ({day(assessment.at)}) {verdict} {threshold}; "
        f"remission is {criterion} {cite(provenance)}",
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
    one_instrument(scores, code)
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
                f"No {instrument.name} score within {duration(window)} of {label} after the "
                f"first treatment ({moment(target)})",
                RAPID_RESPONSE_PROVENANCE,
            )
        else:
            judgement = judge_response(baseline, nearest, settings=settings)
        results.append(RapidResponse(label, target, nearest, judgement))
    return tuple(results)


NO_RULE = Provenance((), note="the clinical reference defines no rule here")


def no_rule(instrument: Instrument, what: str) -> str:
    return (
        f"the clinical reference defines no {what} for {instrument.name} "
        "(only for PHQ-9, MADRS and QIDS-SR16), so it is not evaluated"
    )


def response_threshold(instrument: Instrument, settings: OutcomeSettings) -> tuple[int, Provenance]:
    assert instrument.response is not None
    default = instrument.response.min_fall_percent
    threshold = default.resolve(settings.response_min_fall_percent)
    if threshold == default.value:
        return threshold, default.provenance
    return threshold, Provenance(("clinic setting",), note=f"clinic override of {default.value} %")


def meets_fall(baseline_total: int, total: int, min_fall_percent: int) -> bool:
    """Exact integer test of (baseline - total) / baseline >= min_fall_percent / 100."""
    return (
        baseline_total > 0 and (baseline_total - total) * 100 >= min_fall_percent * baseline_total
    )


def change_text(
    instrument: Instrument, baseline: DatedScore, assessment: DatedScore, threshold: int
) -> str:
    pct = percent_change(baseline.total, assessment.total)
    ends = (
        f"from baseline {baseline.total} ({day(baseline.at)}) to {assessment.total} "
        f"({day(assessment.at)})"
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


def one_instrument(scores: Sequence[DatedScore], code: str | None = None) -> None:
    codes = {s.code for s in scores} | ({code} if code else set())
    if len(codes) > 1:
        raise ClinicalRuleError(
            f"scores mix instruments ({', '.join(sorted(codes))}); pass one instrument at a time"
        )


def same_instrument(a: DatedScore, b: DatedScore) -> Instrument:
    if a.code != b.code:
        raise ClinicalRuleError(f"cannot compare {a.code} with {b.code}")
    return get_instrument(a.code)
