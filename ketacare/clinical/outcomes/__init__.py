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

The package: ``definitions`` (states, relapse rules, ``DatedScore``, ``OutcomeSettings``, results,
``CONFIGURABLE_DEFAULTS``), ``judgements`` (baseline, response, remission, rapid response),
``course`` (``course_status``) and ``text`` (how sentences name sources and times).
"""

from ketacare.clinical.outcomes.course import course_status
from ketacare.clinical.outcomes.definitions import (
    BASELINE_PROVENANCE,
    CONFIGURABLE_DEFAULTS,
    LOSS_OF_RESPONSE,
    LOSS_OF_RESPONSE_PROVENANCE,
    RAPID_RESPONSE_PROVENANCE,
    RAPID_RESPONSE_TIME_POINTS,
    RELAPSE_RULE,
    SUSTAIN1_MADRS,
    SUSTAIN1_MADRS_MIN,
    SUSTAIN1_MAX_GAP,
    SUSTAIN1_MIN_GAP,
    SUSTAIN1_PROVENANCE,
    CourseState,
    CourseStatus,
    DatedScore,
    Judgement,
    OutcomeSettings,
    RapidResponse,
)
from ketacare.clinical.outcomes.judgements import (
    find_baseline,
    follow_ups,
    judge_remission,
    judge_response,
    percent_change,
    rapid_response,
)

__all__ = [
    "BASELINE_PROVENANCE",
    "CONFIGURABLE_DEFAULTS",
    "LOSS_OF_RESPONSE",
    "LOSS_OF_RESPONSE_PROVENANCE",
    "RAPID_RESPONSE_PROVENANCE",
    "RAPID_RESPONSE_TIME_POINTS",
    "RELAPSE_RULE",
    "SUSTAIN1_MADRS",
    "SUSTAIN1_MADRS_MIN",
    "SUSTAIN1_MAX_GAP",
    "SUSTAIN1_MIN_GAP",
    "SUSTAIN1_PROVENANCE",
    "CourseState",
    "CourseStatus",
    "DatedScore",
    "Judgement",
    "OutcomeSettings",
    "RapidResponse",
    "course_status",
    "find_baseline",
    "follow_ups",
    "judge_remission",
    "judge_response",
    "percent_change",
    "rapid_response",
]
