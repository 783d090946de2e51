"""The clinic settings of long-term safety. The reference (§6.2) names the risks but gives no
number for any of them: no cumulative-dose or frequency limit, no screening interval other than
the Spravato label's urinary question at each visit, no cognitive instrument, no liver-test
schedule or limit. So every number here has no default (``value=None``): while a clinic has not
set one, the matching prompt is not raised and the screen says "not configured".
"""

from __future__ import annotations

from typing import Final

from ketacare.clinical.common import ConfigurableDefault, Provenance, Route

SECTION: Final = "longterm"

CLINIC_SETTING = Provenance((), False, "the reference gives no value: the clinic sets it")
# The checklist of lower-urinary-tract symptoms: the reference names no validated
# instrument (§6.2 reports LUTS in users [S100][S101]; the label says to ask [S14]).
CHECKLIST_PRACTICE = Provenance(
    ("S14", "S100"), False, "clinic checklist; the reference names no validated instrument"
)

PERIODS: Final = (30, 90, 365)


def _exposure_key(route: str, days: int) -> str:
    return f"exposure_{route}_mg_{days}d"


EXPOSURE_LIMITS: Final[dict[tuple[str, int], ConfigurableDefault]] = {
    (route.value, days): ConfigurableDefault(
        key=_exposure_key(route.value, days),
        label=f"Review prompt above this total, {route.value.replace('_', ' ')}, {days} days",
        value=None,
        unit="mg",
        provenance=CLINIC_SETTING,
        minimum=0,
    )
    for route in Route
    for days in PERIODS
}

SESSIONS_PER_30_DAYS_MAX = ConfigurableDefault(
    "sessions_per_30_days_max",
    "Review prompt above this many sessions (and at-home doses) in 30 days",
    None,
    "sessions",
    CLINIC_SETTING,
    minimum=1,
)
SHORTEST_INTERVAL_HOURS_MIN = ConfigurableDefault(
    "shortest_interval_hours_min",
    "Review prompt when two sessions are closer than this",
    None,
    "hours",
    CLINIC_SETTING,
    minimum=0,
)
URINARY_INTERVAL_DAYS = ConfigurableDefault(
    "urinary_interval_days",
    "Urinary symptom check every (racemic routes; esketamine: every visit, label)",
    None,
    "days",
    CLINIC_SETTING,
    minimum=0,
)
URINARY_CHECKLIST = ConfigurableDefault(
    "urinary_checklist",
    "Urinary symptom checklist (comma-separated questions)",
    "frequency, urgency, pain on passing urine, blood in urine, suprapubic pain",
    "",
    CHECKLIST_PRACTICE,
)
COGNITION_INSTRUMENT = ConfigurableDefault(
    "cognition_instrument",
    "Cognitive screen the clinic uses (its name; the reference names none)",
    None,
    "",
    CLINIC_SETTING,
)
COGNITION_INTERVAL_DAYS = ConfigurableDefault(
    "cognition_interval_days", "Cognitive screen every", None, "days", CLINIC_SETTING, minimum=1
)
COGNITION_WORSE_WHEN = ConfigurableDefault(
    "cognition_worse_when",
    "On the clinic's cognitive screen, a worse result is",
    None,
    "",
    CLINIC_SETTING,
    choices=("lower", "higher"),
)
COGNITION_WORSENING_POINTS = ConfigurableDefault(
    "cognition_worsening_points",
    "Prompt when the cognitive score is worse than baseline by at least",
    None,
    "points",
    CLINIC_SETTING,
    minimum=0,
)
LIVER_PROLONGED_AFTER_DAYS = ConfigurableDefault(
    "liver_prolonged_after_days",
    "Treatment counts as prolonged (liver tests expected) after",
    None,
    "days",
    CLINIC_SETTING,
    minimum=1,
)
LIVER_INTERVAL_DAYS = ConfigurableDefault(
    "liver_interval_days",
    "Liver function results expected at least every",
    None,
    "days",
    CLINIC_SETTING,
    minimum=1,
)
LIVER_ANALYTES: Final[dict[str, str]] = {
    "alt": "ALT",
    "ast": "AST",
    "alp": "ALP",
    "ggt": "GGT",
    "bilirubin": "Total bilirubin",
}
LIVER_UNITS: Final[dict[str, str]] = {
    "alt": "U/L",
    "ast": "U/L",
    "alp": "U/L",
    "ggt": "U/L",
    "bilirubin": "mg/dL",
}
LIVER_UPPER: Final[dict[str, ConfigurableDefault]] = {
    code: ConfigurableDefault(
        f"liver_{code}_upper",
        f"{label} above this is abnormal (besides the lab's own flag and range)",
        None,
        LIVER_UNITS[code],
        CLINIC_SETTING,
        minimum=0,
    )
    for code, label in LIVER_ANALYTES.items()
}
CONTINUATION_REVIEW_INTERVAL_DAYS = ConfigurableDefault(
    "continuation_review_interval_days",
    "Continuation review (benefit beside the risks) every",
    None,
    "days",
    CLINIC_SETTING,
    minimum=1,
)

SETTINGS: Final[tuple[ConfigurableDefault, ...]] = (
    *EXPOSURE_LIMITS.values(),
    SESSIONS_PER_30_DAYS_MAX,
    SHORTEST_INTERVAL_HOURS_MIN,
    URINARY_INTERVAL_DAYS,
    URINARY_CHECKLIST,
    COGNITION_INSTRUMENT,
    COGNITION_INTERVAL_DAYS,
    COGNITION_WORSE_WHEN,
    COGNITION_WORSENING_POINTS,
    LIVER_PROLONGED_AFTER_DAYS,
    LIVER_INTERVAL_DAYS,
    *LIVER_UPPER.values(),
    CONTINUATION_REVIEW_INTERVAL_DAYS,
)
SETTING_KINDS: Final[dict[str, type]] = {
    **{d.key: float for d in EXPOSURE_LIMITS.values()},
    SESSIONS_PER_30_DAYS_MAX.key: int,
    SHORTEST_INTERVAL_HOURS_MIN.key: float,
    URINARY_INTERVAL_DAYS.key: int,
    COGNITION_INSTRUMENT.key: str,
    COGNITION_INTERVAL_DAYS.key: int,
    COGNITION_WORSENING_POINTS.key: float,
    LIVER_PROLONGED_AFTER_DAYS.key: int,
    LIVER_INTERVAL_DAYS.key: int,
    **{d.key: float for d in LIVER_UPPER.values()},
    CONTINUATION_REVIEW_INTERVAL_DAYS.key: int,
}


def exposure_limit_key(route: str, days: int) -> str:
    return _exposure_key(route, days)
