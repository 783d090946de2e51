"""Dose arithmetic: dosing weight, IV / IM / sublingual-oral doses, esketamine devices, titration.

Numbers are floats throughout. Arithmetic is done unrounded; each reported number is rounded once,
at the end, by ``Rounding`` (half-up to a step, e.g. 0.1 mg). Before rounding, a value is read to
12 significant digits so binary noise (0.35 × 70 = 24.499999999999996) cannot flip a half-up
decision. A dose or drug volume is never rounded above the protocol maximum: if rounding to the
nearest step would cross it, the value is rounded down instead.

Limits: a dose above a protocol maximum raises ``DoseRefused``; a dose outside the usual range is
allowed and carries a warning with its source. Settings the reference is silent on have no
default (``ConfigurableDefault.value`` None) and raise ``ClinicalRuleError`` until a clinic sets
them.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final

from ketacare.clinical.anthropometrics import (
    ADJUSTED_BODY_WEIGHT_FACTOR,
    DEVINE_BASE_HEIGHT_CM,
    SEXES,
    adjusted_body_weight_kg,
    bmi_kg_m2,
    ideal_body_weight_kg,
    normalise_sex,
)
from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance


class DoseRefused(ClinicalRuleError):
    """A dose the protocol does not allow (above a maximum, not a permitted esketamine dose...)."""


class TitrationRefused(DoseRefused):
    """A dose change between sessions that the rules do not accept (e.g. no documented reason)."""


class DosingWeightBasis(enum.StrEnum):
    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


# ---------------------------------------------------------------------------------------------
# Protocol settings (the medical director's settings page lists ``SETTINGS``)
# ---------------------------------------------------------------------------------------------

_S1 = Provenance(("S1",))
_IV_STANDARD_MG_PER_KG: Final = 0.5  # source: S1, S2, S3
_IV_MAX_MG_PER_KG: Final = 1.0  # source: S1, S4
_IV_INFUSION_MINUTES: Final = 40.0  # source: S1, S2
_IBW_OFFER_BMI_KG_M2: Final = 30.0  # source: S9

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
    value=_IBW_OFFER_BMI_KG_M2,
    unit="kg/m²",
    provenance=Provenance(("S9",)),
    maximum=_IBW_OFFER_BMI_KG_M2,  # offering later than the APA suggestion is outside the source
)
IV_STANDARD_MG_PER_KG: Final = ConfigurableDefault[float](
    key="dosing.iv.standard_mg_per_kg",
    label="Standard IV dose (pre-filled on orders)",
    value=_IV_STANDARD_MG_PER_KG,
    unit="mg/kg",
    provenance=Provenance(("S1", "S2", "S3")),
    maximum=_IV_MAX_MG_PER_KG,
)
IV_MAX_MG_PER_KG: Final = ConfigurableDefault[float](
    key="dosing.iv.max_mg_per_kg",
    label="IV hard maximum dose",
    value=_IV_MAX_MG_PER_KG,
    unit="mg/kg",
    provenance=Provenance(
        ("S1", "S4"), note="Some protocols go to 1.0 mg/kg; a clinic may lower, not raise, it"
    ),
    maximum=_IV_MAX_MG_PER_KG,
)
IV_INFUSION_MINUTES: Final = ConfigurableDefault[float](
    key="dosing.iv.infusion_minutes",
    label="IV infusion duration",
    value=_IV_INFUSION_MINUTES,
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
        if _decimal(value) < _decimal(self.low):
            side = "below"
        elif _decimal(value) > _decimal(self.high):
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


# ---------------------------------------------------------------------------------------------
# Rounding and serialisation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rounding:
    """Steps each reported number is rounded to, half-up, once at the end of the calculation.

    ``dose_mg`` 0.1 mg (use 1.0 to round to whole mg), ``volume_ml`` 0.01 mL (drug and bag
    volumes), ``rate_ml_per_h`` 0.1 mL/h (pump rate), ``weight_kg`` 0.1 kg (displayed weights and
    BMI only: the dose is computed from the unrounded weight, so a hand check from the displayed
    weight can differ by one dose step).
    """

    dose_mg: float = 0.1
    volume_ml: float = 0.01
    rate_ml_per_h: float = 0.1
    weight_kg: float = 0.1

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            step = getattr(self, item.name)
            if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
                raise ClinicalRuleError(f"Rounding step {item.name} must be positive, got {step}")


DEFAULT_ROUNDING: Final = Rounding()


def _decimal(value: float) -> Decimal:
    """The value read to 12 significant digits, which drops binary floating-point noise."""
    return Decimal(f"{value:.12g}")


def round_half_up(value: float, step: float) -> float:
    """Round ``value`` to the nearest multiple of ``step``; exact halves go up (36.65 → 36.7)."""
    step_d = _decimal(step)
    return float((_decimal(value) / step_d).to_integral_value(rounding=ROUND_HALF_UP) * step_d)


def _round_not_above(value: float, step: float, cap: float | None) -> float:
    """Round half-up, except never above ``cap`` (then round down to the step below the cap)."""
    rounded = round_half_up(value, step)
    if cap is not None and _decimal(rounded) > _decimal(cap):
        step_d = _decimal(step)
        return float((_decimal(cap) / step_d).to_integral_value(rounding=ROUND_FLOOR) * step_d)
    return rounded


def to_plain(value: object) -> object:
    """JSON-ready form of a result: dataclasses → dicts, enums → values, dates → ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [to_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    return value


class _ToDict:
    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of every field (see ``to_plain``)."""
        plain = to_plain(self)
        assert isinstance(plain, dict)
        return plain


def _positive(name: str, value: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClinicalRuleError(f"{name} must be a number in {unit}, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ClinicalRuleError(f"{name} must be a positive number of {unit}, got {value}")
    return float(value)


def _above(value: float, limit: float) -> bool:
    return _decimal(value) > _decimal(limit)


# ---------------------------------------------------------------------------------------------
# Dosing weight
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyMeasurements:
    """What dosing needs to know about the patient's body; height and sex only for IBW / BMI."""

    weight_kg: float
    height_cm: float | None = None
    sex: str | None = None

    def __post_init__(self) -> None:
        _positive("Weight", self.weight_kg, "kg")
        if self.height_cm is not None:
            _positive("Height", self.height_cm, "cm")


@dataclass(frozen=True)
class DosingWeight(_ToDict):
    """The weight a mg/kg dose is multiplied by, and why. Weights here are unrounded."""

    basis: DosingWeightBasis
    weight_kg: float
    actual_weight_kg: float
    ideal_weight_kg: float | None
    adjusted_weight_kg: float | None
    bmi_kg_m2: float | None
    ibw_suggested: bool  # BMI (to 0.1) ≥ the offer threshold: the APA suggestion applies (S9)
    warnings: tuple[str, ...]


def dosing_weight(
    *,
    body: BodyMeasurements,
    basis: DosingWeightBasis | str = DosingWeightBasis.ACTUAL,
    ibw_offer_bmi_kg_m2: float = _IBW_OFFER_BMI_KG_M2,
    adjusted_factor: float | None = None,
) -> DosingWeight:
    """Choose the dosing weight on ``basis``; flag BMI ≥ 30 (IBW suggested, S9) and oddities.

    The BMI comparison uses BMI rounded to 0.1, the figure the screen shows, so "BMI 30.0" always
    triggers the suggestion.
    """
    basis = _basis(basis)
    threshold = IBW_OFFER_BMI_KG_M2.resolve(ibw_offer_bmi_kg_m2)
    factor = ADJUSTED_BODY_WEIGHT_FACTOR.resolve(adjusted_factor)
    actual = body.weight_kg
    needs_ideal = basis is not DosingWeightBasis.ACTUAL
    if needs_ideal and body.height_cm is None:
        raise ClinicalRuleError(
            f"Dosing on {basis.value} body weight needs the patient's height; none is recorded."
        )
    if needs_ideal:
        normalise_sex(body.sex)  # raises with the Devine explanation

    warnings: list[str] = []
    bmi = None if body.height_cm is None else bmi_kg_m2(weight_kg=actual, height_cm=body.height_cm)
    ideal: float | None = None
    if (
        body.height_cm is not None
        and isinstance(body.sex, str)
        and body.sex.strip().lower() in SEXES
    ):
        ideal = ideal_body_weight_kg(height_cm=body.height_cm, sex=body.sex)
    adjusted = (
        None
        if ideal is None
        else adjusted_body_weight_kg(weight_kg=actual, ideal_kg=ideal, factor=factor)
    )
    suggested = bmi is not None and round_half_up(bmi, 0.1) >= threshold  # source: S9

    if bmi is None:
        warnings.append(
            "Height not recorded: BMI not computed, so the suggestion to dose on ideal body "
            f"weight when BMI ≥ {threshold:g} (S9) could not be checked."
        )
    elif suggested and basis is DosingWeightBasis.ACTUAL:
        offer = (
            f"ideal body weight ({ideal:.1f} kg)"
            if ideal is not None
            else "ideal body weight (not computable: sex not recorded as female or male)"
        )
        warnings.append(
            f"BMI {round_half_up(bmi, 0.1):.1f} ≥ {threshold:g}: the APA consensus suggested "
            f"dosing on {offer} (S9). This dose uses actual body weight per protocol."
        )
    if needs_ideal and ideal is not None and body.height_cm is not None:
        if body.height_cm < DEVINE_BASE_HEIGHT_CM:
            warnings.append(
                f"Height {body.height_cm:g} cm is under 5 ft (152.4 cm): the Devine formula was "
                "extrapolated below its base; confirm the dosing weight."
            )
        if ideal > actual:
            warnings.append(
                f"Ideal body weight ({ideal:.1f} kg) exceeds actual weight ({actual:.1f} kg): "
                f"dosing on {basis.value} weight gives a higher dose than actual weight would."
            )
    chosen = {
        DosingWeightBasis.ACTUAL: actual,
        DosingWeightBasis.IDEAL: ideal,
        DosingWeightBasis.ADJUSTED: adjusted,
    }[basis]
    assert chosen is not None
    return DosingWeight(
        basis=basis,
        weight_kg=chosen,
        actual_weight_kg=actual,
        ideal_weight_kg=ideal,
        adjusted_weight_kg=adjusted,
        bmi_kg_m2=bmi,
        ibw_suggested=suggested,
        warnings=tuple(warnings),
    )


def _basis(value: DosingWeightBasis | str) -> DosingWeightBasis:
    """The basis as an enum; anything but actual / ideal / adjusted is refused."""
    return DosingWeightBasis(DOSING_WEIGHT_BASIS.validate(str(value)))


def _maybe_round(value: float | None, step: float) -> float | None:
    return None if value is None else round_half_up(value, step)


# ---------------------------------------------------------------------------------------------
# IV racemic ketamine (depression)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IvProtocol:
    """A clinic's IV protocol; every value is checked against the reference bounds on creation."""

    weight_basis: DosingWeightBasis = DosingWeightBasis.ACTUAL  # source: S9 (§1.3)
    max_mg_per_kg: float = _IV_MAX_MG_PER_KG  # source: S1, S4
    standard_mg_per_kg: float = _IV_STANDARD_MG_PER_KG  # source: S1, S2, S3
    usual_range: UsualRange = IV_USUAL_RANGE  # source: S1
    infusion_minutes: float = _IV_INFUSION_MINUTES  # source: S1, S2
    max_session_dose_mg: float | None = None  # optional clinic cap; reference silent
    ibw_offer_bmi_kg_m2: float = _IBW_OFFER_BMI_KG_M2  # source: S9
    adjusted_weight_factor: float | None = None  # None: reference default 0.4 (unverified)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_basis", _basis(self.weight_basis))
        IV_MAX_MG_PER_KG.validate(_positive("IV maximum", self.max_mg_per_kg, "mg/kg"))
        IV_STANDARD_MG_PER_KG.validate(_positive("Standard dose", self.standard_mg_per_kg, "mg/kg"))
        IV_INFUSION_MINUTES.validate(float(self.infusion_minutes))
        IBW_OFFER_BMI_KG_M2.validate(_positive("BMI threshold", self.ibw_offer_bmi_kg_m2, "kg/m²"))
        if self.adjusted_weight_factor is not None:
            ADJUSTED_BODY_WEIGHT_FACTOR.validate(self.adjusted_weight_factor)
        if self.max_session_dose_mg is not None:
            _positive("IV maximum dose per session", self.max_session_dose_mg, "mg")
        if _above(self.standard_mg_per_kg, self.max_mg_per_kg):
            raise ClinicalRuleError(
                f"Standard dose {self.standard_mg_per_kg:g} mg/kg is above this protocol's "
                f"maximum {self.max_mg_per_kg:g} mg/kg"
            )
        if _above(self.usual_range.high, self.max_mg_per_kg):
            raise ClinicalRuleError(
                f"Usual range up to {self.usual_range.high:g} mg/kg is above this protocol's "
                f"maximum {self.max_mg_per_kg:g} mg/kg"
            )


DEFAULT_IV_PROTOCOL: Final = IvProtocol()


@dataclass(frozen=True, kw_only=True)
class IvDose(_ToDict):
    """One IV infusion: the mg total, what to draw up, and the pump rate.

    ``dose_mg`` is the session total: ``dose_mg_per_kg`` × the dosing weight on ``basis``, rounded
    to ``Rounding.dose_mg`` (never above the protocol maximum). It excludes any bolus, priming or
    line dead space. ``volume_ml`` is the drug volume drawn from the vial at
    ``concentration_mg_per_ml``. ``infused_volume_ml`` is the bag's total volume after the drug is
    added, all of which runs at ``rate_ml_per_h`` over ``infusion_minutes``. Weights and BMI are
    display values rounded to ``Rounding.weight_kg``; the dose uses the unrounded weight.
    """

    dose_mg: float
    dose_mg_per_kg: float
    basis: DosingWeightBasis
    dosing_weight_kg: float
    actual_weight_kg: float
    ideal_weight_kg: float | None
    bmi_kg_m2: float | None
    ibw_suggested: bool
    concentration_mg_per_ml: float
    volume_ml: float
    infused_volume_ml: float
    bag_volume_includes_drug: bool
    infusion_minutes: float
    rate_ml_per_h: float
    dose_rate_mg_per_h: float
    max_mg_per_kg: float
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def _mg_per_kg_refusal(dose: float, maximum: float, route: str, sources: str) -> DoseRefused:
    return DoseRefused(
        f"{route} dose {dose:g} mg/kg is above this protocol's maximum of {maximum:g} mg/kg "
        f"({sources}). Lower the dose, or ask the medical director to review the protocol."
    )


def _check_session_cap(exact_mg: float, cap_mg: float | None, route: str) -> None:
    if cap_mg is not None and _above(exact_mg, cap_mg):
        raise DoseRefused(
            f"{route} dose {exact_mg:.1f} mg is above the clinic's maximum of {cap_mg:g} mg per "
            "session. Lower the dose, or ask the medical director to review the protocol."
        )


def iv_dose(
    *,
    body: BodyMeasurements,
    dose_mg_per_kg: float,
    concentration_mg_per_ml: float,
    bag_volume_ml: float,
    bag_volume_includes_drug: bool,
    infusion_minutes: float | None = None,
    protocol: IvProtocol = DEFAULT_IV_PROTOCOL,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> IvDose:
    """Compute an IV infusion; refuse above the protocol maximum, warn outside the usual range.

    ``bag_volume_includes_drug``: True when ``bag_volume_ml`` is already the bag's total after
    the drug is added (e.g. an equal volume of diluent was withdrawn first); False when the drug
    volume is added on top of ``bag_volume_ml``. ``infusion_minutes`` None uses the protocol's
    duration (40 min by default, S1 S2); any value must lie within 2–100 min (S1).
    """
    mg_per_kg = _positive("IV dose", dose_mg_per_kg, "mg/kg")
    concentration = _positive("Concentration", concentration_mg_per_ml, "mg/mL")
    bag = _positive("Bag volume", bag_volume_ml, "mL")
    minutes = IV_INFUSION_MINUTES.resolve(
        float(protocol.infusion_minutes if infusion_minutes is None else infusion_minutes)
    )
    if _above(mg_per_kg, protocol.max_mg_per_kg):  # source: S1, S4
        raise _mg_per_kg_refusal(mg_per_kg, protocol.max_mg_per_kg, "IV", "S1, S4")
    weight = dosing_weight(
        body=body,
        basis=protocol.weight_basis,
        ibw_offer_bmi_kg_m2=protocol.ibw_offer_bmi_kg_m2,
        adjusted_factor=protocol.adjusted_weight_factor,
    )
    exact_mg = mg_per_kg * weight.weight_kg
    _check_session_cap(exact_mg, protocol.max_session_dose_mg, "IV")
    cap_mg = protocol.max_mg_per_kg * weight.weight_kg
    if protocol.max_session_dose_mg is not None:
        cap_mg = min(cap_mg, protocol.max_session_dose_mg)

    drug_ml = exact_mg / concentration
    if bag_volume_includes_drug and drug_ml > bag:
        raise ClinicalRuleError(
            f"The bag's total volume ({bag:g} mL) cannot be smaller than the drug volume "
            f"({drug_ml:.2f} mL) it includes."
        )
    infused_ml = bag if bag_volume_includes_drug else bag + drug_ml
    dose_mg = _round_not_above(exact_mg, rounding.dose_mg, cap_mg)
    if dose_mg <= 0:
        raise DoseRefused(f"The dose rounds to 0 mg at a {rounding.dose_mg:g} mg step.")

    warnings = list(weight.warnings)
    usual = protocol.usual_range.warning(mg_per_kg, what="IV dose")  # source: S1
    if usual is not None:
        warnings.append(usual)
    return IvDose(
        dose_mg=dose_mg,
        dose_mg_per_kg=mg_per_kg,
        basis=weight.basis,
        dosing_weight_kg=round_half_up(weight.weight_kg, rounding.weight_kg),
        actual_weight_kg=round_half_up(weight.actual_weight_kg, rounding.weight_kg),
        ideal_weight_kg=_maybe_round(weight.ideal_weight_kg, rounding.weight_kg),
        bmi_kg_m2=_maybe_round(weight.bmi_kg_m2, 0.1),
        ibw_suggested=weight.ibw_suggested,
        concentration_mg_per_ml=concentration,
        volume_ml=_round_not_above(drug_ml, rounding.volume_ml, cap_mg / concentration),
        infused_volume_ml=round_half_up(infused_ml, rounding.volume_ml),
        bag_volume_includes_drug=bag_volume_includes_drug,
        infusion_minutes=minutes,
        rate_ml_per_h=round_half_up(infused_ml / minutes * 60.0, rounding.rate_ml_per_h),
        dose_rate_mg_per_h=round_half_up(exact_mg / minutes * 60.0, rounding.dose_mg),
        max_mg_per_kg=protocol.max_mg_per_kg,
        warnings=tuple(warnings),
        sources=("S1", "S2", "S4", "S9"),
    )


# ---------------------------------------------------------------------------------------------
# IM racemic ketamine
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ImProtocol:
    """A clinic's IM protocol. ``max_mg_per_kg`` has no reference default: it must be set."""

    max_mg_per_kg: float | None = None  # required clinic setting; reference silent
    weight_basis: DosingWeightBasis = DosingWeightBasis.ACTUAL  # source: S9 (§1.3)
    usual_range: UsualRange = IM_USUAL_RANGE  # source: §1.2 [memory, verify]
    max_session_dose_mg: float | None = None  # optional clinic cap; reference silent
    ibw_offer_bmi_kg_m2: float = _IBW_OFFER_BMI_KG_M2  # source: S9
    adjusted_weight_factor: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_basis", _basis(self.weight_basis))
        if self.max_mg_per_kg is not None:
            IM_MAX_MG_PER_KG.validate(_positive("IM maximum", self.max_mg_per_kg, "mg/kg"))
        if self.max_session_dose_mg is not None:
            _positive("IM maximum dose per session", self.max_session_dose_mg, "mg")


@dataclass(frozen=True, kw_only=True)
class ImDose(_ToDict):
    """One IM injection. ``dose_mg`` is the total injected; ``dose_mg_per_kg`` is on the dosing
    weight (for a fixed-mg order it is derived: mg ÷ dosing weight). Excludes any other route."""

    dose_mg: float
    dose_mg_per_kg: float
    prescribed_as: str  # "mg_per_kg" or "fixed_mg"
    basis: DosingWeightBasis
    dosing_weight_kg: float
    concentration_mg_per_ml: float
    volume_ml: float
    max_mg_per_kg: float
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def im_dose(
    *,
    body: BodyMeasurements,
    concentration_mg_per_ml: float,
    protocol: ImProtocol,
    dose_mg_per_kg: float | None = None,
    fixed_dose_mg: float | None = None,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> ImDose:
    """Compute an IM dose from mg/kg or a fixed mg (exactly one); refuse above the maximum."""
    if (dose_mg_per_kg is None) == (fixed_dose_mg is None):
        raise ClinicalRuleError("An IM order gives either a dose in mg/kg or a fixed dose in mg.")
    maximum = IM_MAX_MG_PER_KG.resolve(protocol.max_mg_per_kg)
    concentration = _positive("Concentration", concentration_mg_per_ml, "mg/mL")
    weight = dosing_weight(
        body=body,
        basis=protocol.weight_basis,
        ibw_offer_bmi_kg_m2=protocol.ibw_offer_bmi_kg_m2,
        adjusted_factor=protocol.adjusted_weight_factor,
    )
    if dose_mg_per_kg is not None:
        mg_per_kg = _positive("IM dose", dose_mg_per_kg, "mg/kg")
        exact_mg = mg_per_kg * weight.weight_kg
    else:
        exact_mg = _positive("IM dose", float(fixed_dose_mg or 0.0), "mg")
        mg_per_kg = exact_mg / weight.weight_kg
    if _above(mg_per_kg, maximum):
        raise _mg_per_kg_refusal(round_half_up(mg_per_kg, 0.01), maximum, "IM", "clinic setting")
    _check_session_cap(exact_mg, protocol.max_session_dose_mg, "IM")
    cap_mg = maximum * weight.weight_kg
    if protocol.max_session_dose_mg is not None:
        cap_mg = min(cap_mg, protocol.max_session_dose_mg)
    dose_mg = _round_not_above(exact_mg, rounding.dose_mg, cap_mg)
    if dose_mg <= 0:
        raise DoseRefused(f"The dose rounds to 0 mg at a {rounding.dose_mg:g} mg step.")
    warnings = list(weight.warnings)
    usual = protocol.usual_range.warning(round_half_up(mg_per_kg, 0.01), what="IM dose")
    if usual is not None:
        warnings.append(usual)
    return ImDose(
        dose_mg=dose_mg,
        dose_mg_per_kg=round_half_up(mg_per_kg, 0.01) if fixed_dose_mg is not None else mg_per_kg,
        prescribed_as="mg_per_kg" if dose_mg_per_kg is not None else "fixed_mg",
        basis=weight.basis,
        dosing_weight_kg=round_half_up(weight.weight_kg, rounding.weight_kg),
        concentration_mg_per_ml=concentration,
        volume_ml=_round_not_above(
            exact_mg / concentration, rounding.volume_ml, cap_mg / concentration
        ),
        max_mg_per_kg=maximum,
        warnings=tuple(warnings),
        sources=("S1", "§1.2"),
    )


# ---------------------------------------------------------------------------------------------
# Sublingual and oral racemic ketamine (fixed mg per session)
# ---------------------------------------------------------------------------------------------


class TransmucosalRoute(enum.StrEnum):
    SUBLINGUAL = "sublingual"
    ORAL = "oral"


@dataclass(frozen=True, kw_only=True)
class TransmucosalProtocol:
    """A sublingual or oral protocol. ``max_session_dose_mg`` has no reference default."""

    key: str
    route: TransmucosalRoute
    max_session_dose_mg: float | None = None  # required clinic setting; reference silent
    usual_range_mg: UsualRange | None = None
    usual_range_mg_per_kg: UsualRange | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", TransmucosalRoute(self.route))
        if self.max_session_dose_mg is not None:
            TRANSMUCOSAL_MAX_SESSION_DOSE_MG.validate(
                _positive("Maximum dose per session", self.max_session_dose_mg, "mg")
            )


SUBLINGUAL_CLINIC_PROTOCOL: Final = TransmucosalProtocol(
    key="sublingual-clinic",
    route=TransmucosalRoute.SUBLINGUAL,
    note=(
        "Lara 2013: very-low-dose 10 mg from a 100 mg/mL solution, held 5 min then swallowed; "
        "SL bioavailability ≈ 30 % (S33). No usual range in the reference."
    ),
)
SUBLINGUAL_HOME_PROTOCOL: Final = TransmucosalProtocol(
    key="sublingual-home",
    route=TransmucosalRoute.SUBLINGUAL,
    usual_range_mg=SUBLINGUAL_HOME_USUAL_RANGE_MG,
    note="At-home telehealth tablets/troches (S34); dose levels unverified.",
)
ORAL_PROTOCOL: Final = TransmucosalProtocol(
    key="oral",
    route=TransmucosalRoute.ORAL,
    usual_range_mg=ORAL_USUAL_RANGE_MG,
    usual_range_mg_per_kg=ORAL_USUAL_RANGE_MG_PER_KG,
    note="Oral bioavailability ≈ 17–25 % (S32, S115); ~2.0–2.5 mg/kg oral ≈ IV (S32).",
)


@dataclass(frozen=True, kw_only=True)
class TransmucosalDose(_ToDict):
    """One sublingual or oral session. ``dose_mg`` is the total for the session (tablets or troches:
    strength × count; solution: as ordered) as administered, not the absorbed amount."""

    route: TransmucosalRoute
    dose_mg: float
    unit_strength_mg: float | None
    unit_count: int | None
    concentration_mg_per_ml: float | None
    volume_ml: float | None
    dose_mg_per_kg: float | None
    max_session_dose_mg: float
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def transmucosal_dose(
    *,
    protocol: TransmucosalProtocol,
    unit_strength_mg: float | None = None,
    unit_count: int | None = None,
    dose_mg: float | None = None,
    concentration_mg_per_ml: float | None = None,
    weight_kg: float | None = None,
    rounding: Rounding = DEFAULT_ROUNDING,
) -> TransmucosalDose:
    """A sublingual/oral session dose: tablets (strength × count) or a solution dose in mg."""
    by_units = unit_strength_mg is not None or unit_count is not None
    if by_units == (dose_mg is not None):
        raise ClinicalRuleError(
            "Give either a tablet/troche strength and count, or a dose in mg (solution)."
        )
    maximum = TRANSMUCOSAL_MAX_SESSION_DOSE_MG.resolve(protocol.max_session_dose_mg)
    if by_units:
        strength = _positive("Tablet/troche strength", float(unit_strength_mg or 0.0), "mg")
        if isinstance(unit_count, bool) or not isinstance(unit_count, int) or unit_count < 1:
            raise ClinicalRuleError(f"Tablet/troche count must be a whole number ≥ 1: {unit_count}")
        exact_mg = strength * unit_count
    else:
        exact_mg = _positive("Dose", float(dose_mg or 0.0), "mg")
    if _above(exact_mg, maximum):
        raise DoseRefused(
            f"{protocol.route.value.capitalize()} dose {exact_mg:g} mg is above the clinic's "
            f"maximum of {maximum:g} mg per session. Lower the dose, or ask the medical director "
            "to review the protocol."
        )
    warnings: list[str] = []
    what = f"{protocol.route.value.capitalize()} dose"
    if protocol.usual_range_mg is not None:
        warning = protocol.usual_range_mg.warning(exact_mg, what=what)
        warnings += [warning] if warning else []
    mg_per_kg = None
    if weight_kg is not None:
        mg_per_kg = exact_mg / _positive("Weight", weight_kg, "kg")
        if protocol.usual_range_mg_per_kg is not None:
            rounded_mg_per_kg = round_half_up(mg_per_kg, 0.01)
            warning = protocol.usual_range_mg_per_kg.warning(rounded_mg_per_kg, what=what)
            warnings += [warning] if warning else []
    volume = None
    if concentration_mg_per_ml is not None:
        concentration = _positive("Concentration", concentration_mg_per_ml, "mg/mL")
        volume = _round_not_above(
            exact_mg / concentration, rounding.volume_ml, maximum / concentration
        )
    sources = {TransmucosalRoute.SUBLINGUAL: ("S33", "S34"), TransmucosalRoute.ORAL: ("S32",)}
    return TransmucosalDose(
        route=protocol.route,
        dose_mg=_round_not_above(exact_mg, rounding.dose_mg, maximum),
        unit_strength_mg=float(unit_strength_mg) if unit_strength_mg is not None else None,
        unit_count=unit_count,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=volume,
        dose_mg_per_kg=None if mg_per_kg is None else round_half_up(mg_per_kg, 0.01),
        max_session_dose_mg=maximum,
        warnings=tuple(warnings),
        notes=(protocol.note,) if protocol.note else (),
        sources=sources[protocol.route],
    )


# ---------------------------------------------------------------------------------------------
# Esketamine nasal spray (Spravato)
# ---------------------------------------------------------------------------------------------

ESKETAMINE_DEVICE_MG: Final = 28  # source: S45
ESKETAMINE_DEVICE_VOLUME_ML: Final = 0.2  # source: S45
ESKETAMINE_SPRAYS_PER_DEVICE: Final = 2  # one per nostril  # source: S45
ESKETAMINE_MINUTES_BETWEEN_DEVICES: Final = 5  # source: S11, S46
ESKETAMINE_STEP_MG: Final = 28  # dose changes in 28 mg steps  # source: S46
ESKETAMINE_ELDERLY_AGE_YEARS: Final = 65  # EU/HK 28 mg start  # source: S46


class EsketamineIndication(enum.StrEnum):
    TRD = "trd"  # treatment-resistant depression  # source: S47, S48
    MDSI = "mdsi"  # MDD with acute suicidal ideation or behaviour  # source: S49


@dataclass(frozen=True, kw_only=True)
class EsketamineProtocol:
    """Clinic options for esketamine. 28 mg is off unless the clinic enables the EU/HK elderly
    start (S46); the US label starts all adults at 56 mg (that US detail is unverified)."""

    allow_28_mg_elderly_start: bool = False


DEFAULT_ESKETAMINE_PROTOCOL: Final = EsketamineProtocol()


@dataclass(frozen=True)
class DeviceStep:
    """One 28 mg device: 2 sprays (one per nostril), ``offset_minutes`` after the first device."""

    device_number: int
    offset_minutes: int
    sprays: int
    at: datetime | None


@dataclass(frozen=True, kw_only=True)
class EsketamineDose(_ToDict):
    """One esketamine session: ``dose_mg`` is the total of all devices (28 mg each)."""

    dose_mg: int
    devices: int
    volume_ml: float
    indication: EsketamineIndication
    schedule: tuple[DeviceStep, ...]
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def esketamine_dose(
    *,
    dose_mg: int,
    indication: EsketamineIndication | str,
    previous_dose_mg: int | None,
    age_years: int | None = None,
    protocol: EsketamineProtocol = DEFAULT_ESKETAMINE_PROTOCOL,
    first_device_at: datetime | None = None,
) -> EsketamineDose:
    """Check an esketamine dose against the label rules and lay out the device schedule.

    ``previous_dose_mg`` is the last dose of this course, None for the course's first dose.
    TRD: first dose 56 mg; 84 mg only after a 56 mg start (S11); changes in 28 mg steps (S46).
    MDSI: 84 mg, may reduce to 56 mg for tolerability (S49, S51). Devices 5 min apart (S11, S46).
    """
    indication = EsketamineIndication(indication)
    if isinstance(dose_mg, bool) or not isinstance(dose_mg, (int, float)):
        raise ClinicalRuleError(f"Esketamine dose must be a number of mg, got {dose_mg!r}")
    warnings: list[str] = []
    allowed = {56, 84}  # source: S11, S46
    if indication is EsketamineIndication.TRD and protocol.allow_28_mg_elderly_start:
        allowed.add(28)  # source: S46 (EU/HK label)
    if previous_dose_mg is not None and previous_dose_mg not in {28, 56, 84}:
        raise ClinicalRuleError(f"Previous esketamine dose {previous_dose_mg} mg is not 28/56/84.")
    if dose_mg not in allowed:
        raise DoseRefused(_esketamine_not_allowed(dose_mg, indication, protocol))
    if dose_mg == 28:
        if age_years is None or age_years < ESKETAMINE_ELDERLY_AGE_YEARS:
            raise DoseRefused(
                f"28 mg is the EU/HK label's start dose for patients aged "
                f"{ESKETAMINE_ELDERLY_AGE_YEARS} or over (S46); this patient's age is "
                f"{'not recorded' if age_years is None else age_years}."
            )
        warnings.append(
            "28 mg: EU/HK label start for patients ≥ 65 (S46); the US label uses 56 mg for all "
            "adults (US detail unverified)."
        )
    if previous_dose_mg is None:
        if indication is EsketamineIndication.TRD and dose_mg == 84:  # source: S11
            raise DoseRefused(
                "The first esketamine dose of a course is 56 mg; 84 mg only after a 56 mg start "
                "(S11)."
            )
        if indication is EsketamineIndication.MDSI and dose_mg == 56:  # source: S49, S51
            warnings.append(
                "MDSI label dose is 84 mg twice weekly; 56 mg is the reduction for tolerability "
                "(S49, S51)."
            )
    elif abs(dose_mg - previous_dose_mg) > ESKETAMINE_STEP_MG:  # source: S46
        raise DoseRefused(
            f"Esketamine doses change in 28 mg steps (S46): {previous_dose_mg} mg → {dose_mg} mg "
            f"skips a step; go to {previous_dose_mg + (28 if dose_mg > previous_dose_mg else -28)} "
            "mg first."
        )
    dose_mg = int(dose_mg)
    devices = dose_mg // ESKETAMINE_DEVICE_MG
    schedule = tuple(
        DeviceStep(
            device_number=number + 1,
            offset_minutes=number * ESKETAMINE_MINUTES_BETWEEN_DEVICES,  # source: S11, S46
            sprays=ESKETAMINE_SPRAYS_PER_DEVICE,
            at=None
            if first_device_at is None
            else first_device_at + timedelta(minutes=number * ESKETAMINE_MINUTES_BETWEEN_DEVICES),
        )
        for number in range(devices)
    )
    return EsketamineDose(
        dose_mg=dose_mg,
        devices=devices,
        volume_ml=round_half_up(devices * ESKETAMINE_DEVICE_VOLUME_ML, 0.01),
        indication=indication,
        schedule=schedule,
        warnings=tuple(warnings),
        sources=("S11", "S45", "S46")
        + (("S49", "S51") if indication is EsketamineIndication.MDSI else ()),
    )


def _esketamine_not_allowed(
    dose_mg: int, indication: EsketamineIndication, protocol: EsketamineProtocol
) -> str:
    if dose_mg == 28 and indication is EsketamineIndication.TRD:
        return (
            "28 mg is not enabled: the US label uses 56 mg for all adults (unverified detail); "
            "the clinic may enable the EU/HK 28 mg start for patients ≥ 65 (S46)."
        )
    if dose_mg == 28:
        return "28 mg is not a dose for the MDSI indication: 84 mg, or 56 mg for tolerability."
    return (
        f"Esketamine {dose_mg} mg is not a permitted dose: 56 mg (2 devices) or 84 mg "
        f"(3 devices) of 28 mg each (S11, S45, S46)."
    )


# ---------------------------------------------------------------------------------------------
# Titration between sessions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TitrationCheck(_ToDict):
    """A checked change of IV mg/kg between sessions. No step-size limit is applied: the
    reference's step sizes are unverified (§1.1), so the prescriber's documented reason decides."""

    previous_dose_mg_per_kg: float
    new_dose_mg_per_kg: float
    change_mg_per_kg: float
    direction: str  # "increase", "decrease" or "unchanged"
    reason: str
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=("S1",))


def check_titration(
    *,
    previous_dose_mg_per_kg: float,
    new_dose_mg_per_kg: float,
    reason: str | None,
    protocol: IvProtocol = DEFAULT_IV_PROTOCOL,
) -> TitrationCheck:
    """Accept a dose change only with a documented reason; refuse above the protocol maximum."""
    previous = _positive("Previous dose", previous_dose_mg_per_kg, "mg/kg")
    new = _positive("New dose", new_dose_mg_per_kg, "mg/kg")
    change = float(_decimal(new) - _decimal(previous))
    direction = "unchanged" if change == 0 else ("increase" if change > 0 else "decrease")
    text = (reason or "").strip()
    if direction != "unchanged" and not text:
        raise TitrationRefused(
            f"Changing the dose from {previous:g} to {new:g} mg/kg needs a documented reason "
            "(e.g. partial response after 3 sessions, or side effects)."
        )
    if _above(new, protocol.max_mg_per_kg):  # source: S1, S4
        raise _mg_per_kg_refusal(new, protocol.max_mg_per_kg, "IV", "S1, S4")
    usual = protocol.usual_range.warning(new, what="New IV dose")
    return TitrationCheck(
        previous_dose_mg_per_kg=previous,
        new_dose_mg_per_kg=new,
        change_mg_per_kg=change,
        direction=direction,
        reason=text,
        warnings=(usual,) if usual else (),
    )
