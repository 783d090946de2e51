"""Billing arithmetic: poverty-guideline percentages, sliding-scale fees, CPT/HCPCS codes and units
for a session. The running balance of a patient account is in ``ketacare.clinical.patient_account``.

Facts come from ``shared/clinical-reference.md`` §9 and §9.1. The CPT timing rules, the IM/SC
injection code and the ketamine drug code are tagged ``[memory, verify]`` there, and the
esketamine drug code after 2025 is ``[weak]``: they carry ``Provenance(verified=False)`` and the
billing reviewer must confirm them with the payer. Sliding-scale bands are clinic policy.

Money is ``Decimal`` in dollars, never float: inputs must already be whole cents; computed amounts
are rounded to the cent half-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType

from ketacare.clinical.common import ClinicalRuleError, Provenance, Route

Number = Decimal | int | float
CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_MEMORY = "tagged [memory, verify] in reference §9"

# --- HHS poverty guidelines (§9.1) ---------------------------------------------------------------


@dataclass(frozen=True)
class PovertyGuideline:
    """One year's HHS poverty guideline for one region: first person plus each additional one."""

    year: int
    region: str
    region_label: str
    first_person_usd: int
    each_additional_person_usd: int
    provenance: Provenance

    def for_household(self, household_size: int) -> int:
        return self.first_person_usd + self.each_additional_person_usd * (household_size - 1)


_FR_2025 = "Federal Register 2025-01377, effective 15 Jan 2025"
# Year-versioned: HHS publishes each year's guideline in January; a missing year is refused.
POVERTY_GUIDELINES: Mapping[int, Mapping[str, PovertyGuideline]] = MappingProxyType({
    2025: MappingProxyType({
        "contiguous": PovertyGuideline(  # 48 contiguous states + DC. source: S24, S25
            2025, "contiguous", "contiguous states", 15_650, 5_500,
            Provenance(("S24", "S25"), note=_FR_2025),
        ),
        "alaska": PovertyGuideline(  # source: §9.1 [memory, verify]
            2025, "alaska", "Alaska", 19_550, 6_880,
            Provenance(("§9.1",), verified=False, note="Alaska row tagged [memory, verify]"),
        ),
        "hawaii": PovertyGuideline(  # source: §9.1 [memory, verify]
            2025, "hawaii", "Hawaii", 17_990, 6_330,
            Provenance(("§9.1",), verified=False, note="Hawaii row tagged [memory, verify]"),
        ),
    }),
})


def poverty_guideline(*, year: int, region: str) -> PovertyGuideline:
    """The guideline in the table for ``year`` and ``region``; anything else is refused."""
    _whole(year, "Guideline year", minimum=None)
    if year not in POVERTY_GUIDELINES:
        known = ", ".join(str(y) for y in sorted(POVERTY_GUIDELINES))
        raise ClinicalRuleError(
            f"There is no poverty guideline table for {year} (tables: {known}); add that year's "
            "HHS guideline before using it"
        )
    regions = POVERTY_GUIDELINES[year]
    if region not in regions:
        raise ClinicalRuleError(
            f"There is no {year} poverty guideline for region {region!r}; expected one of "
            f"{', '.join(regions)}"
        )
    return regions[region]


@dataclass(frozen=True)
class FplAssessment:
    """A household's income against the guideline: what a sliding-scale statement shows."""

    annual_income: Decimal
    household_size: int
    guideline: PovertyGuideline
    percent: float

    def describe(self) -> str:
        return (
            f"Household of {self.household_size} at {_percent_text(self.percent)} % of the "
            f"{self.guideline.year} poverty guideline ({self.guideline.region_label})"
        )


def fpl_assessment(
    *, annual_income: Number, household_size: int, year: int = 2025, region: str = "contiguous"
) -> FplAssessment:
    """Household income as a percentage of the guideline, with the guideline and its provenance.

    FPG% = 100 × annual household income ÷ (base + increment × (n − 1)). source: §9.1
    """
    income = _number(annual_income, "Annual household income")
    if income < 0:
        raise ClinicalRuleError(f"Annual household income cannot be negative (got {income})")
    _whole(household_size, "Household size", minimum=1)
    guideline = poverty_guideline(year=year, region=region)
    percent = float(_HUNDRED * income / guideline.for_household(household_size))
    return FplAssessment(income, household_size, guideline, percent)


def fpl_percent(
    *, annual_income: Number, household_size: int, year: int = 2025, region: str = "contiguous"
) -> float:
    """Household income as a percentage of the HHS poverty guideline (unrounded)."""
    return fpl_assessment(
        annual_income=annual_income, household_size=household_size, year=year, region=region
    ).percent


# --- Sliding scale: clinic policy (§9.1) ---------------------------------------------------------


@dataclass(frozen=True)
class SlidingScaleBand:
    """FPL% above ``above_percent`` up to and including ``up_to_percent`` (None: no upper bound).

    The first band starts at 0 % and includes 0 % (no income). Exactly one of ``discount_percent``
    (off the service price) or ``fixed_fee`` (charged instead of the price, never above it).
    """

    label: str
    above_percent: Decimal
    up_to_percent: Decimal | None
    discount_percent: Decimal | None = None
    fixed_fee: Decimal | None = None

    def __post_init__(self) -> None:  # form values: numbers for percentages, Decimal dollars
        what = f"Band ‘{self.label}’"
        for name, label in (("above_percent", "lower bound"), ("up_to_percent", "upper bound"),
                            ("discount_percent", "discount")):
            if name == "above_percent" or getattr(self, name) is not None:
                object.__setattr__(self, name, _number(getattr(self, name), f"{what} {label}"))
        if self.fixed_fee is not None:
            object.__setattr__(self, "fixed_fee", money(self.fixed_fee, f"{what} fixed fee"))

    def fee_for(self, price: Decimal) -> Decimal:
        if self.fixed_fee is not None:
            return min(self.fixed_fee, price)
        assert self.discount_percent is not None
        return _cents(price * (_HUNDRED - self.discount_percent) / _HUNDRED)


@dataclass(frozen=True)
class SlidingScaleTable:
    """A clinic's validated band table: sorted, contiguous from 0 %, open-ended at the top."""

    bands: tuple[SlidingScaleBand, ...]

    def __post_init__(self) -> None:
        problems = _band_table_problems(tuple(self.bands))
        if problems:
            raise ClinicalRuleError("Sliding-scale table: " + "; ".join(problems))
        object.__setattr__(self, "bands", tuple(self.bands))

    def band_for(self, fpl_percent: Decimal) -> SlidingScaleBand:
        for band in self.bands:
            if band.up_to_percent is None or fpl_percent <= band.up_to_percent:
                return band
        raise AssertionError("a validated table has an open top band")

    def monotonicity_warnings(self, *, prices: Iterable[Decimal] = ()) -> tuple[str, ...]:
        """Where a higher band is cheaper than the band below it (allowed, but likely a mistake).

        Bands of the same kind are compared directly; with ``prices`` (the fee schedule's) every
        band's fee is compared, which also covers a fixed-fee band next to a discount band.
        """
        warnings: list[str] = []
        for lower, higher in pairwise(self.bands):
            pair = f"band ‘{higher.label}’ is cheaper than the lower band ‘{lower.label}’"
            low_off, high_off = lower.discount_percent, higher.discount_percent
            if low_off is not None and high_off is not None and high_off > low_off:
                warnings.append(f"{pair} (a larger discount)")
            low_fee, high_fee = lower.fixed_fee, higher.fixed_fee
            if low_fee is not None and high_fee is not None and high_fee < low_fee:
                warnings.append(f"{pair} (a lower fixed fee)")
            for price in prices:
                if higher.fee_for(price) < lower.fee_for(price):
                    warnings.append(f"{pair} for a price of {money_text(price)}")
        return tuple(dict.fromkeys(warnings))


def _band_table_problems(bands: tuple[SlidingScaleBand, ...]) -> list[str]:
    if not bands:
        return ["add at least one band"]
    problems: list[str] = []
    for number, band in enumerate(bands, 1):
        name = f"band {number} ‘{band.label}’"
        if not isinstance(band.label, str) or not band.label.strip():
            problems.append(f"band {number} needs a label")
        if band.discount_percent is None and band.fixed_fee is None:
            problems.append(f"{name} needs a discount percentage or a fixed fee")
        elif band.discount_percent is not None and band.fixed_fee is not None:
            problems.append(f"{name} has both a discount and a fixed fee: choose one")
        elif band.discount_percent is not None and not 0 <= band.discount_percent <= 100:
            problems.append(f"{name} discount {band.discount_percent} % is outside 0–100 %")
        elif band.fixed_fee is not None and band.fixed_fee < 0:
            problems.append(f"{name} fixed fee cannot be negative")
        if band.up_to_percent is not None and band.up_to_percent <= band.above_percent:
            problems.append(f"{name} ends at {band.up_to_percent} %, not above its start "
                            f"{band.above_percent} %")
        if band.up_to_percent is None and number < len(bands):
            problems.append(f"{name} has no upper bound but is not the last band")
    if bands[0].above_percent != 0:
        problems.append(f"the first band starts at {bands[0].above_percent} %, not 0 %: "
                        "households below that would have no band")
    for number, (before, band) in enumerate(pairwise(bands), 2):
        if band.above_percent < before.above_percent:
            problems.append(f"bands are not in order: band {number} ‘{band.label}’ starts below "
                            f"band {number - 1} ‘{before.label}’")
        elif before.up_to_percent is None:
            continue
        elif band.above_percent < before.up_to_percent:
            problems.append(f"band {number} ‘{band.label}’ overlaps band {number - 1} "
                            f"between {band.above_percent} % and {before.up_to_percent} %")
        elif band.above_percent > before.up_to_percent:
            problems.append(f"gap between {before.up_to_percent} % and {band.above_percent} %: "
                            f"households there would have no band")
    if bands[-1].up_to_percent is not None:
        problems.append(f"the last band ends at {bands[-1].up_to_percent} %: households above it "
                        "would have no band; make the last band open-ended")
    return problems


@dataclass(frozen=True)
class SlidingScaleFee:
    """The fee for one service after the sliding scale, and the line the statement prints."""

    band: SlidingScaleBand
    fpl_percent: Decimal  # as matched: rounded to 2 decimals, half-up
    price: Decimal
    discount: Decimal  # price − fee
    fee: Decimal
    explanation: str


def sliding_scale_band(
    *, fpl: FplAssessment | float | Decimal, table: SlidingScaleTable
) -> tuple[SlidingScaleBand, Decimal]:
    """The band of ``fpl`` (an assessment, or a bare FPL%) and the FPL% that chose it: rounded
    to 2 decimals, half-up, so the figure a statement prints is the one that chose the band."""
    raw = fpl.percent if isinstance(fpl, FplAssessment) else fpl
    percent = _number(raw, "FPL percentage").quantize(CENT, ROUND_HALF_UP)
    if percent < 0:
        raise ClinicalRuleError(f"An FPL percentage cannot be negative (got {percent})")
    return table.band_for(percent), percent


def sliding_scale_fee(
    *, price: Decimal, fpl: FplAssessment | float, table: SlidingScaleTable
) -> SlidingScaleFee:
    """The fee for ``price`` in the band of ``fpl`` (an assessment, or a bare FPL%).

    The FPL% is rounded to 2 decimals (half-up) before the band is chosen, so the figure on the
    statement is the one that chose the band. A fixed fee above the price charges the price.
    """
    price = money(price, "Service price")
    band, percent = sliding_scale_band(fpl=fpl, table=table)
    fee = band.fee_for(price)
    who = (fpl.describe() if isinstance(fpl, FplAssessment)
           else f"At {_percent_text(percent)} % of the poverty guideline")
    if band.discount_percent is not None:
        how = (f"{_percent_text(band.discount_percent)} % off {money_text(price)} = "
               f"{money_text(fee)}")
    elif band.fixed_fee is not None and band.fixed_fee > price:
        how = f"fixed fee {money_text(band.fixed_fee)} is above the price: {money_text(fee)}"
    else:
        how = f"fixed fee {money_text(fee)} instead of {money_text(price)}"
    return SlidingScaleFee(
        band, percent, price, price - fee, fee, f"{who}: band ‘{band.label}’, {how}"
    )


# --- Codes (§9) ----------------------------------------------------------------------------------

INFUSION_CODES_PROVENANCE = Provenance(("§9",), verified=False, note=f"CPT timing {_MEMORY}")
INJECTION_CODE_PROVENANCE = Provenance(("§9",), verified=False, note=f"CPT 96372 {_MEMORY}")
ESKETAMINE_VISIT_PROVENANCE = Provenance(
    ("S122", "S123", "S124", "S125", "S126"),
    note="established patients only; from 1 Jan 2020; carrier-priced; prior auth common",
)
IV_PUSH_MAX_MINUTES = 15  # ≤ 15 min is reported as an IV push. source: §9 [memory, verify]
FIRST_HOUR_MAX_MINUTES = 90  # 96365 covers up to 1 h; 96366 after > 30 min more. §9 [memory]
ESKETAMINE_LOW_DOSE_MAX_MG = 56  # G2082 up to and including 56 mg. source: S122, S123
J0013_FROM = date(2026, 1, 1)  # source: S124 [weak] — verify


def infusion_codes(*, minutes: int) -> list[tuple[str, int]]:
    """CPT codes and units for an IV infusion of ``minutes`` (whole minutes run; unverified).

    ≤ 15 min: IV push 96374 × 1; 16–90 min: 96365 × 1; then one 96366 per further hour once more
    than 30 minutes of that hour has run (91 → × 1, 151 → × 2, 211 → × 3). source: §9 [memory]
    """
    _whole(minutes, "Infusion time (minutes)", minimum=1)
    if minutes <= IV_PUSH_MAX_MINUTES:
        return [("96374", 1)]
    codes = [("96365", 1)]
    if minutes > FIRST_HOUR_MAX_MINUTES:
        # Hour k after the first counts once more than 30 of its minutes have run.
        codes.append(("96366", (minutes - 60 + 29) // 60))
    return codes


def billable_infusion_minutes(*, running_minutes: float) -> int:
    """The whole minutes an infusion ran, from the pump record's running time (pauses excluded).

    The reference (§9) gives no rounding rule: only completed minutes count, so a partial minute
    never moves a session into a longer code (15.9 min stays an IV push). Refused when the
    record shows no running time.
    """
    minutes = _number(running_minutes, "Infusion running time (minutes)")
    if minutes < 1:
        raise ClinicalRuleError(
            f"The pump record shows {minutes:f} minutes of infusion: there is no infusion time to "
            "bill; check the administration record"
        )
    return int(minutes)


def esketamine_visit_code(*, dose_mg: Number) -> str:
    """G2082 for up to and including 56 mg of esketamine, G2083 above. source: S122, S123, S124"""
    dose = _number(dose_mg, "Esketamine dose (mg)")
    if dose <= 0:
        raise ClinicalRuleError(f"Esketamine dose must be above 0 mg (got {dose} mg)")
    return "G2082" if dose <= ESKETAMINE_LOW_DOSE_MAX_MG else "G2083"


@dataclass(frozen=True)
class DrugCode:
    code: str
    units: int
    provenance: Provenance


def drug_code(
    *, route: Route | str, date_of_service: date, dose_mg: Number, medicare: bool = False
) -> DrugCode | None:
    """The HCPCS drug code and units for a session's drug, or None where §9 gives none.

    Racemic IV/IM/SC: J3490 (unclassified) × 1, dose and NDC go on the claim note. Esketamine: 1 mg
    per unit, S0013 before 2026, J0013 from 1 Jan 2026 (non-Medicare payers). Oral and
    sublingual ketamine: None (the reference gives no code).
    """
    route = Route(route)
    if route in (Route.RACEMIC_ORAL, Route.RACEMIC_SUBLINGUAL):
        return None
    if not route.is_esketamine:  # source: §9 [memory, verify]; one unit is the unclassified usage
        return DrugCode("J3490", 1, Provenance(("§9",), verified=False, note=f"J3490 {_MEMORY}"))
    dose = _number(dose_mg, "Esketamine dose (mg)")
    if dose <= 0 or dose != dose.to_integral_value():
        raise ClinicalRuleError(f"Esketamine is billed per 1 mg: {dose} mg is not a whole number "
                                "of units above 0")
    if date_of_service < J0013_FROM:  # source: S124 (S0013, 1 mg, historical)
        return DrugCode("S0013", int(dose), Provenance(("S124",), note="S0013 per 1 mg"))
    if medicare:
        raise ClinicalRuleError("The reference gives no esketamine drug code for Medicare from "
                                "2026: billing staff must code the drug for this claim")
    return DrugCode("J0013", int(dose), Provenance(  # source: S124 [weak] — verify
        ("S124",), verified=False,
        note="J0013 replacing S0013 from 2026 is weak; 1 mg per unit assumed as for S0013",
    ))


# --- Charge lines for a signed session -----------------------------------------------------------


class Service(StrEnum):
    """What a clinic sells; the fee schedule prices each one per unit."""

    CONSULTATION = "consultation"
    FOLLOW_UP = "follow_up"
    INTEGRATION_THERAPY = "integration_therapy"
    SUBLINGUAL_PROGRAMME = "sublingual_programme"
    IV_INFUSION = "iv_infusion"  # first hour (or IV push)
    IV_INFUSION_ADDITIONAL_HOUR = "iv_infusion_additional_hour"
    IM_INJECTION = "im_injection"
    SC_INJECTION = "sc_injection"
    ORAL_SESSION = "oral_session"
    SUBLINGUAL_SESSION = "sublingual_session"
    ESKETAMINE_SESSION = "esketamine_session"
    KETAMINE_DRUG = "ketamine_drug"  # per J3490 unit
    ESKETAMINE_DRUG = "esketamine_drug"  # per mg


_SESSION_SERVICE = {
    Route.RACEMIC_IM: Service.IM_INJECTION,
    Route.RACEMIC_SC: Service.SC_INJECTION,
    Route.RACEMIC_ORAL: Service.ORAL_SESSION,
    Route.RACEMIC_SUBLINGUAL: Service.SUBLINGUAL_SESSION,
}
_NO_CODE = Provenance((), verified=False, note="reference gives no code: billing adds one if any")


@dataclass(frozen=True)
class SessionChargeFacts:
    """Everything a signed session's charges depend on, fetched once by the billing app.

    ``fee_schedule`` maps a ``Service`` (or its value) to a unit price in Decimal dollars. Drug
    lines appear only when the clinic prices the drug (buy-and-bill); otherwise it is bundled.
    """

    route: Route
    date_of_service: date
    fee_schedule: Mapping[Service, Decimal]
    dose_mg: Number | None = None
    infusion_minutes: int | None = None
    medicare: bool = False
    _prices: Mapping[Service, Decimal] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", Route(self.route))
        prices = {}
        for key, value in self.fee_schedule.items():
            try:
                service = Service(key)
            except ValueError:
                raise ClinicalRuleError(f"Fee schedule: unknown service {key!r}") from None
            prices[service] = money(value, f"Fee schedule price of {service.value}")
        object.__setattr__(self, "_prices", MappingProxyType(prices))
        if (self.route is Route.RACEMIC_IV) != (self.infusion_minutes is not None):
            raise ClinicalRuleError("An IV session needs its recorded infusion minutes, and only "
                                    "an IV session has them")
        if self.route.is_esketamine and self.dose_mg is None:
            raise ClinicalRuleError("An esketamine session needs its dose in mg")

    def price(self, service: Service, why: str) -> Decimal:
        if service not in self._prices:
            raise ClinicalRuleError(f"The fee schedule has no price for {service.value} ({why})")
        return self._prices[service]


@dataclass(frozen=True)
class ChargeLine:
    service: Service
    code: str | None
    units: int
    unit_price: Decimal
    amount: Decimal
    provenance: Provenance


def charge_lines_for_session(facts: SessionChargeFacts) -> tuple[ChargeLine, ...]:
    """The charge lines a signed session produces, for billing to review before posting."""
    def line(service: Service, code: str | None, units: int, provenance: Provenance) -> ChargeLine:
        unit_price = facts.price(service, f"{code or service.value} × {units}")
        return ChargeLine(service, code, units, unit_price, _cents(unit_price * units), provenance)

    lines: list[ChargeLine] = []
    if facts.route is Route.RACEMIC_IV:
        assert facts.infusion_minutes is not None
        for code, units in infusion_codes(minutes=facts.infusion_minutes):
            service = (Service.IV_INFUSION_ADDITIONAL_HOUR if code == "96366"
                       else Service.IV_INFUSION)
            lines.append(line(service, code, units, INFUSION_CODES_PROVENANCE))
    elif facts.route.is_esketamine:
        code = esketamine_visit_code(dose_mg=facts.dose_mg)
        lines.append(line(Service.ESKETAMINE_SESSION, code, 1, ESKETAMINE_VISIT_PROVENANCE))
    elif facts.route in (Route.RACEMIC_IM, Route.RACEMIC_SC):
        lines.append(line(_SESSION_SERVICE[facts.route], "96372", 1, INJECTION_CODE_PROVENANCE))
    else:
        lines.append(line(_SESSION_SERVICE[facts.route], None, 1, _NO_CODE))
    drug_service = Service.ESKETAMINE_DRUG if facts.route.is_esketamine else Service.KETAMINE_DRUG
    if drug_service in facts._prices:
        drug = drug_code(route=facts.route, date_of_service=facts.date_of_service,
                         dose_mg=facts.dose_mg, medicare=facts.medicare)
        if drug is not None:
            lines.append(line(drug_service, drug.code, drug.units, drug.provenance))
    return tuple(lines)


# --- Numbers and money ---------------------------------------------------------------------------


def money(value: object, what: str, *, signed: bool = False) -> Decimal:
    """Dollars as Decimal or int, whole cents, finite; never float. Negative only if ``signed``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ClinicalRuleError(f"{what} must be a Decimal amount of money, not {value!r}")
    amount = Decimal(value)
    if not amount.is_finite() or amount.adjusted() > 15:  # beyond any bill; keeps cents exact
        raise ClinicalRuleError(f"{what} must be a finite, plausible amount (got {value})")
    if amount != amount.quantize(CENT):
        raise ClinicalRuleError(f"{what} {value} has fractions of a cent")
    if amount < 0 and not signed:
        raise ClinicalRuleError(f"{what} cannot be negative (got {value})")
    return amount.quantize(CENT)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def _number(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ClinicalRuleError(f"{what} must be a number, not {value!r}")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ClinicalRuleError(f"{what} must be a finite number (got {value})")
    return number


def _whole(value: object, what: str, *, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicalRuleError(f"{what} must be a whole number, not {value!r}")
    if minimum is not None and value < minimum:
        raise ClinicalRuleError(f"{what} must be at least {minimum} (got {value})")


def _percent_text(value: float | Decimal) -> str:
    return f"{Decimal(str(value)).quantize(CENT, ROUND_HALF_UP):f}".rstrip("0").rstrip(".")


def money_text(amount: Decimal) -> str:
    """$1,234.50; a negative amount as −$12.00."""
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
