"""Properties of the pharmacokinetic simulation that hold for any schedule, and an independent
exact solution (matrix exponential of the compartment ODEs) to compare against."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.pharmacokinetics import (
    PK_MODELS,
    plasma_concentrations,
    plasma_concentrations_batch,
    simulate,
)

# (model, age, weights allowed): a patient inside each model's population.
PATIENTS = {
    "domino": (None, (30.0, 200.0)),
    "clements250": (None, (30.0, 200.0)),
    "hijazi": (16.0, (30.0, 120.0)),
    "herd": (6.0, (10.8, 74.8)),
    "hornik": (10.0, (2.0, 176.0)),
}


@st.composite
def patients(draw):
    model = draw(st.sampled_from(list(PATIENTS)))
    age, (low, high) = PATIENTS[model]
    weight = draw(st.floats(low, high))
    return model, weight, age


@st.composite
def schedules(draw):
    """1–4 consecutive infusions with gaps (rate changes and pauses), and up to 2 boluses."""
    infusions, clock = [], draw(st.floats(0, 30))
    for _ in range(draw(st.integers(1, 4))):
        duration = draw(st.floats(0.5, 90))
        infusions.append((clock, duration, draw(st.floats(0, 60))))
        clock += duration + draw(st.sampled_from([0.0, 0.0, 5.0, draw(st.floats(0, 30))]))
    for _ in range(draw(st.integers(0, 2))):
        infusions.append((draw(st.floats(0, clock)), 0.0, draw(st.floats(0, 20))))
    return infusions


def _grid(infusions, extra_min: float = 240) -> np.ndarray:
    end = max(start + duration for start, duration, _ in infusions)
    return np.linspace(0, end + extra_min, 400)


@given(patient=patients(), infusions=schedules())
def test_concentration_is_never_negative(patient, infusions):
    model, weight, age = patient
    result = simulate(model, weight_kg=weight, age_years=age, infusions=infusions,
                      times_min=_grid(infusions))
    assert np.all(result.plasma_ng_per_ml >= 0)
    assert np.all(result.effect_site_ng_per_ml >= 0)


@given(patient=patients(), duration=st.floats(1, 180), dose=st.floats(1, 100))
def test_peak_of_a_constant_infusion_is_at_its_end(patient, duration, dose):
    model, weight, age = patient
    times = np.union1d(np.linspace(0, duration + 240, 500), [duration])
    result = simulate(model, weight_kg=weight, age_years=age, infusions=[(0, duration, dose)],
                      times_min=times, effect_site=False)
    assert result.time_of_peak_min == duration


@given(patient=patients(), infusions=schedules())
def test_doubling_every_dose_doubles_the_curve(patient, infusions):
    model, weight, age = patient
    times = _grid(infusions)
    once = plasma_concentrations(model, weight_kg=weight, age_years=age, infusions=infusions,
                                 times_min=times)
    doubled = [(start, duration, 2 * dose) for start, duration, dose in infusions]
    twice = plasma_concentrations(model, weight_kg=weight, age_years=age, infusions=doubled,
                                  times_min=times)
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-12, atol=1e-12)


@given(
    patient=patients(), start=st.floats(0, 60), duration=st.floats(1, 120),
    dose=st.floats(1, 100), share=st.floats(0.01, 0.99),
)
def test_splitting_an_infusion_into_two_back_to_back_parts_changes_nothing(
    patient, start, duration, dose, share
):
    model, weight, age = patient
    whole = [(start, duration, dose)]
    first = share * duration
    parts = [(start, first, share * dose), (start + first, duration - first, (1 - share) * dose)]
    times = _grid(whole)
    expected = simulate(model, weight_kg=weight, age_years=age, infusions=whole, times_min=times)
    split = simulate(model, weight_kg=weight, age_years=age, infusions=parts, times_min=times)
    scale = expected.peak_plasma_ng_per_ml
    np.testing.assert_allclose(split.plasma_ng_per_ml, expected.plasma_ng_per_ml,
                               rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(split.effect_site_ng_per_ml, expected.effect_site_ng_per_ml,
                               rtol=1e-9, atol=1e-9 * scale)


@given(
    model=st.sampled_from(list(PATIENTS)),
    patients_=st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 100),
                  st.sampled_from([0.0, 0.5, 10.0, 40.0, 100.0, 600.0])),
        min_size=1, max_size=12,
    ),
    times=st.lists(st.floats(0, 1000), min_size=1, max_size=30),
)
def test_batch_equals_single_per_patient(model, patients_, times):
    """600 min puts Domino past e^700, so its overflow-free path is checked too."""
    age, (low, high) = PATIENTS[model]
    weights = [low + fraction * (high - low) for fraction, _, _ in patients_]
    doses = [dose for _, dose, _ in patients_]
    durations = [duration for _, _, duration in patients_]
    together = plasma_concentrations_batch(
        model, weight_kg=weights, dose_mg=doses, duration_min=durations, times_min=times,
        age_years=age,
    )
    assert together.shape == (len(patients_), len(times))
    for row, (weight, dose, duration) in enumerate(zip(weights, doses, durations, strict=True)):
        alone = plasma_concentrations(model, weight_kg=weight, age_years=age,
                                      infusions=[(0, duration, dose)], times_min=times)
        np.testing.assert_allclose(together[row], alone, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("model", list(PATIENTS))
def test_batch_of_many_patients_matches_single_calls(model):
    """Every duration kind: bolus, short, the standard 40 min, and one long enough (600 min)
    that Domino's fastest exponential passes e^700 and takes the overflow-free path."""
    age, (low, high) = PATIENTS[model]
    rng = np.random.default_rng(16)
    weights = rng.uniform(low, high, 3000)
    durations = rng.choice([0.0, 0.5, 40.0, 600.0], 3000)
    times = np.arange(0, 1000.0, 2.5)
    together = plasma_concentrations_batch(model, weight_kg=weights, dose_mg=weights / 2,
                                           duration_min=durations, times_min=times,
                                           age_years=age)
    for row in range(0, 3000, 97):
        alone = plasma_concentrations(model, weight_kg=weights[row], times_min=times,
                                      age_years=age,
                                      infusions=[(0, durations[row], weights[row] / 2)])
        np.testing.assert_allclose(together[row], alone, rtol=1e-10, atol=1e-10)


# --- an independent exact solution: the matrix exponential of the ODEs of §7.1 ------------------


def _matrix_exponential_solution(model, weight, age, infusions, times):
    """Amounts A1..An (mg) and Ce (mg/L) stepped exactly between breakpoints with e^(M·h),
    where M is built from the ODEs of §7.1 and diagonalised numerically (numpy.linalg.eig)."""
    c = PK_MODELS[model].constants(weight)
    n = PK_MODELS[model].compartments
    v1, k10, k12, k21, k13, k31, ke0 = (float(value) for value in c)
    m = np.zeros((n + 1, n + 1))
    m[0, 0] = -(k10 + k12 + (k13 if n == 3 else 0))
    m[0, 1], m[1, 0], m[1, 1] = k21, k12, -k21
    if n == 3:
        m[0, 2], m[2, 0], m[2, 2] = k31, k13, -k31
    m[n, 0], m[n, n] = ke0 / v1, -ke0  # dCe/dt = ke0·(A1/V1 − Ce)
    values, vectors = np.linalg.eig(m)
    inverse = np.linalg.inv(vectors)

    def step(state, rate, h):
        decay = (vectors * np.exp(values * h)) @ inverse
        integral = (vectors * (np.expm1(values * h) / values)) @ inverse  # ∫ e^(M s) ds
        return (decay @ state + integral[:, 0] * rate).real

    breakpoints = sorted({0.0, *times, *(s for s, _, _ in infusions),
                          *(s + d for s, d, _ in infusions)})
    state, clock, results = np.zeros(n + 1), 0.0, {}
    for point in breakpoints:
        rate = sum(dose / d for s, d, dose in infusions if d > 0 and s <= clock < s + d)
        state = step(state, rate, point - clock)
        clock = point
        state[0] += sum(dose for s, d, dose in infusions if d == 0 and s == point)
        results[point] = (state[0] / v1 * 1000, state[n] * 1000)
    return np.array([results[t] for t in times]).T


@given(patient=patients(), infusions=schedules())
def test_agrees_with_the_matrix_exponential_of_the_compartment_odes(patient, infusions):
    model, weight, age = patient
    times = _grid(infusions, extra_min=300)
    plasma, effect = _matrix_exponential_solution(model, weight, age, infusions, times)
    result = simulate(model, weight_kg=weight, age_years=age, infusions=infusions, times_min=times)
    scale = max(plasma.max(), 1e-9)
    np.testing.assert_allclose(result.plasma_ng_per_ml, plasma, rtol=1e-7, atol=1e-9 * scale)
    np.testing.assert_allclose(result.effect_site_ng_per_ml, effect, rtol=1e-7, atol=1e-9 * scale)


@pytest.mark.parametrize("model", list(PATIENTS))
def test_matrix_exponential_check_can_fail(model):
    """The independent solution is sensitive: 1 % more drug is visible in it."""
    age, (low, high) = PATIENTS[model]
    weight = (low + high) / 2
    times = np.arange(0, 241.0, 10)
    plasma, _ = _matrix_exponential_solution(model, weight, age, [(0, 40, 20.2)], times)
    ours = plasma_concentrations(model, weight_kg=weight, age_years=age, infusions=[(0, 40, 20)],
                                 times_min=times)
    assert not np.allclose(ours[1:], plasma[1:], rtol=1e-3)
