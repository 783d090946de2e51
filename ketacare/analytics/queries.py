"""The cohort queries, written once as plain SQL that DuckDB, Spark SQL and Trino all accept.

Every function returns SQL text over the five export tables (``ketacare.analytics.layout``);
the runners in ``engine`` (DuckDB) and ``spark`` (PySpark) execute the same text. Kept to the
common subset: CTEs, CASE, COUNT/SUM/MIN/MAX/MAX_BY with FILTER, one ROW_NUMBER (a patient's
first course), UNION ALL; no integer division (its meaning differs between engines), no
engine-specific functions. ``tests/analytics/test_queries.py`` parses every query with sqlglot
in each dialect.

The per-patient rules are those of ``ketacare.clinical.outcomes.course_status`` (see
``ketacare.clinical.cohorts``): baseline = the last score at or before the first treatment;
follow-ups = scores after it (within the window); the latest follow-up is judged for response
(fall ≥ N % from baseline, exact integer test) and remission; response is "reached" at the first
follow-up meeting response or remission; relapse as ``outcomes._find_relapse`` finds it.
Values are rendered as literals only after validation (known dimensions, whole numbers, a short
safe alphabet for strings), so no text from a request reaches the SQL unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ketacare.clinical.cohorts import OutcomeDefinition
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.outcomes import (
    SUSTAIN1_MADRS,
    SUSTAIN1_MADRS_MIN,
    SUSTAIN1_MAX_GAP,
    SUSTAIN1_MIN_GAP,
    CourseState,
)

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
                f"{dimensions[name]} = {_literal(name, value)}" for name, value in self.filters
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


def _literal(name: str, value: str | int) -> str:
    if name == "clinic":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ClinicalRuleError(f"clinic must be a clinic id (a whole number), got {value!r}")
        return str(value)
    if not isinstance(value, str) or not _SAFE_TEXT.match(value):
        raise ClinicalRuleError(f"{name} {value!r} is not a value the export can hold")
    return f"'{value}'"


def _whole(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicalRuleError(f"{what} must be a whole number, got {value!r}")
    return value


# --- building blocks --------------------------------------------------------------------------


def _cohort_ctes(cohort: Cohort) -> str:
    """index_courses: each patient's first treated course; cohort: it with the dimensions."""
    return f"""index_courses AS (
  SELECT course_id, patient_id, clinic_id, route, indication, first_treatment_min,
         induction_completed_min, maintenance_started_min
  FROM (
    SELECT course_id, patient_id, clinic_id, route, indication, first_treatment_min,
           induction_completed_min, maintenance_started_min,
           ROW_NUMBER() OVER (
             PARTITION BY patient_id
             ORDER BY first_treatment_min ASC NULLS LAST, course_id ASC NULLS LAST
           ) AS course_rank
    FROM courses
    WHERE first_treatment_min IS NOT NULL
  ) ranked
  WHERE course_rank = 1
),
cohort AS (
  SELECT c.patient_id, c.course_id, c.first_treatment_min AS t0, {cohort.columns()}
  FROM index_courses c
  JOIN patients p ON p.patient_id = c.patient_id
  WHERE {cohort.where()}
)"""


def _rules_cte(definitions: Sequence[OutcomeDefinition]) -> str:
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
            _whole(int(d.baseline_max_age.total_seconds() // 60), "baseline age")
            if d.baseline_max_age is not None
            else -1
        )
        rows.append(
            f"SELECT {_literal('instrument', d.code)} AS instrument, {number} AS instrument_no, "
            f"{_whole(d.response_min_fall_percent, 'response percent')} AS fall_pct, "
            f"{_whole(remission_max, 'remission threshold')} AS remission_max, "
            f"{max_age} AS baseline_max_age_min"
        )
    return "rules AS (\n  " + "\n  UNION ALL ".join(rows) + "\n)"


def _relapse_rule(definitions: Sequence[OutcomeDefinition]) -> str:
    rules = {d.relapse_rule for d in definitions}
    if len(rules) != 1:
        raise ClinicalRuleError("one relapse rule per query")
    return rules.pop()


def _window_filter(definitions: Sequence[OutcomeDefinition], alias: str = "o") -> str:
    days = {d.follow_up_days for d in definitions}
    if len(days) != 1:
        raise ClinicalRuleError("one follow-up window per query")
    window = days.pop()
    if window is None:
        return ""
    return f"AND {alias}.at_min <= c.t0 + {_whole(window, 'window') * MINUTES_PER_DAY}"


def outcome_ctes(
    definitions: Sequence[OutcomeDefinition], cohort: Cohort, *, relapse_times: bool = False
) -> str:
    """CTEs ending in ``patient_outcomes``: one row per patient and instrument, with its state.

    Aggregations only, no window functions (several times faster on every engine): the
    observation ids of one patient and instrument are consecutive and in time order (the
    layout's rule), so "the next score" is id + 1 and "two more scores after it" is an id
    difference. ``misordered`` counts blocks that break the rule; the engine refuses those.
    ``relapse_times`` adds ``first_relapse_after_min`` (the first time the course status would
    have read "relapse"), which needs a self-join of the unkept scores.
    """
    codes = ", ".join(_literal("instrument", d.code) for d in definitions)
    sustain = _relapse_rule(definitions) == SUSTAIN1_MADRS
    if sustain:
        # SUSTAIN-1 values (MADRS >= 22) never keep the benefit; pairs must be 5–15 days apart
        kept = f"benefit = 1 AND score < {SUSTAIN1_MADRS_MIN}"  # source: S86, S87 [memory, verify]
        unkept = f"f.score >= {SUSTAIN1_MADRS_MIN}"
        low, high = (int(g.total_seconds() // 60) for g in (SUSTAIN1_MIN_GAP, SUSTAIN1_MAX_GAP))
        gap = f"AND r.at_min - p.at_min BETWEEN {low} AND {high}"
    else:
        # loss of response on two consecutive assessments (outcomes issue, project rule)
        kept, unkept, gap = "benefit = 1", "f.benefit = 0", ""
    pairs = relapse_times or sustain
    # where response was reached, by id: only the relapse pairs need it
    reached_id = (
        "\n         MIN(observation_id) FILTER (WHERE benefit = 1) AS reached_id," if pairs else ""
    )
    s = {state.name: f"'{state.value}'" for state in CourseState}
    relapse_state = "g.relapse_min IS NOT NULL" if sustain else "k.latest_id - k.last_kept_id >= 2"
    pair_ctes = (
        f""",
unkept AS (
  SELECT f.patient_id, f.instrument_no, f.observation_id, f.at_min, k.last_kept_id
  FROM follow f
  JOIN progress k ON k.patient_id = f.patient_id AND k.instrument_no = f.instrument_no
  WHERE f.observation_id >= k.reached_id AND {unkept}
),
relapses AS (
  SELECT r.patient_id, r.instrument_no, MIN(r.at_min) AS first_relapse_min,
         MIN(r.at_min) FILTER (
           WHERE p.last_kept_id IS NULL OR p.observation_id > p.last_kept_id
         ) AS relapse_min
  FROM unkept p
  JOIN unkept r ON r.patient_id = p.patient_id AND r.instrument_no = p.instrument_no
                AND r.observation_id = p.observation_id + 1 {gap}
  GROUP BY r.patient_id, r.instrument_no
)"""
        if pairs
        else ""
    )
    relapse_join = (
        "LEFT JOIN relapses g ON g.patient_id = c.patient_id AND g.instrument_no = r.instrument_no"
        if pairs
        else ""
    )
    first_relapse = "g.first_relapse_min - c.t0" if pairs else "CAST(NULL AS BIGINT)"
    return f"""{_cohort_ctes(cohort)},
{_rules_cte(definitions)},
scored AS (
  SELECT o.patient_id, r.instrument_no, o.observation_id, o.at_min, o.score, c.t0
  FROM observations o
  JOIN cohort c ON o.patient_id = c.patient_id
  JOIN rules r ON r.instrument = o.instrument
  WHERE o.instrument IN ({codes}) {_window_filter(definitions)}
),
baselines AS (
  SELECT s.patient_id, s.instrument_no, MAX_BY(s.score, s.observation_id) AS baseline_score,
         MAX(s.observation_id) AS baseline_id,
         CASE WHEN MAX_BY(s.at_min, s.observation_id) <> MAX(s.at_min) THEN 1 ELSE 0 END
           AS misordered
  FROM scored s
  JOIN rules r ON r.instrument_no = s.instrument_no
  WHERE s.at_min <= s.t0
    AND (r.baseline_max_age_min < 0 OR s.at_min >= s.t0 - r.baseline_max_age_min)
  GROUP BY s.patient_id, s.instrument_no
),
follow AS (
  SELECT s.patient_id, s.instrument_no, s.observation_id, s.at_min, s.score,
         CASE WHEN b.baseline_score > 0 AND (
                (b.baseline_score - s.score) * 100 >= r.fall_pct * b.baseline_score
                OR s.score <= r.remission_max)
              THEN 1 ELSE 0 END AS benefit
  FROM scored s
  JOIN rules r ON r.instrument_no = s.instrument_no
  LEFT JOIN baselines b ON b.patient_id = s.patient_id AND b.instrument_no = s.instrument_no
  WHERE s.at_min > s.t0
),
progress AS (
  SELECT patient_id, instrument_no, COUNT(*) AS follow_ups,
         MAX_BY(score, observation_id) AS latest_score,
         MAX(observation_id) AS latest_id,
         MIN(observation_id) AS first_id,
         MAX(at_min) AS latest_min,
         MIN(at_min) FILTER (WHERE benefit = 1) AS reached_min,{reached_id}
         MAX(observation_id) FILTER (WHERE {kept}) AS last_kept_id,
         CASE WHEN MAX(observation_id) - MIN(observation_id) + 1 <> COUNT(*)
                OR MAX_BY(at_min, observation_id) <> MAX(at_min)
              THEN 1 ELSE 0 END AS misordered
  FROM follow
  GROUP BY patient_id, instrument_no
){pair_ctes},
judged AS (
  SELECT c.patient_id, c.course_id, c.t0, {", ".join(f"c.{name}" for name in DIMENSIONS)},
         r.instrument, r.fall_pct, r.remission_max,
         b.baseline_score, COALESCE(k.follow_ups, 0) AS follow_ups, k.latest_score,
         k.latest_min - c.t0 AS latest_after_min,
         CASE WHEN b.baseline_score > 0 THEN k.reached_min - c.t0 END AS reached_after_min,
         {first_relapse} AS first_relapse_after_min,
         CASE WHEN k.reached_min IS NOT NULL AND {relapse_state} THEN 1 ELSE 0 END AS relapse,
         COALESCE(b.misordered, 0) + COALESCE(k.misordered, 0)
           + CASE WHEN k.first_id <= b.baseline_id THEN 1 ELSE 0 END AS misordered
  FROM cohort c
  CROSS JOIN rules r
  LEFT JOIN baselines b ON b.patient_id = c.patient_id AND b.instrument_no = r.instrument_no
  LEFT JOIN progress k ON k.patient_id = c.patient_id AND k.instrument_no = r.instrument_no
  {relapse_join}
),
patient_outcomes AS (
  SELECT patient_id, course_id, t0, {", ".join(DIMENSIONS)}, instrument, baseline_score,
         follow_ups, latest_score, latest_after_min, reached_after_min, first_relapse_after_min,
         misordered,
         CASE
           WHEN baseline_score IS NULL THEN {s["NO_BASELINE"]}
           WHEN follow_ups = 0 THEN {s["NO_FOLLOW_UP"]}
           WHEN baseline_score = 0 THEN {s["NOT_EVALUATED"]}
           WHEN latest_score <= remission_max THEN {s["REMITTER"]}
           WHEN reached_after_min IS NULL THEN {s["NOT_YET_RESPONDING"]}
           WHEN relapse = 1 THEN {s["RELAPSE"]}
           WHEN (baseline_score - latest_score) * 100 >= fall_pct * baseline_score
             THEN {s["RESPONDER"]}
           ELSE {s["RESPONSE_LOST"]}
         END AS state,
         CASE WHEN baseline_score > 0 AND follow_ups > 0 THEN 1 ELSE 0 END AS evaluated,
         CASE WHEN baseline_score > 0 AND follow_ups > 0
                   AND (baseline_score - latest_score) * 100 >= fall_pct * baseline_score
              THEN 1 ELSE 0 END AS responder,
         CASE WHEN baseline_score > 0 AND follow_ups > 0 AND latest_score <= remission_max
              THEN 1 ELSE 0 END AS remitter
  FROM judged
)"""


# --- the queries ------------------------------------------------------------------------------


def patient_outcomes_sql(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """One row per patient and instrument: baseline, latest, state, responder, remitter, times."""
    return f"""WITH {outcome_ctes(definitions, cohort, relapse_times=True)}
SELECT * FROM patient_outcomes"""


def outcome_counts_sql(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """Counts per group and instrument (the fields of ``cohorts.OutcomeCounts``)."""
    s = {state.name: f"'{state.value}'" for state in CourseState}
    return f"""WITH {outcome_ctes(definitions, cohort)}
SELECT {cohort.group_columns()}instrument,
       COUNT(*) AS patients,
       SUM(CASE WHEN state = {s["NO_BASELINE"]} THEN 1 ELSE 0 END) AS no_baseline,
       SUM(CASE WHEN state = {s["NO_FOLLOW_UP"]} THEN 1 ELSE 0 END) AS no_follow_up,
       SUM(CASE WHEN state = {s["NOT_EVALUATED"]} THEN 1 ELSE 0 END) AS baseline_zero,
       SUM(responder) AS responders,
       SUM(remitter) AS remitters,
       SUM(CASE WHEN evaluated = 1 AND reached_after_min IS NOT NULL THEN 1 ELSE 0 END)
         AS reached_response,
       SUM(CASE WHEN state = {s["RELAPSE"]} THEN 1 ELSE 0 END) AS relapsed,
       SUM(misordered) AS misordered
FROM patient_outcomes
GROUP BY {cohort.group_columns()}instrument"""


def time_to_response_sql(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """Kaplan–Meier inputs: minutes from the first treatment to the first response or remission
    (event), else to the latest follow-up (censored); evaluated patients only."""
    return f"""WITH {outcome_ctes(definitions, cohort)},
durations AS (
  SELECT {cohort.group_columns()}instrument,
         COALESCE(reached_after_min, latest_after_min) AS duration_min,
         CASE WHEN reached_after_min IS NULL THEN 0 ELSE 1 END AS event, misordered
  FROM patient_outcomes
  WHERE evaluated = 1
)
SELECT {cohort.group_columns()}instrument, duration_min,
       SUM(event) AS events, SUM(1 - event) AS censored, SUM(misordered) AS misordered
FROM durations
GROUP BY {cohort.group_columns()}instrument, duration_min"""


def durability_sql(
    definitions: Sequence[OutcomeDefinition], cohort: Cohort, *, boosters: bool = False
) -> str:
    """Kaplan–Meier inputs from response to the first relapse (or booster session, if asked),
    censored at the latest follow-up; patients who reached response only."""
    booster = (
        """LEFT JOIN (
    SELECT course_id, at_min FROM sessions WHERE phase = 'booster' AND administered
  ) s ON s.course_id = o.course_id AND s.at_min - o.t0 > o.reached_after_min
       AND s.at_min - o.t0 <= o.latest_after_min"""
        if boosters
        else ""
    )
    first_booster = "MIN(s.at_min - o.t0)" if boosters else "CAST(NULL AS BIGINT)"
    return f"""WITH {outcome_ctes(definitions, cohort, relapse_times=True)},
responders AS (
  SELECT {cohort.group_columns("o.")}o.instrument, o.patient_id, o.reached_after_min,
         o.latest_after_min, o.first_relapse_after_min, o.misordered,
         {first_booster} AS booster_after_min
  FROM patient_outcomes o
  {booster}
  WHERE o.evaluated = 1 AND o.reached_after_min IS NOT NULL
  GROUP BY {cohort.group_columns("o.")}o.instrument, o.patient_id, o.reached_after_min,
           o.latest_after_min, o.first_relapse_after_min, o.misordered
),
durations AS (
  SELECT {cohort.group_columns()}instrument,
         CASE WHEN first_relapse_after_min IS NULL AND booster_after_min IS NULL
                THEN latest_after_min
              WHEN booster_after_min IS NULL THEN first_relapse_after_min
              WHEN first_relapse_after_min IS NULL THEN booster_after_min
              WHEN booster_after_min < first_relapse_after_min THEN booster_after_min
              ELSE first_relapse_after_min END - reached_after_min AS duration_min,
         CASE WHEN first_relapse_after_min IS NULL AND booster_after_min IS NULL
              THEN 0 ELSE 1 END AS event, misordered
  FROM responders
)
SELECT {cohort.group_columns()}instrument, duration_min,
       SUM(event) AS events, SUM(1 - event) AS censored, SUM(misordered) AS misordered
FROM durations
GROUP BY {cohort.group_columns()}instrument, duration_min"""


def si_trajectory_sql(
    instrument: str, cohort: Cohort, *, bin_days: int = 7, follow_up_days: int | None = None
) -> str:
    """The suicidal-ideation item by period since the first treatment (period -1 = the days
    before it): observations, patients, sum of the item and how many met the positive screen."""
    size = _whole(bin_days, "period length") * MINUTES_PER_DAY
    if bin_days < 1:
        raise ClinicalRuleError("the period must be at least one day")
    window = (
        f"AND o.at_min <= c.t0 + {_whole(follow_up_days, 'window') * MINUTES_PER_DAY}"
        if follow_up_days is not None
        else ""
    )
    positive = SI_POSITIVE_MIN.get(instrument)
    positive_sql = f"o.si_item >= {positive}" if positive is not None else "1 = 0"
    return f"""WITH {_cohort_ctes(cohort)},
items AS (
  SELECT {cohort.group_columns("c.")}o.patient_id, o.si_item,
         CAST(FLOOR(CAST(o.at_min - c.t0 AS DOUBLE) / {size}) AS BIGINT) AS period,
         CASE WHEN {positive_sql} THEN 1 ELSE 0 END AS positive
  FROM observations o
  JOIN cohort c ON o.patient_id = c.patient_id
  WHERE o.instrument = {_literal("instrument", instrument)} AND o.si_item IS NOT NULL
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
    return f"""WITH {_cohort_ctes(Cohort())},
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


# The columns the benchmark's outcome computation (``outcome_counts_sql`` for PHQ-9, MADRS and
# QIDS-SR16 by route) reads from each table, as DuckDB's plan shows them after it drops the
# columns nothing uses. ``tests/analytics/test_engine.py`` checks the plan against this list, so
# the raw scan below stays the cost of reading exactly the engine's inputs.
OUTCOME_INPUTS: Mapping[str, tuple[str, ...]] = {
    "observations": ("observation_id", "patient_id", "instrument", "at_min", "score"),
    "courses": ("course_id", "patient_id", "route", "first_treatment_min"),
    "patients": ("patient_id",),
}
_STRING_INPUTS = {"instrument", "route"}


def scan_sql(instruments: Sequence[str]) -> str:
    """The floor the benchmark compares with: a plain scan of every column the outcome
    computation reads (``OUTCOME_INPUTS``), the scores of ``instruments`` only (the same row
    selection as the engine's), with one trivial aggregate per column so that each is decoded;
    no join, no grouping."""
    codes = ", ".join(_literal("instrument", code) for code in instruments)
    parts = []
    for table, columns in OUTCOME_INPUTS.items():
        aggregates = ", ".join(
            f"MAX({name}) AS {table}_{name}_max"
            if name in _STRING_INPUTS
            else f"SUM({name}) AS {table}_{name}_sum"
            for name in columns
            if name != "instrument"
        )
        where = f" WHERE instrument IN ({codes})" if "instrument" in columns else ""
        parts.append(f"(SELECT COUNT(*) AS {table}, {aggregates} FROM {table}{where}) {table}")
    return "SELECT * FROM " + "\nCROSS JOIN ".join(parts)


def score_scan_sql() -> str:
    """The narrower scan the benchmark printed first: one 16-bit column of every score."""
    return "SELECT COUNT(*) AS observations, SUM(score) AS score_sum FROM observations"
