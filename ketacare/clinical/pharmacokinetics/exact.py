"""The exact solution of the linear compartment model as a sum of exponentials.

After 1 mg given at t = 0 the plasma concentration of a mammillary model is
C(t) = Σ_i A_i · e^(−λ_i·t), where the λ_i are the eigenvalues of the rate matrix (closed form for
two and three compartments) and A_i = Π_peripheral(k_j1 − λ_i) / Π_(m≠i)(λ_m − λ_i) / V1. A
constant-rate infusion integrates that response over its duration, and doses add (the model is
linear), so a whole pump record is exact at any time without stepping. The effect site,
dCe/dt = ke0·(C1 − Ce), passes each exponential through a first-order lag and adds one in ke0.

Arrays: axis 0 runs over the exponentials; a further axis, where present, over patients.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketacare.clinical.pharmacokinetics.models import Constants

FloatArray = NDArray[np.float64]

NG_PER_ML_PER_MG_PER_L: Final = 1000.0  # 1 mg/L = 1 µg/mL = 1,000 ng/mL
# exp(x) overflows a float64 just above x = 709; the fast batch path multiplies by
# e^(rate × duration), so longer infusions go through the overflow-free general path.
_MAX_FAST_EXPONENT: Final = 700.0
# Patients per block in a batch: keeps each block's arrays inside the CPU cache.
_BLOCK_PATIENTS: Final = 1024


class Exponentials(NamedTuple):
    """C(t) in ng/mL after 1 mg at t = 0 is Σ_i coefficients[i] · e^(−rates[i] · t).

    ``rates`` has no patient axis when the model's rates do not depend on weight.
    """

    rates: FloatArray
    coefficients: FloatArray


def disposition_rates(c: Constants, compartments: int) -> FloatArray:
    """Eigenvalues of the rate matrix (positive, per min), fastest first, in closed form."""
    k10, k12, k21, k13, k31 = (np.asarray(k, dtype=np.float64) for k in c[1:6])
    if compartments == 2:
        total = k10 + k12 + k21
        root = np.sqrt(total**2 - 4 * k10 * k21)
        return np.stack([(total + root) / 2, (total - root) / 2])
    # λ³ − a2·λ² + a1·λ − a0 = 0 has three real positive roots: the trigonometric solution of
    # the depressed cubic (λ = x + a2/3, x³ + p·x + q = 0) gives them without complex numbers.
    a2 = k10 + k12 + k13 + k21 + k31
    a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
    a0 = k10 * k21 * k31
    p = a1 - a2**2 / 3
    q = -2 * a2**3 / 27 + a1 * a2 / 3 - a0
    radius = 2 * np.sqrt(-p / 3)
    angle = np.arccos(np.clip(3 * q / (p * radius), -1.0, 1.0)) / 3
    return np.stack([a2 / 3 + radius * np.cos(angle - 2 * np.pi * k / 3) for k in range(3)])


def plasma_exponentials(c: Constants, compartments: int) -> Exponentials:
    """The plasma response to 1 mg (ng/mL) of a model with these constants."""
    rate_constants = tuple(np.asarray(k, dtype=np.float64) for k in c[1:6])
    if all(k.ndim == 0 for k in rate_constants):  # shared by all patients: computed once
        rates, per_litre = _cached_response(*(float(k) for k in rate_constants), compartments)
        v1 = np.asarray(c.v1_l, dtype=np.float64)
        return Exponentials(rates, (per_litre[:, None] if v1.ndim else per_litre) / v1)
    rates, per_litre = _response_for_one_litre(*rate_constants, compartments)
    return Exponentials(rates, per_litre / c.v1_l)


@functools.lru_cache(maxsize=256)
def _cached_response(*arguments: float) -> tuple[FloatArray, FloatArray]:
    rates, per_litre = _response_for_one_litre(*arguments)
    rates.setflags(write=False)
    per_litre.setflags(write=False)
    return rates, per_litre


def _response_for_one_litre(
    k10: ArrayLike, k12: ArrayLike, k21: ArrayLike, k13: ArrayLike, k31: ArrayLike,
    compartments: int,
) -> tuple[FloatArray, FloatArray]:
    """The disposition rates and A_i · V1 (ng/mL per mg for V1 = 1 L)."""
    c = Constants(1.0, k10, k12, k21, k13, k31, 0.0)
    rates = disposition_rates(c, compartments)
    peripheral = (np.asarray(k21), np.asarray(k31))[: compartments - 1]
    coefficients = []
    for i, rate in enumerate(rates):
        numerator = np.prod([k - rate for k in peripheral], axis=0)
        others = np.prod([other - rate for j, other in enumerate(rates) if j != i], axis=0)
        coefficients.append(NG_PER_ML_PER_MG_PER_L * numerator / others)
    return rates, np.stack(coefficients)


def effect_site_exponentials(plasma: Exponentials, ke0: float) -> Exponentials:
    """The effect-site response: A_i·ke0/(ke0 − λ_i) on each λ_i, minus their sum on ke0."""
    lagged = plasma.coefficients * ke0 / (ke0 - _per_patient_axis(plasma.rates, plasma))
    ke0_rate = np.full((1, *plasma.rates.shape[1:]), ke0)
    return Exponentials(
        np.concatenate([plasma.rates, ke0_rate]),
        np.concatenate([lagged, -lagged.sum(axis=0, keepdims=True)]),
    )


def _per_patient_axis(rates: FloatArray, like: Exponentials) -> FloatArray:
    return rates if rates.ndim == like.coefficients.ndim else rates[:, None]


def fraction(rate: ArrayLike, elapsed: ArrayLike, duration: ArrayLike) -> FloatArray:
    """One exponential's share of 1 mg given at a constant rate over ``duration`` minutes.

    Before the start 0; during the infusion (1 − e^(−λτ)) / (λD); after it
    e^(−λ(τ − D)) · (1 − e^(−λD)) / (λD), which is e^(−λτ) for a bolus (D = 0, counted from
    its own minute). ``expm1`` keeps short infusions free of cancellation.
    """
    rate_x_duration = np.multiply(rate, duration)
    divisor = np.where(rate_x_duration > 0, rate_x_duration, 1.0)
    spread = np.where(rate_x_duration > 0, -np.expm1(-rate_x_duration) / divisor, 1.0)
    after = np.exp(-np.multiply(rate, np.maximum(np.subtract(elapsed, duration), 0.0))) * spread
    during = -np.expm1(-np.multiply(rate, np.maximum(elapsed, 0.0))) / divisor
    return np.where(np.greater_equal(elapsed, duration), after, during)


def superpose(
    exponentials: Exponentials, infusions: Sequence[tuple[float, float, float]], times: FloatArray
) -> FloatArray:
    """One patient's concentration at ``times``: the sum of every infusion's exact response."""
    starts, durations, doses = np.array(infusions, dtype=np.float64).T
    elapsed = times[None, :] - starts[:, None]  # infusions × times
    shares = fraction(exponentials.rates[:, None, None], elapsed, durations[:, None])
    total = np.einsum("n,j,njt->t", exponentials.coefficients, doses, shares)
    return np.maximum(total, 0.0)  # rounding noise below 0 (the effect site near t = 0) is 0


def batch(
    exponentials: Exponentials, dose_mg: FloatArray, duration_min: FloatArray, times: FloatArray
) -> FloatArray:
    """Patients × times for one infusion per patient from t = 0, in blocks of patients.

    Where the rates are shared (they do not depend on weight) and e^(λD) stays finite, a
    patient's curve is a combination of shared time curves; otherwise each exponential is
    evaluated per patient and time.
    """
    out = np.empty((dose_mg.size, times.size))
    scaled = exponentials.coefficients * dose_mg  # exponentials × patients
    shared = exponentials.rates.ndim == 1
    fast = np.zeros(dose_mg.size, dtype=bool)
    if shared:
        fast = duration_min * exponentials.rates.max() <= _MAX_FAST_EXPONENT
        _fill_shared_rates(exponentials.rates, scaled, duration_min, times, out)
    slow = np.flatnonzero(~fast)
    for start in range(0, slow.size, _BLOCK_PATIENTS):
        rows = slow[start : start + _BLOCK_PATIENTS]
        rates = exponentials.rates[:, None, None] if shared else exponentials.rates[:, rows, None]
        shares = fraction(rates, times[None, None, :], duration_min[None, rows, None])
        out[rows] = np.einsum("np,npt->pt", scaled[:, rows], shares)
    return out


def _fill_shared_rates(
    rates: FloatArray, scaled: FloatArray, duration: FloatArray, times: FloatArray,
    out: FloatArray,
) -> None:
    """Shared rates: during an infusion the share is (1 − e^(−λt)) / (λD), after it
    e^(−λt) · (e^(λD) − 1) / (λD), each a shared time curve times a per-patient weight."""
    rising_curves = -np.expm1(-np.outer(rates, times))  # exponentials × times
    decay_curves = np.exp(-np.outer(rates, times))
    rate_x_duration = rates[:, None] * duration[None, :]  # exponentials × patients
    has_duration = rate_x_duration > 0
    divisor = np.where(has_duration, rate_x_duration, 1.0)
    rising_weights = np.where(has_duration, scaled / divisor, 0.0)
    growth = np.expm1(np.minimum(divisor, _MAX_FAST_EXPONENT)) / divisor
    decay_weights = scaled * np.where(has_duration, growth, 1.0)
    # einsum rather than matmul: a product over 2 or 3 exponentials gains nothing from BLAS
    # threads, which on a busy machine cost more in waiting than they save.
    ascending = bool(np.all(np.diff(times) >= 0))
    for start in range(0, out.shape[0], _BLOCK_PATIENTS):
        rows = slice(start, start + _BLOCK_PATIENTS)
        block = out[rows]
        np.einsum("np,nt->pt", decay_weights[:, rows], decay_curves, out=block)
        longest = duration[rows].max()
        # The times at which some infusion of the block still runs: a leading slice (a view,
        # no copies) when the times ascend, as they do for a curve.
        if ascending:
            active: slice | FloatArray = slice(0, int(np.searchsorted(times, longest)))
        else:
            active = times < longest
        rising = np.einsum("np,nt->pt", rising_weights[:, rows], rising_curves[:, active])
        during = times[None, active] < duration[rows, None]
        if ascending:
            np.copyto(block[:, active], rising, where=during)
        else:
            block[:, active] = np.where(during, rising, block[:, active])
