"""The public simulation functions: check the inputs, pick the model, solve exactly."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.pharmacokinetics.exact import (
    FloatArray,
    batch,
    disposition_rates,
    effect_site_exponentials,
    plasma_exponentials,
    superpose,
)
from ketacare.clinical.pharmacokinetics.models import PK_MODELS, PkModel

# Back-to-back infusions whose times were computed in floating point may miss by rounding.
_BACK_TO_BACK_TOLERANCE_MIN = 1e-9


class Infusion(NamedTuple):
    """A constant-rate infusion from ``start_min``; a bolus has duration 0."""

    start_min: float
    duration_min: float
    dose_mg: float


@dataclass(frozen=True, eq=False)
class PkSimulation:
    """Predicted concentrations (ng/mL) at ``times_min`` for one patient under one model.

    A population-model estimate, never a measured level. The arrays are read-only.
    ``effect_site_ng_per_ml`` is None when it was not asked for; its ke0 is derived, not
    measured (``model.ke0_provenance``).
    """

    model: PkModel
    weight_kg: float
    age_years: float | None
    infusions: tuple[Infusion, ...]
    times_min: FloatArray
    plasma_ng_per_ml: FloatArray
    effect_site_ng_per_ml: FloatArray | None

    @property
    def peak_plasma_ng_per_ml(self) -> float:
        """The highest plasma value among ``times_min`` (0 without times)."""
        return float(self.plasma_ng_per_ml.max(initial=0.0))

    @property
    def time_of_peak_min(self) -> float | None:
        """The first of ``times_min`` with the highest plasma value (None without times)."""
        if not self.times_min.size:
            return None
        return float(self.times_min[self.plasma_ng_per_ml.argmax()])


@dataclass(frozen=True)
class CompartmentParameters:
    """One patient's constants: V1 in litres, rate constants per minute (0 where absent)."""

    v1_l: float
    k10_per_min: float
    k12_per_min: float
    k21_per_min: float
    k13_per_min: float
    k31_per_min: float
    ke0_per_min: float
    half_lives_min: tuple[float, ...]  # of the disposition exponentials, fastest first


def model_parameters(model: str, *, weight_kg: float) -> CompartmentParameters:
    """The constants a model gives a patient of this weight, and its half-lives."""
    chosen = _model(model)
    constants = chosen.constants(_positive("Weight", weight_kg, "kg"))
    rates = disposition_rates(constants, chosen.compartments)
    return CompartmentParameters(
        *(float(value) for value in constants),
        half_lives_min=tuple(math.log(2) / float(rate) for rate in rates),
    )


def simulate(
    model: str,
    *,
    weight_kg: float,
    infusions: Sequence[Sequence[float]],
    times_min: ArrayLike,
    age_years: float | None = None,
    effect_site: bool = True,
) -> PkSimulation:
    """Plasma and effect-site concentrations after the given infusions and boluses.

    ``weight_kg`` is the body weight the model scales by (actual weight in its studies);
    ``age_years`` is required only by models limited to an age range (Hijazi, Herd, Hornik).
    ClinicalRuleError: an unknown model, a patient outside the model's population, a weight at
    or below 0, a negative or non-finite time, start, duration or dose, no dose at all, or
    two infusions that overlap (boluses may fall anywhere).
    """
    chosen = _model(model)
    weight = _positive("Weight", weight_kg, "kg")
    age = None if age_years is None else _at_least_zero("Age", age_years, "years")
    _check_population(
        chosen, np.array([weight]), None if age is None else np.array([age]), single=True
    )
    parsed, times = _infusions(infusions), _times(times_min)
    constants = chosen.constants(weight)
    plasma_response = plasma_exponentials(constants, chosen.compartments)
    plasma = superpose(plasma_response, parsed, times)
    effect = None
    if effect_site:
        response = effect_site_exponentials(plasma_response, float(constants.ke0))
        effect = superpose(response, parsed, times)
    for array in (times, plasma, effect):
        if array is not None:
            array.setflags(write=False)
    return PkSimulation(chosen, weight, age, parsed, times, plasma, effect)


def plasma_concentrations(
    model: str,
    *,
    weight_kg: float,
    infusions: Sequence[Sequence[float]],
    times_min: ArrayLike,
    age_years: float | None = None,
) -> FloatArray:
    """Predicted plasma concentration (ng/mL) at each of ``times_min``; see ``simulate``."""
    return simulate(
        model, weight_kg=weight_kg, infusions=infusions, times_min=times_min,
        age_years=age_years, effect_site=False,
    ).plasma_ng_per_ml


def plasma_concentrations_batch(
    model: str,
    *,
    weight_kg: ArrayLike,
    dose_mg: ArrayLike,
    duration_min: ArrayLike,
    times_min: ArrayLike,
    age_years: ArrayLike | None = None,
) -> FloatArray:
    """Plasma concentrations (ng/mL), patients × times, one infusion per patient from t = 0.

    Weight, dose and duration (0 = bolus) are each a number or one value per patient, as is
    ``age_years`` for the models that need it. The same checks as ``simulate``; a refusal
    names the first patient concerned. Vectorised over patients (in blocks, never one by one).
    """
    chosen = _model(model)
    weight = _per_patient("Weight", weight_kg, "kg", positive=True)
    dose = _per_patient("Dose", dose_mg, "mg", positive=False)
    duration = _per_patient("Duration", duration_min, "min", positive=False)
    age = None if age_years is None else _per_patient("Age", age_years, "years", positive=False)
    try:
        weight, dose, duration, *rest = np.broadcast_arrays(
            weight, dose, duration, *([] if age is None else [age])
        )
    except ValueError:
        raise ClinicalRuleError(
            "weight_kg, dose_mg, duration_min and age_years need one value per patient "
            "(or a single value for all)"
        ) from None
    _check_population(chosen, weight, rest[0] if rest else None, single=False)
    times = _times(times_min)
    constants = chosen.constants(weight)
    return batch(plasma_exponentials(constants, chosen.compartments), dose, duration, times)


# --- checks ------------------------------------------------------------------------------------


def _model(model: str) -> PkModel:
    if not isinstance(model, str) or model.lower() not in PK_MODELS:
        raise ClinicalRuleError(
            f"Unknown pharmacokinetic model {model!r}; expected one of {', '.join(PK_MODELS)}"
        )
    return PK_MODELS[model.lower()]


def _number(label: str, value: object) -> float:
    if isinstance(value, Decimal) and value.is_finite():
        return float(value)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ClinicalRuleError(f"{label} must be a finite number, got {value!r}")
    return float(value)


def _positive(label: str, value: object, unit: str) -> float:
    number = _number(label, value)
    if number <= 0:
        raise ClinicalRuleError(f"{label} must be above 0 {unit}, got {number:g} {unit}")
    return number


def _at_least_zero(label: str, value: object, unit: str) -> float:
    number = _number(label, value)
    if number < 0:
        raise ClinicalRuleError(f"{label} cannot be negative, got {number:g} {unit}")
    return number


def _infusions(infusions: Sequence[Sequence[float]]) -> tuple[Infusion, ...]:
    """Parse and check each (start_min, duration_min, dose_mg); refuse overlapping infusions.

    A bolus may fall anywhere, also during an infusion (a push through a side port). Two
    infusions may not overlap: one pump runs one infusion at a time, and a rate change or a
    pause is recorded as consecutive infusions, so an overlap means a dose counted twice.
    """
    if isinstance(infusions, (str, bytes)) or not isinstance(infusions, Sequence):
        raise ClinicalRuleError("infusions must be a list of (start_min, duration_min, dose_mg)")
    if not infusions:
        raise ClinicalRuleError("No dose to simulate: give at least one infusion or bolus")
    parsed = []
    for number, item in enumerate(infusions, start=1):
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 3:
            raise ClinicalRuleError(
                f"Infusion {number} must be (start_min, duration_min, dose_mg), got {item!r}"
            )
        parsed.append(Infusion(*(
            _at_least_zero(f"Infusion {number} {what}", value, unit)
            for what, value, unit in zip(
                ("start", "duration", "dose"), item, ("min", "min", "mg"), strict=True
            )
        )))
    running = sorted(
        (item.start_min, number) for number, item in enumerate(parsed, start=1)
        if item.duration_min > 0
    )
    for (_, earlier), (start, later) in itertools.pairwise(running):
        first = parsed[earlier - 1]
        end = first.start_min + first.duration_min
        if start < end - _BACK_TO_BACK_TOLERANCE_MIN:
            raise ClinicalRuleError(
                f"Infusion {later} (from {start:g} min) overlaps infusion {earlier} "
                f"({first.start_min:g}–{end:g} min): one pump runs one infusion at a time"
            )
    return tuple(parsed)


def _times(times_min: ArrayLike) -> FloatArray:
    times = np.asarray(times_min)
    if times.ndim != 1 or times.dtype.kind not in "iuf":
        raise ClinicalRuleError("times_min must be a flat list of minutes")
    times = times.astype(np.float64)  # a copy: the caller's array is never frozen or changed
    if not np.isfinite(times).all():
        raise ClinicalRuleError("times_min must be finite numbers of minutes")
    if (times < 0).any():
        raise ClinicalRuleError(
            f"Times count from the first start and cannot be negative ({times.min():g} min)"
        )
    return times


def _per_patient(label: str, values: ArrayLike, unit: str, *, positive: bool) -> FloatArray:
    array = np.asarray(values)
    if array.ndim > 1 or array.dtype.kind not in "iuf":
        raise ClinicalRuleError(f"{label} must be a number or a flat list of numbers ({unit})")
    array = np.atleast_1d(array.astype(np.float64))
    bad = ~np.isfinite(array) | ((array <= 0) if positive else (array < 0))
    if bad.any():
        index = int(np.argmax(bad))
        limit = "above 0" if positive else "0 or more"
        where = f" (patient {index + 1})" if array.size > 1 else ""
        raise ClinicalRuleError(f"{label} must be {limit} {unit}{where}, got {array[index]!r}")
    return array


def _check_population(
    model: PkModel, weight_kg: FloatArray, age_years: FloatArray | None, *, single: bool
) -> None:
    """Refuse a patient outside the population the model was built from."""
    limits = model.population
    cite = limits.provenance.cite()
    if limits.restricts_age and age_years is None:
        raise ClinicalRuleError(
            f"The {model.label} model is limited to {limits.describe()} [{cite}]: "
            "give the patient's age (age_years)"
        )
    checks = (
        ("age", age_years, limits.age_min_years, limits.age_max_years, "years"),
        ("weight", weight_kg, limits.weight_min_kg, limits.weight_max_kg, "kg"),
    )
    for what, values, low, high, unit in checks:
        if values is None:
            continue
        outside = np.zeros(values.shape, dtype=bool)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        if outside.any():
            index = int(np.argmax(outside))
            who = "this patient" if single else f"patient {index + 1}"
            raise ClinicalRuleError(
                f"The {model.label} model applies to {limits.describe()} [{cite}]; {who}'s "
                f"{what} is {values[index]:g} {unit}: choose a model whose population includes "
                "the patient"
            )
