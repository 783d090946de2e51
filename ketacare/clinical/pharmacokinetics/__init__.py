"""Pharmacokinetic simulation of IV racemic ketamine: predicted plasma and effect-site levels.

A population-model estimate for decision support, never a measured level. The compartment models
of reference §7.1 (``models``; transcribed from opentiva [S108], rate constants per minute and V1
in litres [S109]) are solved exactly (``exact``): the response to a constant-rate infusion is a
sum of exponentials and doses add, so there is no time step and no Euler error. Amounts are mg and
volumes litres, so mg/L = µg/mL; results are ng/mL.

Time 0 is the first start. An infusion is ``(start_min, duration_min, dose_mg)`` at a constant
rate; a bolus has duration 0 and counts from its own minute onwards.

    plasma_concentrations("clements250", weight_kg=70, infusions=[(0, 40, 35)],
                          times_min=range(241))          # ndarray, ng/mL; ≈177 at 40 min
"""

from ketacare.clinical.pharmacokinetics.models import (
    PK_MODELS,
    REFERENCE_RANGES,
    ConcentrationRange,
    PkModel,
    PopulationLimits,
)
from ketacare.clinical.pharmacokinetics.simulation import (
    CompartmentParameters,
    Infusion,
    PkSimulation,
    model_parameters,
    plasma_concentrations,
    plasma_concentrations_batch,
    simulate,
)

__all__ = [
    "PK_MODELS",
    "REFERENCE_RANGES",
    "CompartmentParameters",
    "ConcentrationRange",
    "Infusion",
    "PkModel",
    "PkSimulation",
    "PopulationLimits",
    "model_parameters",
    "plasma_concentrations",
    "plasma_concentrations_batch",
    "simulate",
]
