"""The cohort queries, written once as plain SQL that DuckDB, Spark SQL and Trino all accept.

Every function returns SQL text over the five export tables (``ketacare.analytics.layout``);
the runners in ``engine`` (DuckDB) and ``spark`` (PySpark) execute the same text. Kept to the
common subset: CTEs, CASE, COUNT/SUM/MIN/MAX/MAX_BY with FILTER, UNION ALL; no window
functions, no integer division (its meaning differs between engines), no engine-specific
functions. ``tests/analytics/test_queries.py`` parses every query with sqlglot in each dialect.
The building blocks and the figures without outcome rules are in ``cohort_sql``.

The per-patient rules are those of ``ketacare.clinical.outcomes.course_status`` (see
``ketacare.clinical.cohorts``): baseline = the last score at or before the first treatment;
follow-ups = scores after it (within the window); the latest follow-up is judged for response
(fall ≥ N % from baseline, exact integer test) and remission; response is "reached" at the first
follow-up meeting response or remission; relapse as ``outcomes._find_relapse`` finds it. The
counts read one row per patient and instrument (``latest_ctes``), the figures that need times
read every score (``outcome_ctes``); both lean on facts the export derives once
(``ketacare.analytics.derived``). Values are rendered as literals only after validation (known
dimensions, whole numbers, a short safe alphabet for strings), so no text from a request reaches
the SQL unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ketacare.analytics.cohort_sql import (
    DIMENSIONS,
    FUNNEL_STAGES,
    MINUTES_PER_DAY,
    PATIENT_DIMENSIONS,
    SI_POSITIVE_MIN,
    Cohort,
    cohort_ctes,
    follow_up_window,
    funnel_sql,
    literal,
    per_instrument,
    relapse_rule,
    rules_cte,
    safety_sql,
    si_trajectory_sql,
    whole,
    window_minutes,
)
from ketacare.analytics.derived import DERIVED
from ketacare.clinical.cohorts import OutcomeDefinition
from ketacare.clinical.outcomes import (
    SUSTAIN1_MADRS,
    SUSTAIN1_MADRS_MIN,
    SUSTAIN1_MAX_GAP,
    SUSTAIN1_MIN_GAP,
    CourseState,
)

__all__ = [  # the figures' SQL, whichever module builds it
    "DIMENSIONS",
    "FUNNEL_STAGES",
    "MINUTES_PER_DAY",
    "OUTCOME_INPUTS",
    "PATIENT_DIMENSIONS",
    "SI_POSITIVE_MIN",
    "Cohort",
    "durability_sql",
    "funnel_sql",
    "outcome_counts_sql",
    "patient_outcomes_sql",
    "safety_sql",
    "scan_sql",
    "score_scan_sql",
    "si_trajectory_sql",
    "time_to_response_sql",
]


def outcome_ctes(
    definitions: Sequence[OutcomeDefinition], cohort: Cohort, *, relapse_times: bool = False
) -> str:
    """CTEs ending in ``patient_outcomes``: one row per patient and instrument, with its state.

    One pass over the scores, grouped by patient and instrument, no join on the way: each score
    carries its minutes after the first treatment and, after it, the score of the baseline it is
    judged against (``ketacare.analytics.derived``, written with the export), so whether a
    follow-up met response or remission is known row by row. The observation ids of one patient
    and instrument are consecutive and in time order (the layout's rule), so "the next score" is
    id + 1 and "two more scores after it" is an id difference. ``misordered`` counts blocks that
    break the rule or whose ``baseline_score`` is not their last score before the first
    treatment; the engine refuses those. ``relapse_times`` adds ``first_relapse_after_min`` (the
    first time the course status would have read "relapse"), which needs a self-join of the
    unkept scores.
    """
    codes = ", ".join(literal("instrument", d.code) for d in definitions)
    rules = {d.code: d for d in definitions}
    rules_cte(definitions)  # validates the rules
    sustain = relapse_rule(definitions) == SUSTAIN1_MADRS

    def remission_max(d: OutcomeDefinition) -> int:
        # scores are whole numbers, so "< t" is "<= t - 1"
        return whole(
            d.remission_threshold - (1 if d.remission_comparator == "<" else 0),
            "remission threshold",
        )

    def benefit(_: int, code: str) -> str:  # response or remission, against the row's baseline
        d = rules[code]
        fall = whole(d.response_min_fall_percent, "response percent")
        return (
            f"(o.baseline_score - o.score) * 100 >= {fall} * o.baseline_score "
            f"OR o.score <= {remission_max(d)}"
        )

    benefit_sql = f"o.baseline_score > 0 AND ({per_instrument(definitions, benefit)})"
    after = "o.after_first_treatment_min"
    if sustain:
        # SUSTAIN-1 values (MADRS >= 22) never keep the benefit; pairs must be 5–15 days apart
        # source: S86, S87 [memory, verify]
        kept = f"{after} > 0 AND {benefit_sql} AND o.score < {SUSTAIN1_MADRS_MIN}"
        unkept = f"o.score >= {SUSTAIN1_MADRS_MIN}"
        low, high = (int(g.total_seconds() // 60) for g in (SUSTAIN1_MIN_GAP, SUSTAIN1_MAX_GAP))
        gap = f"AND r.after_min - p.after_min BETWEEN {low} AND {high}"
    else:
        # loss of response on two consecutive assessments (outcomes issue, project rule)
        kept, gap = f"{after} > 0 AND {benefit_sql}", ""
        unkept = f"CASE WHEN {benefit_sql} THEN 0 ELSE 1 END = 1"
    pairs = relapse_times or sustain
    # where response was reached, by id: only the relapse pairs need it
    reached_id = (
        f"\n         MIN(o.observation_id) FILTER (WHERE {after} > 0 AND {benefit_sql})"
        " AS reached_id,"
        if pairs
        else ""
    )
    reached_id_column = " reached_id," if pairs else ""
    # the baseline counts if it is no older than the clinic's baseline age (when one is set)
    ages = " ".join(
        f"WHEN {number} THEN "
        + (
            "pre_score"
            if d.baseline_max_age is None
            else "CASE WHEN baseline_after_min >= -"
            f"{whole(int(d.baseline_max_age.total_seconds() // 60), 'baseline age')} "
            "THEN pre_score END"
        )
        for number, d in enumerate(definitions, start=1)
    )
    baseline_in_age = f"CASE instrument_no {ages} END"
    relapse_state = "g.relapse_min IS NOT NULL" if sustain else "k.latest_id - k.last_kept_id >= 2"
    instrument_no = per_instrument(definitions, lambda number, _: str(number))
    pair_ctes = (
        f""",
unkept AS (
  SELECT o.patient_id, {instrument_no} AS instrument_no, o.observation_id,
         {after} AS after_min, k.last_kept_id
  FROM observations o
  JOIN series k ON k.patient_id = o.patient_id AND k.instrument_no = {instrument_no}
  WHERE o.instrument IN ({codes}) AND {after} > 0 {follow_up_window(definitions)}
    AND o.observation_id >= k.reached_id AND {unkept}
),
relapses AS (
  SELECT r.patient_id, r.instrument_no, MIN(r.after_min) AS first_relapse_min,
         MIN(r.after_min) FILTER (
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
    first_relapse = (
        "CASE WHEN k.baseline_score > 0 THEN g.first_relapse_min END"
        if pairs
        else "CAST(NULL AS BIGINT)"
    )
    return f"""{cohort_ctes(cohort)},
{rules_cte(definitions)},
series AS (
  SELECT o.patient_id, {instrument_no} AS instrument_no,
         MAX_BY(o.score, o.observation_id) FILTER (WHERE {after} <= 0) AS pre_score,
         MAX(o.observation_id) FILTER (WHERE {after} <= 0) AS baseline_id,
         MAX_BY({after}, o.observation_id) FILTER (WHERE {after} <= 0) AS baseline_after_min,
         MAX({after}) FILTER (WHERE {after} <= 0) AS last_before_min,
         COUNT(*) FILTER (WHERE {after} > 0) AS follow_ups,
         MAX_BY(o.score, o.observation_id) FILTER (WHERE {after} > 0) AS latest_score,
         MAX(o.observation_id) AS latest_id,
         MIN(o.observation_id) FILTER (WHERE {after} > 0) AS first_id,
         MAX({after}) AS latest_min,
         MAX_BY({after}, o.observation_id) AS latest_by_id_min,
         MIN({after}) FILTER (WHERE {after} > 0 AND {benefit_sql}) AS reached_min,{reached_id}
         MAX(o.observation_id) FILTER (WHERE {kept}) AS last_kept_id,
         COUNT(*) AS scores, MIN(o.observation_id) AS lowest_id,
         COUNT(o.baseline_score) AS with_baseline,
         MIN(o.baseline_score) AS baseline_low, MAX(o.baseline_score) AS baseline_high
  FROM observations o
  WHERE {after} IS NOT NULL AND o.instrument IN ({codes}) {follow_up_window(definitions)}
  GROUP BY o.patient_id, {instrument_no}
),
progress AS (
  SELECT patient_id, instrument_no, pre_score, follow_ups, latest_score, latest_id, latest_min,
         reached_min,{reached_id_column} last_kept_id,
         {baseline_in_age} AS baseline_score,
         CASE WHEN latest_id - lowest_id + 1 <> scores
                OR baseline_after_min <> last_before_min
                OR latest_by_id_min <> latest_min
                OR baseline_id >= first_id
                OR with_baseline <> CASE WHEN pre_score IS NULL THEN 0 ELSE follow_ups + 1 END
                OR baseline_low <> pre_score OR baseline_high <> pre_score
              THEN 1 ELSE 0 END AS misordered
  FROM series
){pair_ctes},
judged AS (
  SELECT c.patient_id, c.course_id, c.t0, {", ".join(f"c.{name}" for name in DIMENSIONS)},
         r.instrument, r.fall_pct, r.remission_max,
         k.baseline_score, COALESCE(k.follow_ups, 0) AS follow_ups, k.latest_score,
         CASE WHEN k.follow_ups > 0 THEN k.latest_min END AS latest_after_min,
         CASE WHEN k.baseline_score > 0 THEN k.reached_min END AS reached_after_min,
         {first_relapse} AS first_relapse_after_min,
         CASE WHEN k.reached_min IS NOT NULL AND {relapse_state} THEN 1 ELSE 0 END AS relapse,
         COALESCE(k.misordered, 0) AS misordered
  FROM cohort c
  CROSS JOIN rules r
  LEFT JOIN progress k ON k.patient_id = c.patient_id AND k.instrument_no = r.instrument_no
  {relapse_join}
),
patient_outcomes AS (
  SELECT patient_id, course_id, t0, {", ".join(DIMENSIONS)}, instrument, baseline_score,
         follow_ups, latest_score, latest_after_min, reached_after_min, first_relapse_after_min,
         misordered,
         {_judgement("follow_ups > 0", "reached_after_min IS NOT NULL", "relapse = 1")}
  FROM judged
)"""


def _judgement(followed: str, reached: str, relapse: str) -> str:
    """The state and the counted flags of a patient and instrument, from ``baseline_score``,
    ``latest_score``, ``fall_pct`` and ``remission_max`` and the three conditions given (written
    so that neither is evaluated where ``baseline_score`` is empty)."""
    s = {state.name: f"'{state.value}'" for state in CourseState}
    evaluated = f"baseline_score > 0 AND {followed}"
    responds = "(baseline_score - latest_score) * 100 >= fall_pct * baseline_score"
    return f"""CASE
           WHEN baseline_score IS NULL THEN {s["NO_BASELINE"]}
           WHEN NOT ({followed}) THEN {s["NO_FOLLOW_UP"]}
           WHEN baseline_score = 0 THEN {s["NOT_EVALUATED"]}
           WHEN latest_score <= remission_max THEN {s["REMITTER"]}
           WHEN NOT ({reached}) THEN {s["NOT_YET_RESPONDING"]}
           WHEN {relapse} THEN {s["RELAPSE"]}
           WHEN {responds} THEN {s["RESPONDER"]}
           ELSE {s["RESPONSE_LOST"]}
         END AS state,
         CASE WHEN {evaluated} THEN 1 ELSE 0 END AS evaluated,
         CASE WHEN {evaluated} AND {responds} THEN 1 ELSE 0 END AS responder,
         CASE WHEN {evaluated} AND latest_score <= remission_max THEN 1 ELSE 0 END AS remitter,
         CASE WHEN {evaluated} AND {reached} THEN 1 ELSE 0 END AS reached"""


def latest_ctes(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """CTEs ending in ``patient_states`` (state and counted flags per patient and instrument)
    under the default relapse rule, from one row per patient and instrument: the latest score
    within the window. No grouping of the scores, no join on them.

    Every fact that takes the other scores is on that row (``ketacare.analytics.derived``): its
    baseline and the baseline's age; the lowest follow-up score so far (response and remission
    are "score low enough", so response was reached within the window if the lowest score meets
    it); the follow-up before it (relapse is two consecutive follow-ups without response or
    remission after it was reached, and the last two decide). ``misordered`` counts blocks with
    more than one latest row or a latest row whose derived facts contradict it.
    """
    if relapse_rule(definitions) == SUSTAIN1_MADRS:
        raise ValueError("the latest-row counts hold for the default relapse rule only")
    codes = ", ".join(literal("instrument", d.code) for d in definitions)
    rules_cte(definitions)  # validates the rules
    instrument_no = per_instrument(definitions, lambda number, _: str(number))
    limit = window_minutes(definitions)
    after, following = "o.after_first_treatment_min", "o.next_after_first_treatment_min"
    if limit is None:
        latest = f"{following} IS NULL"
    else:
        latest = f"{after} <= {limit} AND ({following} IS NULL OR {following} > {limit})"

    def meets(score: str) -> str:
        return (
            f"((baseline_score - {score}) * 100 >= fall_pct * baseline_score "
            f"OR {score} <= remission_max)"
        )

    relapse = (
        f"previous_score IS NOT NULL AND NOT {meets('latest_score')} "
        f"AND NOT {meets('previous_score')}"
    )
    return f"""{cohort_ctes(cohort)},
{rules_cte(definitions)},
latest AS (
  SELECT o.patient_id, {instrument_no} AS instrument_no, COUNT(*) AS latest_rows,
         MAX({after}) AS after_min, MAX(o.score) AS latest_score,
         MAX(o.baseline_score) AS baseline_score, MAX(o.baseline_age_min) AS baseline_age_min,
         MAX(o.lowest_follow_up_score) AS lowest_score,
         MAX(o.previous_follow_up_score) AS previous_score
  FROM observations o
  WHERE o.instrument IN ({codes}) AND {after} IS NOT NULL AND {latest}
  GROUP BY o.patient_id, {instrument_no}
),
judged AS (
  SELECT {cohort.group_columns("c.")}r.instrument, r.fall_pct, r.remission_max,
         CASE WHEN r.baseline_max_age_min < 0 OR l.baseline_age_min <= r.baseline_max_age_min
              THEN l.baseline_score END AS baseline_score,
         CASE WHEN l.after_min > 0 THEN 1 ELSE 0 END AS followed,
         l.latest_score, l.lowest_score, l.previous_score,
         CASE WHEN l.latest_rows > 1
                OR (l.after_min <= 0 AND (l.baseline_score IS NULL
                                          OR l.baseline_score <> l.latest_score))
                OR (l.after_min > 0 AND (l.lowest_score IS NULL
                                         OR l.lowest_score > l.latest_score))
              THEN 1 ELSE 0 END AS misordered
  FROM cohort c
  CROSS JOIN rules r
  LEFT JOIN latest l ON l.patient_id = c.patient_id AND l.instrument_no = r.instrument_no
),
patient_states AS (
  SELECT {cohort.group_columns()}instrument, misordered,
         {_judgement("followed = 1", meets("lowest_score"), relapse)}
  FROM judged
)"""


# --- the queries ------------------------------------------------------------------------------


def patient_outcomes_sql(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """One row per patient and instrument: baseline, latest, state, responder, remitter, times."""
    return f"""WITH {outcome_ctes(definitions, cohort, relapse_times=True)}
SELECT * FROM patient_outcomes"""


def outcome_counts_sql(definitions: Sequence[OutcomeDefinition], cohort: Cohort) -> str:
    """Counts per group and instrument (the fields of ``cohorts.OutcomeCounts``): from the latest
    row of each patient and instrument (``latest_ctes``) under the default relapse rule, from
    every score (``outcome_ctes``) under the SUSTAIN-1 rule (its pairs need the gaps)."""
    s = {state.name: f"'{state.value}'" for state in CourseState}
    if relapse_rule(definitions) == SUSTAIN1_MADRS:
        ctes = f"""{outcome_ctes(definitions, cohort)},
patient_states AS (
  SELECT {cohort.group_columns()}instrument, misordered, state, evaluated, responder, remitter,
         reached
  FROM patient_outcomes
)"""
    else:
        ctes = latest_ctes(definitions, cohort)
    return f"""WITH {ctes}
SELECT {cohort.group_columns()}instrument,
       COUNT(*) AS patients,
       SUM(CASE WHEN state = {s["NO_BASELINE"]} THEN 1 ELSE 0 END) AS no_baseline,
       SUM(CASE WHEN state = {s["NO_FOLLOW_UP"]} THEN 1 ELSE 0 END) AS no_follow_up,
       SUM(CASE WHEN state = {s["NOT_EVALUATED"]} THEN 1 ELSE 0 END) AS baseline_zero,
       SUM(responder) AS responders,
       SUM(remitter) AS remitters,
       SUM(reached) AS reached_response,
       SUM(CASE WHEN state = {s["RELAPSE"]} THEN 1 ELSE 0 END) AS relapsed,
       SUM(misordered) AS misordered
FROM patient_states
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


# The columns the benchmark's outcome computation (``outcome_counts_sql`` for PHQ-9, MADRS and
# QIDS-SR16 by route) reads from each table, as DuckDB's plan shows them after it drops the
# columns nothing uses (those it projects and those its filters read).
# ``tests/analytics/test_scan.py`` checks the plan against this list, so the raw scan below stays
# the cost of reading exactly the engine's inputs.
OUTCOME_INPUTS: Mapping[str, tuple[str, ...]] = {
    "observations": ("patient_id", "instrument", "score", *DERIVED["observations"]),
    "courses": ("patient_id", "route", *DERIVED["courses"]),
    "patients": ("patient_id",),
}
_STRING_INPUTS = {"instrument", "route"}
_BOOLEAN_INPUTS = {"index_course"}


def scan_sql(instruments: Sequence[str]) -> str:
    """The floor the benchmark compares with: a plain scan of every column the outcome
    computation reads (``OUTCOME_INPUTS``), the scores of ``instruments`` only (the same row
    selection as the engine's), with one trivial aggregate per column so that each is decoded;
    no join, no grouping."""
    codes = ", ".join(literal("instrument", code) for code in instruments)
    parts = []
    for table, columns in OUTCOME_INPUTS.items():
        aggregates = ", ".join(
            f"MAX({name}) AS {table}_{name}_max"
            if name in _STRING_INPUTS
            else f"COUNT(CASE WHEN {name} THEN 1 END) AS {table}_{name}_count"
            if name in _BOOLEAN_INPUTS
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
