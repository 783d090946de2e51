"""The building blocks of the cohort SQL, and the figures that need no outcome rules.

Plain SQL text that DuckDB, Spark SQL and Trino all accept (see ``ketacare.analytics.queries``
for the subset used). Values are rendered as literals only after validation (known dimensions,
whole numbers, a short safe alphabet for strings), so no text from a request reaches the SQL
unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ketacare.clinical.cohorts import OutcomeDefinition
from ketacare.clinical.common import ClinicalRuleError

MINUTES_PER_DAY = 1440

# Dimensions a cohort may be split or filtered by: name -> SQL over courses c and patients p.
PRIOR_TRIALS_BAND = (
    "CASE WHEN p.prior_trials IS NULL THEN 'unknown' "
    "WHEN p.prior_trials >= 4 THEN '4 or more' "
    "WHEN p.prior_trials = 3 THEN '3' WHEN p.prior_trials = 2 THEN '2' "
    "WHEN p.prior_trials = 1 THEN '1' ELSE '0' END"
)
DIMENSIONS: Mapping[str, str] = {
    "route": "c.route",
    "indication": "c.indication",
    "clinic": "c.clinic_id",
    "age_band": "p.age_band",
    "sex": "p.sex",
    "prior_trials": PRIOR_TRIALS_BAND,
}
PATIENT_DIMENSIONS = ("clinic", "age_band", "sex", "prior_trials")  # known before a course
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_ .+<>-]{1,60}$")

# The si_item column per instrument, and the reference's positive screen where it gives one.
SI_POSITIVE_MIN: Mapping[str, int] = {"phq9": 1}  # source: S20 (PHQ-9 item 9 >= 1)

FUNNEL_STAGES: tuple[str, ...] = (
    "referred",
    "screened",
    "eligible",
    "consented",
    "started",
    "completed_induction",
    "maintenance",
)


@dataclass(frozen=True)
class Cohort:
    """Which treated patients a query looks at and how it splits them."""

    by: tuple[str, ...] = ()
    filters: tuple[tuple[str, str | int], ...] = ()

    @classmethod
    def of(cls, by: Sequence[str] = (), filters: Mapping[str, str | int] | None = None) -> Cohort:
        by = tuple(by)
        for name in (*by, *(filters or {})):
            if name not in DIMENSIONS:
                raise ClinicalRuleError(
                    f"cannot group or filter by {name!r}; choose from {', '.join(DIMENSIONS)}"
                )
        if len(set(by)) != len(by):
            raise ClinicalRuleError("a dimension is named twice")
        return cls(by, tuple(sorted((filters or {}).items())))

    def where(self, dimensions: Mapping[str, str] = DIMENSIONS) -> str:
        return (
            " AND ".join(
                f"{dimensions[name]} = {literal(name, value)}" for name, value in self.filters
            )
            or "1 = 1"
        )

    def columns(self) -> str:
        """Every dimension as a named column of the cohort CTE."""
        return ", ".join(f"{sql} AS {name}" for name, sql in DIMENSIONS.items())

    def group_columns(self, prefix: str = "") -> str:
        return "".join(f"{prefix}{name}, " for name in self.by)

    def group_by(self, expressions: Mapping[str, str] | None = None) -> str:
        """GROUP BY the split dimensions (as columns, or as ``expressions``); "" when none."""
        if not self.by:
            return ""
        return "GROUP BY " + ", ".join((expressions or {}).get(n, n) for n in self.by)


def literal(name: str, value: str | int) -> str:
    if name == "clinic":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ClinicalRuleError(f"clinic must be a clinic id (a whole number), got {value!r}")
        return str(value)
    if not isinstance(value, str) or not _SAFE_TEXT.match(value):
        raise ClinicalRuleError(f"{name} {value!r} is not a value the export can hold")
    return f"'{value}'"


def whole(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicalRuleError(f"{what} must be a whole number, got {value!r}")
    return value


# --- building blocks --------------------------------------------------------------------------


def cohort_ctes(cohort: Cohort) -> str:
    """index_courses: each patient's first treated course (the export's ``index_course``, see
    ``ketacare.analytics.derived``); cohort: it with the dimensions."""
    return f"""index_courses AS (
  SELECT course_id, patient_id, clinic_id, route, indication, first_treatment_min,
         induction_completed_min, maintenance_started_min
  FROM courses
  WHERE index_course
),
cohort AS (
  SELECT c.patient_id, c.course_id, c.first_treatment_min AS t0, {cohort.columns()}
  FROM index_courses c
  JOIN patients p ON p.patient_id = c.patient_id
  WHERE {cohort.where()}
)"""


def rules_cte(definitions: Sequence[OutcomeDefinition]) -> str:
    """One row per instrument: fall percent, remission as "score <= max", baseline age limit."""
    if not definitions:
        raise ClinicalRuleError("name at least one instrument")
    codes = [d.code for d in definitions]
    if len(set(codes)) != len(codes):
        raise ClinicalRuleError("an instrument is named twice")
    rows = []
    for number, d in enumerate(definitions, start=1):
        # scores are whole numbers, so "< t" is "<= t - 1"
        remission_max = d.remission_threshold - (1 if d.remission_comparator == "<" else 0)
        max_age = (
            whole(int(d.baseline_max_age.total_seconds() // 60), "baseline age")
            if d.baseline_max_age is not None
            else -1
        )
        rows.append(
            f"SELECT {literal('instrument', d.code)} AS instrument, {number} AS instrument_no, "
            f"{whole(d.response_min_fall_percent, 'response percent')} AS fall_pct, "
            f"{whole(remission_max, 'remission threshold')} AS remission_max, "
            f"{max_age} AS baseline_max_age_min"
        )
    return "rules AS (\n  " + "\n  UNION ALL ".join(rows) + "\n)"


def relapse_rule(definitions: Sequence[OutcomeDefinition]) -> str:
    rules = {d.relapse_rule for d in definitions}
    if len(rules) != 1:
        raise ClinicalRuleError("one relapse rule per query")
    return rules.pop()


def window_minutes(definitions: Sequence[OutcomeDefinition]) -> int | None:
    """The follow-up window in minutes after the first treatment (None: no window)."""
    days = {d.follow_up_days for d in definitions}
    if len(days) != 1:
        raise ClinicalRuleError("one follow-up window per query")
    window = days.pop()
    return None if window is None else whole(window, "window") * MINUTES_PER_DAY


def follow_up_window(definitions: Sequence[OutcomeDefinition]) -> str:
    """The window as a condition on ``o.after_first_treatment_min`` ("" when none)."""
    limit = window_minutes(definitions)
    return "" if limit is None else f"AND o.after_first_treatment_min <= {limit}"


def per_instrument(
    definitions: Sequence[OutcomeDefinition], value: Callable[[int, str], str]
) -> str:
    """``CASE o.instrument WHEN <code> THEN value(number, code) ... END``: the rules inlined
    as literals, so the scores need no join to the rules."""
    whens = " ".join(
        f"WHEN {literal('instrument', d.code)} THEN {value(number, d.code)}"
        for number, d in enumerate(definitions, start=1)
    )
    return f"CASE o.instrument {whens} END"


def si_trajectory_sql(
    instrument: str, cohort: Cohort, *, bin_days: int = 7, follow_up_days: int | None = None
) -> str:
    """The suicidal-ideation item by period since the first treatment (period -1 = the days
    before it): observations, patients, sum of the item and how many met the positive screen."""
    size = whole(bin_days, "period length") * MINUTES_PER_DAY
    if bin_days < 1:
        raise ClinicalRuleError("the period must be at least one day")
    window = (
        f"AND o.at_min <= c.t0 + {whole(follow_up_days, 'window') * MINUTES_PER_DAY}"
        if follow_up_days is not None
        else ""
    )
    positive = SI_POSITIVE_MIN.get(instrument)
    positive_sql = f"o.si_item >= {positive}" if positive is not None else "1 = 0"
    return f"""WITH {cohort_ctes(cohort)},
items AS (
  SELECT {cohort.group_columns("c.")}o.patient_id, o.si_item,
         CAST(FLOOR(CAST(o.at_min - c.t0 AS DOUBLE) / {size}) AS BIGINT) AS period,
         CASE WHEN {positive_sql} THEN 1 ELSE 0 END AS positive
  FROM observations o
  JOIN cohort c ON o.patient_id = c.patient_id
  WHERE o.instrument = {literal("instrument", instrument)} AND o.si_item IS NOT NULL
        AND o.at_min > c.t0 - {size} {window}
)
SELECT {cohort.group_columns()}period, COUNT(*) AS observations,
       COUNT(DISTINCT patient_id) AS patients, SUM(si_item) AS item_sum,
       SUM(positive) AS positive
FROM items
GROUP BY {cohort.group_columns()}period"""


def funnel_sql(cohort: Cohort) -> str:
    """Patients who reached each pathway stage or a later one (referred → maintenance)."""
    course_dims = set(cohort.by) | {name for name, _ in cohort.filters}
    if not course_dims <= set(PATIENT_DIMENSIONS):
        raise ClinicalRuleError(
            "the funnel starts before any course, so it splits only by "
            + ", ".join(PATIENT_DIMENSIONS)
        )
    sums = ",\n       ".join(
        f"SUM(CASE WHEN furthest >= {i} THEN 1 ELSE 0 END) AS {stage}"
        for i, stage in enumerate(FUNNEL_STAGES, start=1)
    )
    # the funnel's clinic is where the patient is registered: there may be no course yet
    dimensions = {**DIMENSIONS, "clinic": "p.clinic_id"}
    columns = ", ".join(f"{dimensions[name]} AS {name}" for name in PATIENT_DIMENSIONS)
    return f"""WITH {cohort_ctes(Cohort())},
stages AS (
  SELECT {columns},
         CASE WHEN c.maintenance_started_min IS NOT NULL THEN 7
              WHEN c.induction_completed_min IS NOT NULL THEN 6
              WHEN c.first_treatment_min IS NOT NULL THEN 5
              WHEN p.consented_min IS NOT NULL THEN 4
              WHEN p.eligible_min IS NOT NULL THEN 3
              WHEN p.screened_min IS NOT NULL THEN 2
              ELSE 1 END AS furthest
  FROM patients p
  LEFT JOIN index_courses c ON c.patient_id = p.patient_id
  WHERE {cohort.where(dimensions)}
)
SELECT {cohort.group_columns()}{sums}
FROM stages
{cohort.group_by()}"""


def safety_sql(cohort: Cohort) -> str:
    """Administered sessions, vital-sign alerts, adverse events and serious ones per group
    (every course, not only the first: safety counts every session given)."""
    dimensions = "".join(f"{DIMENSIONS[name]} AS {name}, " for name in cohort.by)
    return f"""WITH events AS (
  SELECT course_id, 1 AS sessions, vital_alerts, 0 AS adverse_events, 0 AS serious
  FROM sessions WHERE administered
  UNION ALL
  SELECT course_id, 0, 0, 1, CASE WHEN serious THEN 1 ELSE 0 END
  FROM adverse_events WHERE course_id IS NOT NULL
)
SELECT {dimensions}SUM(e.sessions) AS sessions, SUM(e.vital_alerts) AS vital_alerts,
       SUM(e.adverse_events) AS adverse_events, SUM(e.serious) AS serious_adverse_events
FROM events e
JOIN courses c ON c.course_id = e.course_id
JOIN patients p ON p.patient_id = c.patient_id
WHERE {cohort.where()}
{cohort.group_by(DIMENSIONS)}"""
