"""The course's state at its latest assessment, and relapse under the rule in force."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.instruments import Instrument, get_instrument
from ketacare.clinical.outcomes.definitions import (
    BASELINE_PROVENANCE,
    LOSS_OF_RESPONSE,
    LOSS_OF_RESPONSE_PROVENANCE,
    RELAPSE_RULE,
    SUSTAIN1_MADRS,
    SUSTAIN1_MADRS_MIN,
    SUSTAIN1_MAX_GAP,
    SUSTAIN1_MIN_GAP,
    SUSTAIN1_PROVENANCE,
    CourseState,
    CourseStatus,
    DatedScore,
    OutcomeSettings,
)
from ketacare.clinical.outcomes.judgements import (
    NO_RULE,
    change_text,
    find_baseline,
    follow_ups,
    judge_remission,
    judge_response,
    meets_fall,
    no_rule,
    one_instrument,
    percent_change,
    response_threshold,
)
from ketacare.clinical.outcomes.text import cite, day, duration, moment


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
    one_instrument(scores, code)
    baseline = find_baseline(
        scores, first_treatment_at=first_treatment_at, max_age=settings.baseline_max_age
    )
    later = follow_ups(scores, first_treatment_at=first_treatment_at)

    if baseline is None:
        limit = (
            f" within {duration(settings.baseline_max_age)}" if settings.baseline_max_age else ""
        )
        return CourseStatus(
            code,
            CourseState.NO_BASELINE,
            f"No baseline: no {instrument.name} score{limit} at or before the first treatment "
            f"({moment(first_treatment_at)})",
            BASELINE_PROVENANCE,
        )
    if not later:
        return CourseStatus(
            code,
            CourseState.NO_FOLLOW_UP,
            f"No follow-up: baseline {instrument.name} {baseline.total} ({day(baseline.at)}); "
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
        reason = no_rule(instrument, "response or remission")
        return status(CourseState.NOT_EVALUATED, f"Not evaluated: {reason}", NO_RULE)
    latest_response = judge_response(baseline, latest, settings=settings)
    if baseline.total == 0:
        return status(
            CourseState.NOT_EVALUATED,
            f"Not evaluated: {latest_response.reason}",
            latest_response.provenance,
        )

    threshold, response_provenance = response_threshold(instrument, settings)
    remission_rule = instrument.remission
    remission_threshold = remission_rule.threshold.resolve(settings.remission_threshold)
    rule_key, rule_text, rule_provenance = _relapse_rule(instrument, settings)

    def benefit(s: DatedScore) -> bool:  # meets response or remission
        return meets_fall(baseline.total, s.total, threshold) or remission_rule.met(
            s.total, remission_threshold
        )

    def kept(s: DatedScore) -> bool:  # still well for the relapse rule in force
        if rule_key == SUSTAIN1_MADRS and s.total >= SUSTAIN1_MADRS_MIN:
            return False  # a SUSTAIN-1 relapse value never keeps the benefit
        return benefit(s)

    reached = next((i for i, s in enumerate(later) if benefit(s)), None)
    if remission.met:
        change = change_text(instrument, baseline, latest, threshold)
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
            f"after response on {day(anchor.at)}, {instrument.name} was {first.total} "
            f"({day(first.at)}) and {second.total} ({day(second.at)})"
        )
        if rule_key == LOSS_OF_RESPONSE:
            detail = (
                f"both short of a {threshold} % fall from baseline {baseline.total} "
                f"({day(baseline.at)})"
            )
        else:
            detail = f"{duration(second.at - first.at)} apart"
        return status(
            CourseState.RELAPSE,
            f"Relapse: {both}, {detail}; relapse is {rule_text} {cite(rule_provenance)}",
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
        f"{day(anchor.at)}; relapse needs {rule_text} {cite(rule_provenance)}",
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
