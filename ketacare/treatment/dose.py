"""An order's dose, computed by the clinical core for the course's route under the clinic's
protocol. This module only chooses which core function to call and gathers its result for the
order; every number, limit, warning and refusal comes from ``ketacare.clinical.dosing``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ketacare.clinical import dosing
from ketacare.clinical.common import ClinicalRuleError, Route
from ketacare.clinical.intake import Indication
from ketacare.treatment.clinical_records import plain
from ketacare.treatment.protocol import ClinicProtocol

NO_SC_CALCULATION = (
    "The clinical core has no subcutaneous dose calculation yet (KADS used 0.5–0.9 mg/kg, S31): "
    "a subcutaneous order cannot be computed here."
)


@dataclass(frozen=True)
class DoseInput:
    """What the prescriber enters; which fields apply depends on the route."""

    dose_mg_per_kg: float | None = None  # IV, IM (weight-based)
    fixed_dose_mg: float | None = None  # IM (fixed)
    dose_mg: float | None = None  # esketamine (28/56/84), sublingual/oral solution
    concentration_mg_per_ml: float | None = None  # IV, IM, solution
    bag_volume_ml: float | None = None  # IV
    bag_volume_includes_drug: bool = False  # IV
    infusion_minutes: float | None = None  # IV; None: the protocol's duration
    unit_strength_mg: float | None = None  # tablets / troches
    unit_count: int | None = None


@dataclass(frozen=True)
class PreviousDose:
    dose_mg: float
    dose_mg_per_kg: float | None


@dataclass(frozen=True)
class DoseOutcome:
    """The computed dose in the order's terms, and the core's full result for the record."""

    dose_mg: float
    dose_mg_per_kg: float | None
    dosing_weight_kg: float | None
    dosing_weight_basis: str
    concentration_mg_per_ml: float | None
    drug_volume_ml: float | None
    summary: str
    warnings: tuple[str, ...]
    calculation: dict[str, Any]
    # an infusion's only (IV): the bag, its duration and the pump rate
    bag_volume_ml: float | None = None
    infusion_minutes: int | None = None
    rate_ml_per_h: float | None = None


def _need(value: Any, what: str) -> Any:
    if value is None:
        raise ClinicalRuleError(f"Enter the {what}.")
    return value


def _titration(
    route: Route,
    previous: PreviousDose | None,
    new_mg: float,
    new_mg_per_kg: float | None,
    reason: str,
    protocol: ClinicProtocol,
) -> dict[str, Any] | None:
    """A changed dose needs a documented reason (dosing.check_titration for IV mg/kg)."""
    if previous is None:
        return None
    if route is Route.RACEMIC_IV and previous.dose_mg_per_kg and new_mg_per_kg:
        return plain(
            dosing.check_titration(
                previous_dose_mg_per_kg=previous.dose_mg_per_kg,
                new_dose_mg_per_kg=new_mg_per_kg,
                reason=reason,
                protocol=protocol.iv,
            )
        )
    before = previous.dose_mg_per_kg if new_mg_per_kg is not None else previous.dose_mg
    after = new_mg_per_kg if new_mg_per_kg is not None else new_mg
    unit = "mg/kg" if new_mg_per_kg is not None else "mg"
    if before is not None and abs(float(before) - float(after)) > 1e-9 and not reason.strip():
        raise dosing.TitrationRefused(
            f"Changing the dose from {float(before):g} to {float(after):g} {unit} needs a "
            "documented reason (e.g. partial response, or side effects)."
        )
    return {"previous": before, "new": after, "unit": unit, "reason": reason.strip()}


def compute_dose(
    *,
    route: Route | str,
    regimen_key: str,
    indication: str,
    body: dosing.BodyMeasurements | None,
    age_years: int | None,
    protocol: ClinicProtocol,
    inputs: DoseInput,
    previous: PreviousDose | None = None,
    titration_reason: str = "",
) -> DoseOutcome:
    """Compute the dose for one session of the course; raises the core's refusals unchanged."""
    route = Route(route)
    if route is Route.RACEMIC_IV:
        outcome = _iv(regimen_key, body, protocol, inputs)
    elif route is Route.RACEMIC_IM:
        outcome = _im(body, protocol, inputs)
    elif route in (Route.RACEMIC_SUBLINGUAL, Route.RACEMIC_ORAL):
        outcome = _transmucosal(route, regimen_key, body, protocol, inputs)
    elif route is Route.ESKETAMINE_NASAL:
        outcome = _esketamine(indication, age_years, protocol, inputs, previous)
    else:
        raise ClinicalRuleError(NO_SC_CALCULATION)
    titration = _titration(
        route, previous, outcome.dose_mg, outcome.dose_mg_per_kg, titration_reason, protocol
    )
    calculation = {
        **outcome.calculation,
        "input": {k: v for k, v in asdict(inputs).items() if v is not None},
        "titration": titration,
        "protocol": {
            "weight_basis": str(protocol.iv.weight_basis),
            "regimen_key": regimen_key,
        },
    }
    warnings = outcome.warnings + tuple((titration or {}).get("warnings", ()))
    return DoseOutcome(**{**outcome.__dict__, "calculation": calculation, "warnings": warnings})


def _body(body: dosing.BodyMeasurements | None) -> dosing.BodyMeasurements:
    if body is None:
        raise ClinicalRuleError("No weight recorded in the current intake: enter it first.")
    return body


def _basis_text(basis: str, weight_kg: float) -> str:
    names = {"actual": "actual", "ideal": "ideal (Devine)", "adjusted": "adjusted"}
    return f"{weight_kg:g} kg {names.get(basis, basis)} body weight"


def _iv(
    regimen_key: str,
    body: dosing.BodyMeasurements | None,
    protocol: ClinicProtocol,
    inputs: DoseInput,
) -> DoseOutcome:
    template = protocol.templates.get(regimen_key)
    if regimen_key.startswith("crps"):
        note = template.notes[0] if template and template.notes else ""
        raise ClinicalRuleError(f"CRPS infusions cannot be ordered here yet. {note}".strip())
    mg_per_kg = (
        protocol.iv.standard_mg_per_kg if inputs.dose_mg_per_kg is None else inputs.dose_mg_per_kg
    )
    result = dosing.iv_dose(
        body=_body(body),
        dose_mg_per_kg=mg_per_kg,
        concentration_mg_per_ml=_need(inputs.concentration_mg_per_ml, "concentration (mg/mL)"),
        bag_volume_ml=_need(inputs.bag_volume_ml, "bag volume (mL)"),
        bag_volume_includes_drug=inputs.bag_volume_includes_drug,
        infusion_minutes=inputs.infusion_minutes,
        protocol=protocol.iv,
    )
    basis = str(result.basis)
    summary = (
        f"{result.dose_mg:g} mg IV ({result.dose_mg_per_kg:g} mg/kg × "
        f"{_basis_text(basis, result.dosing_weight_kg)}): draw {result.volume_ml:g} mL of "
        f"{result.concentration_mg_per_ml:g} mg/mL; {result.infused_volume_ml:g} mL over "
        f"{result.infusion_minutes:g} min at {result.rate_ml_per_h:g} mL/h"
    )
    return DoseOutcome(
        dose_mg=result.dose_mg,
        dose_mg_per_kg=result.dose_mg_per_kg,
        dosing_weight_kg=result.dosing_weight_kg,
        dosing_weight_basis=basis,
        concentration_mg_per_ml=result.concentration_mg_per_ml,
        drug_volume_ml=result.volume_ml,
        bag_volume_ml=result.infused_volume_ml,
        infusion_minutes=round(result.infusion_minutes),
        rate_ml_per_h=result.rate_ml_per_h,
        summary=summary,
        warnings=result.warnings,
        calculation={"kind": "iv", "result": plain(result)},
    )


def _im(
    body: dosing.BodyMeasurements | None, protocol: ClinicProtocol, inputs: DoseInput
) -> DoseOutcome:
    result = dosing.im_dose(
        body=_body(body),
        concentration_mg_per_ml=_need(inputs.concentration_mg_per_ml, "concentration (mg/mL)"),
        protocol=protocol.im,
        dose_mg_per_kg=inputs.dose_mg_per_kg,
        fixed_dose_mg=inputs.fixed_dose_mg,
    )
    basis = str(result.basis)
    summary = (
        f"{result.dose_mg:g} mg IM ({result.dose_mg_per_kg:g} mg/kg × "
        f"{_basis_text(basis, result.dosing_weight_kg)}): {result.volume_ml:g} mL of "
        f"{result.concentration_mg_per_ml:g} mg/mL"
    )
    return DoseOutcome(
        dose_mg=result.dose_mg,
        dose_mg_per_kg=round(result.dose_mg_per_kg, 3),
        dosing_weight_kg=result.dosing_weight_kg,
        dosing_weight_basis=basis,
        concentration_mg_per_ml=result.concentration_mg_per_ml,
        drug_volume_ml=result.volume_ml,
        summary=summary,
        warnings=result.warnings,
        calculation={"kind": "im", "result": plain(result)},
    )


def _transmucosal(
    route: Route,
    regimen_key: str,
    body: dosing.BodyMeasurements | None,
    protocol: ClinicProtocol,
    inputs: DoseInput,
) -> DoseOutcome:
    if route is Route.RACEMIC_ORAL:
        template = protocol.transmucosal["oral"]
    else:
        key = regimen_key if regimen_key in protocol.transmucosal else "sublingual-clinic"
        template = protocol.transmucosal[key]
    result = dosing.transmucosal_dose(
        protocol=template,
        unit_strength_mg=inputs.unit_strength_mg,
        unit_count=inputs.unit_count,
        dose_mg=inputs.dose_mg,
        concentration_mg_per_ml=inputs.concentration_mg_per_ml,
        weight_kg=None if body is None else body.weight_kg,
    )
    how = (
        f"{result.unit_count} × {result.unit_strength_mg:g} mg"
        if result.unit_count
        else (
            f"{result.volume_ml:g} mL of {result.concentration_mg_per_ml:g} mg/mL"
            if result.volume_ml is not None
            else "solution"
        )
    )
    summary = f"{result.dose_mg:g} mg {route.value.removeprefix('racemic_')} ({how})"
    return DoseOutcome(
        dose_mg=result.dose_mg,
        dose_mg_per_kg=result.dose_mg_per_kg,
        dosing_weight_kg=None if body is None else round(body.weight_kg, 1),
        dosing_weight_basis="actual" if body is not None else "",
        concentration_mg_per_ml=result.concentration_mg_per_ml,
        drug_volume_ml=result.volume_ml,
        summary=summary,
        warnings=result.warnings,
        calculation={"kind": "transmucosal", "result": plain(result)},
    )


def _esketamine(
    indication: str,
    age_years: int | None,
    protocol: ClinicProtocol,
    inputs: DoseInput,
    previous: PreviousDose | None,
) -> DoseOutcome:
    label = {Indication.DEPRESSION: "trd", Indication.SUICIDAL_IDEATION: "mdsi"}.get(
        Indication(indication)
    )
    if label is None:
        raise ClinicalRuleError(
            "Esketamine is labelled for treatment-resistant depression and for depression with "
            "acute suicidal ideation only (S47, S49)."
        )
    dose = _need(inputs.dose_mg, "esketamine dose (56 or 84 mg)")
    if float(dose) != int(dose):
        raise dosing.DoseRefused(f"Esketamine {dose} mg is not a whole number of 28 mg devices.")
    result = dosing.esketamine_dose(
        dose_mg=int(dose),
        indication=label,
        previous_dose_mg=None if previous is None else int(previous.dose_mg),
        age_years=age_years,
        protocol=protocol.esketamine,
    )
    summary = (
        f"{result.dose_mg} mg esketamine nasal: {result.devices} devices of 28 mg, "
        f"one device (2 sprays) every 5 minutes"
    )
    return DoseOutcome(
        dose_mg=float(result.dose_mg),
        dose_mg_per_kg=None,
        dosing_weight_kg=None,
        dosing_weight_basis="",
        concentration_mg_per_ml=None,
        drug_volume_ml=result.volume_ml,
        summary=summary,
        warnings=result.warnings,
        calculation={"kind": "esketamine", "result": plain(result)},
    )
