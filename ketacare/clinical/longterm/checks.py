"""Urinary symptoms, cognition and liver tests: what counts as positive, worse or abnormal, and
when each check is due.

- Urinary: the Spravato label warns of ulcerative/interstitial cystitis and says to ask about
  urinary symptoms at each visit [S14][S102]; the reference names no validated questionnaire, so
  the questions are the clinic's checklist and any "yes" is positive.
- Cognition: the label lists cognitive impairment [S14]; the reference supports no instrument,
  so the clinic records its own screen's score and sets which direction is worse and by how
  much; no score is interpreted otherwise.
- Liver: drug-induced liver injury with prolonged use is in the Ketalar label [S103]; the
  reference gives no test interval or limit, so "abnormal" is the lab's own flag or range, or a
  limit the clinic sets, and "prolonged" and the interval are clinic settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.longterm.findings import Due, DueStatus, interval_due

URINARY_SOURCE = Provenance(("S14", "S102"), True, "ask about urinary symptoms each visit")
URINARY_ACTION = "Assess the symptoms, send a urinalysis, and consider pausing treatment"
URINARY_ACTION_SOURCE = Provenance(
    ("S14", "S100"), False, "recommended action named by the clinic practice in the issue"
)
COGNITION_SOURCE = Provenance(("S14",), True, "label warning: cognitive impairment")
LIVER_SOURCE = Provenance(("S103",), True, "drug-induced liver injury with prolonged use")
ABUSE_SOURCE = Provenance(("S14", "S56"), True, "assess abuse risk before and during treatment")
CONTINUATION_SOURCE = Provenance(("S11", "S46"), True, "evaluate benefit to decide on continuation")
LAB_ABNORMAL_FLAGS = frozenset({"high", "low", "abnormal", "critical"})


def checklist_items(text: str | None) -> tuple[str, ...]:
    """The clinic's checklist setting (comma-separated) as its questions, in order."""
    items = tuple(dict.fromkeys(i.strip() for i in (text or "").split(",") if i.strip()))
    if not items:
        raise ClinicalRuleError("The urinary symptom checklist has no questions")
    return items


def urinary_positive(answers: Mapping[str, bool]) -> tuple[str, ...]:
    """The symptoms answered "yes" (empty: negative)."""
    return tuple(item for item, yes in answers.items() if yes)


def urinary_due(
    *,
    every_visit: bool,
    interval_days: int | None,
    last_at: dt.datetime | None,
    visit_started_at: dt.datetime | None,
    at: dt.datetime,
) -> Due:
    """Esketamine: at every visit (label [S14]) — due in a visit until asked in it. Other routes:
    the clinic's interval (0 = every visit too); unset: not configured."""
    label = "Urinary symptom check"
    if every_visit or interval_days == 0:
        why = "each visit (Spravato label)" if every_visit else "each visit (clinic setting)"
        if visit_started_at is None:
            return Due(
                "urinary_check",
                label,
                DueStatus.NOT_DUE,
                f"Asked at {why}",
                last_at,
                provenance=URINARY_SOURCE,
            )
        if last_at is not None and last_at >= visit_started_at:
            return Due(
                "urinary_check",
                label,
                DueStatus.NOT_DUE,
                f"Asked in this visit; {why}",
                last_at,
                provenance=URINARY_SOURCE,
            )
        return Due(
            "urinary_check",
            label,
            DueStatus.DUE,
            f"Not yet asked in this visit; {why}",
            last_at,
            visit_started_at,
            URINARY_SOURCE,
        )
    return interval_due(
        item="urinary_check",
        label=label,
        last_at=last_at,
        interval_days=interval_days,
        at=at,
        provenance=URINARY_SOURCE,
        missing="Never asked",
        setting_label="Urinary symptom check every",
    )


@dataclass(frozen=True)
class CognitionChange:
    worse: bool | None  # None: the clinic has not said which way is worse, or by how much
    change: float  # latest − baseline
    reason: str


def cognition_change(
    *,
    baseline: float,
    latest: float,
    worse_when: str | None,
    worsening_points: float | None,
) -> CognitionChange:
    """Compare the latest score with the baseline in the direction the clinic set."""
    change = round(latest - baseline, 2)
    if worse_when is None or worsening_points is None:
        return CognitionChange(
            None,
            change,
            "Not configured: the clinic has not set which direction is worse and by how much",
        )
    if worse_when not in ("lower", "higher"):
        raise ClinicalRuleError(f"A worse cognitive score is lower or higher, not {worse_when!r}")
    drop = -change if worse_when == "lower" else change
    worse = drop > 0 and drop >= worsening_points
    direction = "fell" if change < 0 else "rose" if change > 0 else "did not change"
    reason = (
        f"The score {direction} by {abs(change):g} from baseline {baseline:g} to {latest:g}"
        + (
            f"; worse by at least the clinic's {worsening_points:g} points"
            if worse
            else f"; not worse by the clinic's {worsening_points:g} points"
        )
    )
    return CognitionChange(worse, change, reason)


def cognition_due(
    *,
    baseline_at: dt.datetime | None,
    last_at: dt.datetime | None,
    interval_days: int | None,
    at: dt.datetime,
) -> Due:
    """A baseline is always due first; then the clinic's interval."""
    if baseline_at is None:
        return Due(
            "cognitive_screen",
            "Cognitive screen",
            DueStatus.DUE,
            "No baseline screen on file",
            provenance=COGNITION_SOURCE,
        )
    return interval_due(
        item="cognitive_screen",
        label="Cognitive screen",
        last_at=last_at,
        interval_days=interval_days,
        at=at,
        provenance=COGNITION_SOURCE,
        missing="No screen on file",
        setting_label="Cognitive screen every",
    )


def liver_abnormal(
    *,
    value: float,
    lab_flag: str,
    lab_lower: float | None,
    lab_upper: float | None,
    clinic_upper: float | None,
) -> tuple[str, ...]:
    """Why the result is abnormal (empty: not abnormal by any of the three)."""
    reasons = []
    if lab_flag in LAB_ABNORMAL_FLAGS:
        reasons.append(f"flagged {lab_flag} by the lab")
    if lab_upper is not None and value > lab_upper:
        reasons.append(f"above the lab's range (upper {lab_upper:g})")
    if lab_lower is not None and value < lab_lower:
        reasons.append(f"below the lab's range (lower {lab_lower:g})")
    if clinic_upper is not None and value > clinic_upper:
        reasons.append(f"above the clinic's limit {clinic_upper:g}")
    return tuple(reasons)


def liver_due(
    *,
    first_dose_at: dt.datetime | None,
    last_result_at: dt.datetime | None,
    prolonged_after_days: int | None,
    interval_days: int | None,
    at: dt.datetime,
) -> Due:
    """Liver results are expected once treatment is prolonged (clinic setting), then at the
    clinic's interval; missing results for a patient on prolonged treatment prompt review."""
    label = "Liver function tests"
    if prolonged_after_days is None:
        return Due(
            "liver_tests",
            label,
            DueStatus.NOT_CONFIGURED,
            "Not configured: the clinic has not set when treatment counts as prolonged",
            last_result_at,
            provenance=LIVER_SOURCE,
        )
    if first_dose_at is None:
        return Due(
            "liver_tests",
            label,
            DueStatus.NOT_DUE,
            "No dose given yet",
            last_result_at,
            provenance=LIVER_SOURCE,
        )
    prolonged_at = first_dose_at + dt.timedelta(days=prolonged_after_days)
    if at < prolonged_at:
        return Due(
            "liver_tests",
            label,
            DueStatus.NOT_DUE,
            f"Treatment counts as prolonged from {prolonged_at:%Y-%m-%d}",
            last_result_at,
            prolonged_at,
            LIVER_SOURCE,
        )
    return interval_due(
        item="liver_tests",
        label=label,
        last_at=last_result_at,
        interval_days=interval_days,
        at=at,
        provenance=LIVER_SOURCE,
        missing="Prolonged treatment and no liver function results on file",
        setting_label="Liver function results expected at least every",
    )


def continuation_due(
    *,
    first_dose_at: dt.datetime | None,
    last_review_at: dt.datetime | None,
    interval_days: int | None,
    at: dt.datetime,
) -> Due:
    """The first review falls one interval after the first dose, then one after each review."""
    label = "Continuation review"
    if interval_days is None:
        return Due(
            "continuation_review",
            label,
            DueStatus.NOT_CONFIGURED,
            "Not configured: the clinic has not set “Continuation review every”",
            last_review_at,
            provenance=CONTINUATION_SOURCE,
        )
    since = last_review_at or first_dose_at
    if since is None:
        return Due(
            "continuation_review",
            label,
            DueStatus.NOT_DUE,
            "No dose given yet",
            provenance=CONTINUATION_SOURCE,
        )
    next_at = since + dt.timedelta(days=interval_days)
    status = DueStatus.DUE if next_at <= at else DueStatus.NOT_DUE
    reason = (
        f"Due since {next_at:%Y-%m-%d} (every {interval_days} days)"
        if status is DueStatus.DUE
        else f"Next due {next_at:%Y-%m-%d}"
    )
    return Due(
        "continuation_review",
        label,
        status,
        reason,
        last_review_at,
        next_at,
        CONTINUATION_SOURCE,
    )
