"""The ketamine compartment models of reference §7.1, who they apply to, and the §7.2 ranges.

Constants are transcribed from opentiva's ``ketamine.py`` [S108] (rate constants per minute, V1
in litres [S109]); each constant function takes weight in kg as a float or an array of patients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ketacare.clinical.common import Provenance


class Constants(NamedTuple):
    """V1 (L) and rate constants (/min); floats, or arrays with one value per patient."""

    v1_l: ArrayLike
    k10: ArrayLike
    k12: ArrayLike
    k21: ArrayLike
    k13: ArrayLike
    k31: ArrayLike
    ke0: ArrayLike


def _domino(weight_kg: ArrayLike) -> Constants:
    # source: S108 (§7.1) Domino 1982, PMID 7198883; 3 compartments, V1 = 0.063 L/kg
    return Constants(
        np.multiply(0.063, weight_kg), 0.4381, 0.5921, 0.2470, 0.5900, 0.0146, 0.652
    )


def _clements250(weight_kg: ArrayLike) -> Constants:
    # source: S108 (§7.1) Clements & Nimmo 1981 (250 µg/kg bolus data), PMID 7459184
    return Constants(np.multiply(1.7522, weight_kg), 0.0109, 0.0186, 0.0137, 0.0, 0.0, 5.2)


def _hijazi(weight_kg: ArrayLike) -> Constants:
    # source: S108 (§7.1) Hijazi 2003, BJA aeg028, PMID 12538370
    return Constants(np.multiply(1.08, weight_kg), 0.0333, 0.0088, 0.0030, 0.0, 0.0, 4.773)


def _allometric(
    weight_kg: ArrayLike, *, v1_70: float, v2_70: float, cl_70_l_h: float, cl2_70_l_h: float,
    ke0: float,
) -> Constants:
    """Volumes scale with weight/70, clearances (L/h at 70 kg) with (weight/70)^0.75."""
    size = np.divide(weight_kg, 70.0)
    v1, v2 = v1_70 * size, v2_70 * size
    cl, cl2 = cl_70_l_h / 60 * size**0.75, cl2_70_l_h / 60 * size**0.75
    return Constants(v1, cl / v1, cl2 / v1, cl2 / v2, 0.0, 0.0, ke0)


def _herd(weight_kg: ArrayLike) -> Constants:
    # source: S108 (§7.1) Herd 2007, PMID 17564643: V1 38.7, V2 102 L, CL 90, CL2 215 L/h at 70 kg
    return _allometric(
        weight_kg, v1_70=38.7, v2_70=102.0, cl_70_l_h=90.0, cl2_70_l_h=215.0, ke0=2.995
    )


def _hornik(weight_kg: ArrayLike) -> Constants:
    # source: S108 (§7.1) Hornik 2018, PMID 29677389: V1 32.8, V2 152 L, CL 38.9, CL2 54.9 L/h
    return _allometric(
        weight_kg, v1_70=32.8, v2_70=152.0, cl_70_l_h=38.9, cl2_70_l_h=54.9, ke0=4.212
    )


@dataclass(frozen=True)
class PopulationLimits:
    """Who a model may be used for. A limit of None is one the source does not state."""

    studied: str
    provenance: Provenance
    age_min_years: float | None = None
    age_max_years: float | None = None
    weight_min_kg: float | None = None
    weight_max_kg: float | None = None

    @property
    def restricts_age(self) -> bool:
        return self.age_min_years is not None or self.age_max_years is not None

    def describe(self) -> str:
        """E.g. "ages 1–14 years; weights 10.8–74.8 kg" or that no limit is stated."""
        parts = [
            _span(self.age_min_years, self.age_max_years, "ages", "years"),
            _span(self.weight_min_kg, self.weight_max_kg, "weights", "kg"),
        ]
        text = "; ".join(part for part in parts if part)
        return text or "no age or weight limits stated by its source"


def _span(low: float | None, high: float | None, what: str, unit: str) -> str:
    if low is not None and high is not None:
        return f"{what} {low:g}–{high:g} {unit}"
    if low is not None:
        return f"{what} from {low:g} {unit}"
    return f"{what} up to {high:g} {unit}" if high is not None else ""


_KE0_PROVENANCE: Final = Provenance(
    ("S108",),
    verified=False,
    note="ke0 derived by opentiva for a peak effect 1 min after a bolus, not measured",
)
# The rates of the weight-scaled models change with weight and ke0 does not, so their peak
# effect comes 1 min after a bolus only near 18 kg (0.97 min at 11 kg, 1.1 min at 70 kg).
_KE0_WEIGHT_SCALED_PROVENANCE: Final = Provenance(
    ("S108",),
    verified=False,
    note="ke0 derived by opentiva for a peak effect 1 min after a bolus, not measured; with "
    "the model's weight scaling that holds near 18 kg (1.1 min at 70 kg)",
)


@dataclass(frozen=True)
class PkModel:
    """A published compartment model: its constants, who it applies to and where it comes from."""

    key: str
    label: str
    citation: str
    compartments: int
    description: str
    population: PopulationLimits
    provenance: Provenance
    ke0_provenance: Provenance
    constants: Callable[[ArrayLike], Constants] = field(repr=False, compare=False)

    @property
    def limits_text(self) -> str:
        """One line a page can show under the curve."""
        return (
            f"{self.label}: {self.population.studied}; {self.population.describe()} "
            f"[{self.population.provenance.cite()}]"
        )


_S108 = Provenance(("S108", "S109"))
_ADULT_STUDY_NOTE: Final = "The source states no age or weight limits; population unverified"

PK_MODELS: Final[dict[str, PkModel]] = {
    model.key: model
    for model in (
        PkModel(
            key="domino",
            label="Domino 1982",
            citation="Domino et al. 1982, PMID 7198883",
            compartments=3,
            description="Three-compartment model used in STANPUMP-style target-controlled "
            "infusion; runs about 30 % above the observed level after 0.5 mg/kg over 40 min.",
            population=PopulationLimits(
                "adult surgical patients (from memory, unverified)",
                Provenance(("S108",), verified=False, note=_ADULT_STUDY_NOTE),
            ),
            provenance=Provenance(("S108", "S109", "S110")),
            ke0_provenance=_KE0_PROVENANCE,
            constants=_domino,
        ),
        PkModel(
            key="clements250",
            label="Clements 250 µg/kg",
            citation="Clements & Nimmo 1981, Br J Anaesth 53:27, PMID 7459184",
            compartments=2,
            description="Two-compartment model from 250 µg/kg bolus data; within about 5 % of "
            "the observed level after 0.5 mg/kg over 40 min.",
            population=PopulationLimits(
                "adult volunteers (from memory, unverified)",
                Provenance(("S108",), verified=False, note=_ADULT_STUDY_NOTE),
            ),
            provenance=_S108,
            ke0_provenance=_KE0_PROVENANCE,
            constants=_clements250,
        ),
        PkModel(
            key="hijazi",
            label="Hijazi 2003",
            citation="Hijazi et al. 2003, DOI 10.1093/bja/aeg028, PMID 12538370",
            compartments=2,
            description="Two-compartment model from intensive-care patients with brain or "
            "spinal cord injury.",
            population=PopulationLimits(
                "intensive-care patients with brain or spinal cord injury",
                Provenance(
                    ("S108",),
                    verified=False,
                    note="opentiva's upper age of 18 years, applied as given; the reference "
                    "does not state the study's ages (study population from its abstract)",
                ),
                age_max_years=18,  # source: S108 (age_upper)
            ),
            provenance=_S108,
            ke0_provenance=_KE0_PROVENANCE,
            constants=_hijazi,
        ),
        PkModel(
            key="herd",
            label="Herd 2007",
            citation="Herd et al. 2007, DOI 10.1111/j.1460-9592.2006.02145.x, PMID 17564643",
            compartments=2,
            description="Paediatric two-compartment model with allometric weight scaling.",
            population=PopulationLimits(
                "children",
                Provenance(("S108",)),
                age_min_years=1,  # source: S108 (§7.1 "paeds 1–14 y")
                age_max_years=14,  # source: S108
                weight_min_kg=10.8,  # source: S108
                weight_max_kg=74.8,  # source: S108
            ),
            provenance=_S108,
            ke0_provenance=_KE0_WEIGHT_SCALED_PROVENANCE,
            constants=_herd,
        ),
        PkModel(
            key="hornik",
            label="Hornik 2018",
            citation="Hornik et al. 2018, DOI 10.1002/jcph.1116, PMID 29677389",
            compartments=2,
            description="Paediatric two-compartment model with allometric weight scaling.",
            population=PopulationLimits(
                "children and adolescents",
                Provenance(("S108",)),
                age_min_years=1,  # source: S108 (§7.1 "paeds 1–18 y")
                age_max_years=18,  # source: S108
                weight_min_kg=2,  # source: S108
                weight_max_kg=176,  # source: S108
            ),
            provenance=_S108,
            ke0_provenance=_KE0_WEIGHT_SCALED_PROVENANCE,
            constants=_hornik,
        ),
    )
}


# --- reference concentrations (reference §7.2), for shading a chart ---------------------------


@dataclass(frozen=True)
class ConcentrationRange:
    """A published plasma range with the circumstances it was observed in."""

    key: str
    label: str
    low_ng_per_ml: float
    high_ng_per_ml: float
    context: str
    provenance: Provenance


REFERENCE_RANGES: Final[tuple[ConcentrationRange, ...]] = (
    ConcentrationRange(
        "analgesia", "Analgesia", 70, 160, "analgesic plasma levels",  # source: S111
        Provenance(("S111",)),
    ),
    ConcentrationRange(
        "dissociation", "Dissociative effects", 100, 250,  # source: S111 (Krystal 1994)
        "during 0.5 mg/kg IV over 40 min", Provenance(("S111",)),
    ),
    ConcentrationRange(
        "anaesthesia", "General anaesthesia", 1200, 2400,  # source: S111
        "after 1–2 mg/kg IV", Provenance(("S111",)),
    ),
)

