"""Every dosing value a clinic may set, and the usual ranges a dose is checked against.

A dose above a protocol maximum is refused; a dose outside the usual range is allowed and carries
a warning with its source. Settings the reference is silent on have no default
(``ConfigurableDefault.value`` None) and raise ``ClinicalRuleError`` until a clinic sets them.
``SETTINGS`` lists the numbers for the protocol review page; ``CONFIGURABLE_DEFAULTS`` adds the
esketamine 28 mg option, for the clinic-settings registry (``configurable_defaults(route)`` gives
those a route reads).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ketacare.clinical.anthropometrics import ADJUSTED_BODY_WEIGHT_FACTOR
from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance, Route
from ketacare.clinical.dosing.rounding import to_decimal


class DosingWeightBasis(enum.StrEnum):
    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


_S1 = Provenance(("S1",))
DEFAULT_IV_STANDARD_MG_PER_KG: Final = 0.5  # source: S1, S2, S3
DEFAULT_IV_MAX_MG_PER_KG: Final = 1.0  # source: S1, S4
DEFAULT_IV_INFUSION_MINUTES: Final = 40.0  # source: S1, S2
DEFAULT_IBW_OFFER_BMI_KG_M2: Final = 30.0  # source: S9

DOSING_WEIGHT_BASIS: Final = ConfigurableDefault[str](
    key="dosing.weight_basis",
    label="Dosing weight basis",
    value=DosingWeightBasis.ACTUAL.value,  # source: S9 (§1.3 software suggestion)
    unit="",
    provenance=Provenance(
        ("S9",), note="Landmark trials dosed actual weight; APA suggested IBW when BMI ≥ 30"
    ),
    choices=tuple(basis.value for basis in DosingWeightBasis),
)
IBW_OFFER_BMI_KG_M2: Final = ConfigurableDefault[float](
    key="dosing.ibw_offer_bmi_kg_m2",
    label="BMI at which dosing on ideal body weight is offered",
    value=DEFAULT_IBW_OFFER_BMI_KG_M2,
    unit="kg/m²",
    provenance=Provenance(("S9",)),
    # offering later than the APA suggestion is outside the source
    maximum=DEFAULT_IBW_OFFER_BMI_KG_M2,
)
IV_STANDARD_MG_PER_KG: Final = ConfigurableDefault[float](
    key="dosing.iv.standard_mg_per_kg",
    label="Standard IV dose (pre-filled on orders)",
    value=DEFAULT_IV_STANDARD_MG_PER_KG,
    unit="mg/kg",
    provenance=Provenance(("S1", "S2", "S3")),
    maximum=DEFAULT_IV_MAX_MG_PER_KG,
)
IV_MAX_MG_PER_KG: Final = ConfigurableDefault[float](
    key="dosing.iv.max_mg_per_kg",
    label="IV hard maximum dose",
    value=DEFAULT_IV_MAX_MG_PER_KG,
    unit="mg/kg",
    provenance=Provenance(
        ("S1", "S4"), note="Some protocols go to 1.0 mg/kg; a clinic may lower, not raise, it"
    ),
    maximum=DEFAULT_IV_MAX_MG_PER_KG,
)
IV_INFUSION_MINUTES: Final = ConfigurableDefault[float](
    key="dosing.iv.infusion_minutes",
    label="IV infusion duration",
    value=DEFAULT_IV_INFUSION_MINUTES,
    unit="min",
    provenance=Provenance(("S1", "S2"), note="Sessions described from 2 to 100 min (S1)"),
    minimum=2.0,  # source: S1
    maximum=100.0,  # source: S1
)
IV_MAX_SESSION_DOSE_MG: Final = ConfigurableDefault[float](
    key="dosing.iv.max_session_dose_mg",
    label="IV maximum absolute dose per session (optional)",
    value=None,  # reference silent: optional clinic cap, no cap when unset
    unit="mg",
    provenance=Provenance((), note="Optional clinic setting; the reference gives no mg cap"),
    minimum=0.0,
)
IM_MAX_MG_PER_KG: Final = ConfigurableDefault[float](
    key="dosing.im.max_mg_per_kg",
    label="IM hard maximum dose",
    value=None,  # reference silent: required before any IM dose is computed
    unit="mg/kg",
    provenance=Provenance((), note="Required clinic setting; the reference gives no IM maximum"),
    minimum=0.0,
)
TRANSMUCOSAL_MAX_SESSION_DOSE_MG: Final = ConfigurableDefault[float](
    key="dosing.transmucosal.max_session_dose_mg",
    label="Sublingual/oral maximum dose per session",
    value=None,  # reference silent: required before any sublingual/oral dose is computed
    unit="mg",
    provenance=Provenance((), note="Required clinic setting; the reference gives no maximum"),
    minimum=0.0,
)

SETTINGS: Final[tuple[ConfigurableDefault, ...]] = (
    DOSING_WEIGHT_BASIS,
    IBW_OFFER_BMI_KG_M2,
    ADJUSTED_BODY_WEIGHT_FACTOR,
    IV_STANDARD_MG_PER_KG,
    IV_MAX_MG_PER_KG,
    IV_INFUSION_MINUTES,
    IV_MAX_SESSION_DOSE_MG,
    IM_MAX_MG_PER_KG,
    TRANSMUCOSAL_MAX_SESSION_DOSE_MG,
)


@dataclass(frozen=True)
class UsualRange:
    """A range outside which a dose is allowed but flagged, with the source it rests on."""

    low: float
    high: float
    unit: str
    provenance: Provenance

    def __post_init__(self) -> None:
        if not 0 <= self.low < self.high:
            raise ClinicalRuleError(f"Usual range {self.low}–{self.high} {self.unit} is invalid")

    def warning(self, value: float, *, what: str) -> str | None:
        """A clinician-readable warning when ``value`` lies outside the range, else None."""
        if to_decimal(value) < to_decimal(self.low):
            side = "below"
        elif to_decimal(value) > to_decimal(self.high):
            side = "above"
        else:
            return None
        return (
            f"{what} {value:g} {self.unit} is {side} the usual range {self.low:g}–{self.high:g} "
            f"{self.unit} ({self.provenance.cite()})."
        )


IV_USUAL_RANGE: Final = UsualRange(0.1, 0.75, "mg/kg", _S1)  # source: S1
IM_USUAL_RANGE: Final = UsualRange(  # source: §1.2 [memory, verify]
    0.5, 1.0, "mg/kg", Provenance(("§1.2",), verified=False, note="common clinic IM doses")
)
ORAL_USUAL_RANGE_MG: Final = UsualRange(25.0, 300.0, "mg", Provenance(("S32",)))  # source: S32
ORAL_USUAL_RANGE_MG_PER_KG: Final = UsualRange(  # source: S32
    0.25, 7.0, "mg/kg", Provenance(("S32",))
)
SUBLINGUAL_HOME_USUAL_RANGE_MG: Final = UsualRange(  # source: S34 program; doses [memory, verify]
    100.0, 450.0, "mg", Provenance(("S34",), verified=False, note="dose levels not in S34")
)


# The EU/HK label starts patients aged 65 or over at 28 mg; the US label starts all adults at
# 56 mg (that US detail is unverified). Off unless the clinic enables it.
ESKETAMINE_28_MG_ELDERLY_START: Final = ConfigurableDefault[bool](
    key="dosing.esketamine.allow_28_mg_elderly_start",
    label="Esketamine: allow the EU/HK 28 mg start for patients aged 65 or over",
    value=False,
    unit="",
    provenance=Provenance(("S46",), note="US label starts all adults at 56 mg"),  # source: S46
)

CONFIGURABLE_DEFAULTS: Final[tuple[ConfigurableDefault, ...]] = (
    *SETTINGS,
    ESKETAMINE_28_MG_ELDERLY_START,
)

_WEIGHT: Final = (DOSING_WEIGHT_BASIS, IBW_OFFER_BMI_KG_M2, ADJUSTED_BODY_WEIGHT_FACTOR)
_BY_ROUTE: Final[dict[Route, tuple[ConfigurableDefault, ...]]] = {
    Route.RACEMIC_IV: (
        *_WEIGHT,
        IV_STANDARD_MG_PER_KG,
        IV_MAX_MG_PER_KG,
        IV_INFUSION_MINUTES,
        IV_MAX_SESSION_DOSE_MG,
    ),
    Route.RACEMIC_IM: (*_WEIGHT, IM_MAX_MG_PER_KG),
    Route.RACEMIC_SC: (),  # no subcutaneous dose calculation in the core yet
    Route.RACEMIC_ORAL: (TRANSMUCOSAL_MAX_SESSION_DOSE_MG,),
    Route.RACEMIC_SUBLINGUAL: (TRANSMUCOSAL_MAX_SESSION_DOSE_MG,),
    Route.ESKETAMINE_NASAL: (ESKETAMINE_28_MG_ELDERLY_START,),
}


def configurable_defaults(route: Route | str) -> tuple[ConfigurableDefault, ...]:
    """The dosing settings the route's dose calculation reads."""
    return _BY_ROUTE[Route(route)]
