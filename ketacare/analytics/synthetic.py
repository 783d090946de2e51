"""A synthetic export in the analytics layout, generated fast with numpy (deterministic seed).

For the benchmark (a million patients, thirty million scores) and for tests of the engine on
something larger than a hand-made cohort. The figures it makes are plausible shapes, not
clinical evidence: improvement, relapse and adverse-event frequencies here are invented test
data, never shown as results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ketacare.analytics.derived import derive
from ketacare.analytics.layout import AGE_BANDS, write_table

DAY = 1440
SEXES = ("female", "male", "intersex", "unknown")
ROUTES = ("racemic_iv", "esketamine_nasal", "racemic_im", "racemic_oral", "racemic_sublingual")
INDICATIONS = (
    "depression",
    "ptsd",
    "anxiety",
    "bipolar_depression",
    "ocd",
    "chronic_pain_crps",
    "suicidal_ideation",
)
STATES = ("CA", "TX", "NY", "FL", "WA", "CO", "IL", "MA", "AZ", "OR")
AE_CATEGORIES = ("nausea", "dissociation", "headache", "dizziness", "anxiety", "hypertension")
# instrument, share of a patient's scores, baseline range, score range, SI item maximum
INSTRUMENTS = (
    ("phq9", 0.50, (10, 27), (0, 27), 3),
    ("gad7", 0.25, (8, 21), (0, 21), None),
    ("madrs", 0.15, (20, 50), (0, 60), 6),
    ("qids_sr16", 0.10, (11, 27), (0, 27), 3),
)


@dataclass(frozen=True)
class SyntheticSize:
    patients: int
    observations: int
    courses: int
    sessions: int
    adverse_events: int


def _strings(rng: np.random.Generator, values: tuple[str, ...], p: list[float], n: int) -> pa.Array:
    codes = rng.choice(len(values), size=n, p=p).astype(np.int32)
    return pa.DictionaryArray.from_arrays(codes, pa.array(values)).cast(pa.string())


def _maybe(values: np.ndarray, present: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, type=kind, mask=~present)


def generate(
    directory: Path | str,
    *,
    patients: int = 1_000_000,
    observations: int = 30_000_000,
    seed: int = 13,
) -> SyntheticSize:
    """Write a synthetic export of ``patients`` patients and about ``observations`` scores."""
    if patients < 1 or observations < patients:
        raise ValueError("need at least one patient and at least one score per patient")
    rng = np.random.default_rng(seed)
    n = patients
    patient_id = rng.permutation(4 * n)[:n].astype(np.int64) + 1
    referred = rng.integers(0, 5 * 365 * DAY, n).astype(np.int32)
    screened_ok = rng.random(n) < 0.95
    eligible_ok = screened_ok & (rng.random(n) < 0.9)
    consented_ok = eligible_ok & (rng.random(n) < 0.95)
    treated = consented_ok & (rng.random(n) < 0.95)
    screened = referred + rng.integers(1, 14, n).astype(np.int32) * DAY
    consented = screened + rng.integers(1, 10, n).astype(np.int32) * DAY
    t0 = consented + rng.integers(1, 14, n).astype(np.int32) * DAY + 9 * 60
    band_labels = tuple(label for label, _, _ in AGE_BANDS)
    band_p = [0.0, 0.08, 0.22, 0.23, 0.2, 0.15, 0.08, 0.035, 0.005]
    prior = rng.integers(0, 9, n).astype(np.int16)
    write_table(
        directory,
        "patients",
        {
            "patient_id": patient_id,
            "clinic_id": rng.integers(1, 21, n).astype(np.int64),
            "sex": _strings(rng, SEXES, [0.62, 0.36, 0.005, 0.015], n),
            "age_band": _strings(rng, band_labels, band_p, n),
            "state": _strings(rng, STATES, [0.1] * 10, n),
            "prior_trials": _maybe(prior, rng.random(n) < 0.9, pa.int16()),
            "referred_min": referred,
            "screened_min": _maybe(screened, screened_ok, pa.int32()),
            "eligible_min": _maybe(screened, eligible_ok, pa.int32()),
            "consented_min": _maybe(consented, consented_ok, pa.int32()),
        },
    )

    # one course per treated patient (and a later second one for 5 %), one per 10 untreated
    course_patient = np.flatnonzero(treated | (~treated & (rng.random(n) < 0.1)))
    second = course_patient[treated[course_patient] & (rng.random(len(course_patient)) < 0.05)]
    owners = np.concatenate([course_patient, second])
    c = len(owners)
    started = np.concatenate([treated[course_patient], np.ones(len(second), bool)])
    first = np.concatenate([t0[course_patient], t0[second] + 200 * DAY])
    inducted = started & (rng.random(c) < 0.8)
    maintained = inducted & (rng.random(c) < 0.6)
    course_id = rng.permutation(4 * c)[:c].astype(np.int64) + 1
    route_codes = rng.choice(len(ROUTES), size=c, p=[0.55, 0.3, 0.08, 0.04, 0.03])
    courses = {
        "course_id": course_id,
        "patient_id": patient_id[owners],
        "clinic_id": rng.integers(1, 21, c).astype(np.int64),
        "route": pa.DictionaryArray.from_arrays(
            route_codes.astype(np.int32), pa.array(ROUTES)
        ).cast(pa.string()),
        "indication": _strings(rng, INDICATIONS, [0.75, 0.08, 0.05, 0.04, 0.03, 0.03, 0.02], c),
        "first_treatment_min": _maybe(first, started, pa.int32()),
        "induction_completed_min": _maybe(first + 21 * DAY, inducted, pa.int32()),
        "maintenance_started_min": _maybe(first + 35 * DAY, maintained, pa.int32()),
        "ended_min": _maybe(first + 180 * DAY, maintained & (rng.random(c) < 0.5), pa.int32()),
    }

    # sessions: induction (6 if completed, else 1–5), maintenance 0–6, boosters for some
    induction = np.where(inducted, 6, rng.integers(1, 6, c)) * started
    maintenance = np.where(maintained, rng.integers(1, 7, c), 0)
    booster = np.where(maintained & (rng.random(c) < 0.15), rng.integers(1, 3, c), 0)
    per_course = induction + maintenance + booster
    s = int(per_course.sum())
    course_of = np.repeat(np.arange(c), per_course)
    slot = np.arange(s) - np.repeat(np.cumsum(per_course) - per_course, per_course)
    ind_n = induction[course_of]
    main_n = maintenance[course_of]
    phase_code = np.where(slot < ind_n, 0, np.where(slot < ind_n + main_n, 1, 2)).astype(np.int32)
    offset_days = np.where(
        phase_code == 0,
        slot * 3.5,
        np.where(phase_code == 1, 35 + (slot - ind_n) * 21, 60 + slot * 9),
    )
    session_at = first[course_of] + (offset_days * DAY).astype(np.int32)
    administered = rng.random(s) < 0.98
    session_id = rng.permutation(4 * s)[:s].astype(np.int64) + 1
    write_table(
        directory,
        "sessions",
        {
            "session_id": session_id,
            "course_id": course_id[course_of],
            "patient_id": patient_id[owners[course_of]],
            "at_min": session_at,
            "phase": pa.DictionaryArray.from_arrays(
                phase_code, pa.array(("induction", "maintenance", "booster"))
            ).cast(pa.string()),
            "administered": administered,
            "dose_mg": np.round(rng.uniform(20, 120, s), 1),
            "vital_alerts": rng.poisson(0.06, s).astype(np.int16),
        },
    )
    with_ae = np.flatnonzero(administered & (rng.random(s) < 0.08))
    a = len(with_ae)
    write_table(
        directory,
        "adverse_events",
        {
            "event_id": np.arange(1, a + 1, dtype=np.int64),
            "patient_id": patient_id[owners[course_of[with_ae]]],
            "course_id": course_id[course_of[with_ae]],
            "session_id": session_id[with_ae],
            "at_min": session_at[with_ae] + 30,
            "category": _strings(rng, AE_CATEGORIES, [0.3, 0.3, 0.15, 0.15, 0.05, 0.05], a),
            "severity": _strings(rng, ("mild", "moderate", "severe"), [0.7, 0.25, 0.05], a),
            "serious": rng.random(a) < 0.01,
        },
    )
    scores = _observations(rng, patient_id, treated, screened, t0, observations)
    courses, scores = derive(courses, scores)
    write_table(directory, "courses", courses)
    write_table(directory, "observations", scores)
    return SyntheticSize(n, len(scores["observation_id"]), c, s, a)


def _observations(
    rng: np.random.Generator,
    patient_id: np.ndarray,
    treated: np.ndarray,
    screened: np.ndarray,
    t0: np.ndarray,
    total: int,
) -> dict[str, np.ndarray | pa.Array]:
    """Scores in (patient, instrument, time) order, so ids follow the layout's ordering rule."""
    n = len(patient_id)
    # untreated: one screening PHQ-9; treated: the rest, spread unevenly
    weight = np.where(treated, rng.uniform(0.5, 1.5, n), 0.0)
    remaining = total - int((~treated).sum())
    per_patient = np.where(treated, np.floor(weight / weight.sum() * remaining), 1).astype(np.int64)
    short = total - int(per_patient.sum())
    per_patient[np.flatnonzero(treated)[: max(short, 0)]] += 1
    shares = np.array([share for _, share, _, _, _ in INSTRUMENTS])
    counts = np.floor(per_patient[:, None] * shares[None, :]).astype(np.int64)
    counts[:, 0] += per_patient - counts.sum(axis=1)  # the remainder goes to PHQ-9
    blocks = counts.reshape(-1)  # patient-major, instrument-minor
    block_patient = np.repeat(np.arange(n), len(INSTRUMENTS))
    block_instrument = np.tile(np.arange(len(INSTRUMENTS)), n)
    rows = int(blocks.sum())
    row_block = np.repeat(np.arange(len(blocks)), blocks)
    position = np.arange(rows) - np.repeat(np.cumsum(blocks) - blocks, blocks)
    patient = block_patient[row_block]
    instrument = block_instrument[row_block].astype(np.int32)
    is_treated = treated[patient]

    # per block: baselines before the first treatment (0, 1 or 2) and the course of the scores
    pre = rng.choice(3, size=len(blocks), p=[0.04, 0.7, 0.26])
    pre = np.minimum(pre, blocks)
    lows = np.array([low for _, _, (low, _), _, _ in INSTRUMENTS])
    highs = np.array([high for _, _, (_, high), _, _ in INSTRUMENTS])
    baseline = rng.integers(lows[block_instrument], highs[block_instrument] + 1)
    improvement = rng.beta(2.0, 1.6, len(blocks))  # share of the baseline lost at best
    erodes = rng.random(len(blocks)) < 0.25  # improvement fades after a few months

    m = position - pre[row_block]  # < 0: before the first treatment
    # before: every 3 days; then every 4 days for six scores, then every 14 days
    days = np.where(m < 0, m * 3.0, np.where(m < 6, (m + 1) * 4.0, 24.0 + (m - 5) * 14.0))
    jitter = rng.integers(-120, 120, rows)
    at = np.where(
        is_treated,
        t0[patient] + (days * DAY).astype(np.int64) + jitter,
        screened[patient] + 60,
    ).astype(np.int32)

    progress = np.clip((m + 1) / 4.0, 0.0, 1.0)
    fade = np.where(erodes[row_block] & (m > 8), np.clip(1.0 - (m - 8) / 6.0, 0.0, 1.0), 1.0)
    level = baseline[row_block] * (1.0 - improvement[row_block] * progress * fade)
    level = np.where(m < 0, baseline[row_block] + rng.normal(0, 1.0, rows), level)
    ranges = np.array([high for _, _, _, (_, high), _ in INSTRUMENTS])
    score = np.clip(np.rint(level + rng.normal(0, 2.0, rows)), 0, ranges[instrument])
    si_max = np.array([-1 if mx is None else mx for _, _, _, _, mx in INSTRUMENTS])
    si = np.clip(
        np.floor(score / ranges[instrument] * (si_max[instrument] + 1) * rng.uniform(0, 1.3, rows)),
        0,
        np.maximum(si_max[instrument], 0),
    ).astype(np.int8)
    return {
        "observation_id": np.arange(1, rows + 1, dtype=np.int64),
        "patient_id": patient_id[patient],
        "instrument": pa.DictionaryArray.from_arrays(
            instrument, pa.array([code for code, *_ in INSTRUMENTS])
        ).cast(pa.string()),
        "at_min": at,
        "score": score.astype(np.int16),
        "si_item": _maybe(si, si_max[instrument] >= 0, pa.int8()),
    }
