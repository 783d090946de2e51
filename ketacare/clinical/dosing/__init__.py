"""Dose arithmetic: dosing weight, IV / IM / sublingual-oral doses, esketamine devices, titration.

Numbers are floats throughout. Arithmetic is done unrounded; each reported number is rounded once,
at the end, by ``Rounding`` (half-up to a step, e.g. 0.1 mg). Before rounding, a value is read to
12 significant digits so binary noise (0.35 × 70 = 24.499999999999996) cannot flip a half-up
decision. A dose or drug volume is never rounded above the protocol maximum: if rounding to the
nearest step would cross it, the value is rounded down instead.

Limits: a dose above a protocol maximum raises ``DoseRefused``; a dose outside the usual range is
allowed and carries a warning with its source. Settings the reference is silent on have no
default (``ConfigurableDefault.value`` None) and raise ``ClinicalRuleError`` until a clinic sets
them. Results are frozen dataclasses; the web layer owns their JSON.

The package: ``parameters`` (every value a clinic may set, usual ranges, ``CONFIGURABLE_DEFAULTS``
and ``configurable_defaults(route)``), ``rounding``, ``refusals``, ``weight`` (dosing weight
basis), one module per route (``iv``, ``im``, ``transmucosal``, ``esketamine``) and ``titration``.
"""

from ketacare.clinical.dosing.esketamine import (
    DEFAULT_ESKETAMINE_PROTOCOL,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_DEVICE_VOLUME_ML,
    ESKETAMINE_ELDERLY_AGE_YEARS,
    ESKETAMINE_MINUTES_BETWEEN_DEVICES,
    ESKETAMINE_SPRAYS_PER_DEVICE,
    ESKETAMINE_STEP_MG,
    DeviceStep,
    EsketamineDose,
    EsketamineIndication,
    EsketamineProtocol,
    esketamine_dose,
)
from ketacare.clinical.dosing.im import (
    ImDose,
    ImProtocol,
    im_dose,
)
from ketacare.clinical.dosing.iv import (
    DEFAULT_IV_PROTOCOL,
    IvDose,
    IvProtocol,
    iv_dose,
)
from ketacare.clinical.dosing.parameters import (
    CONFIGURABLE_DEFAULTS,
    DEFAULT_IBW_OFFER_BMI_KG_M2,
    DEFAULT_IV_INFUSION_MINUTES,
    DEFAULT_IV_MAX_MG_PER_KG,
    DEFAULT_IV_STANDARD_MG_PER_KG,
    DOSING_WEIGHT_BASIS,
    ESKETAMINE_28_MG_ELDERLY_START,
    IBW_OFFER_BMI_KG_M2,
    IM_MAX_MG_PER_KG,
    IM_USUAL_RANGE,
    IV_INFUSION_MINUTES,
    IV_MAX_MG_PER_KG,
    IV_MAX_SESSION_DOSE_MG,
    IV_STANDARD_MG_PER_KG,
    IV_USUAL_RANGE,
    ORAL_USUAL_RANGE_MG,
    ORAL_USUAL_RANGE_MG_PER_KG,
    SETTINGS,
    SUBLINGUAL_HOME_USUAL_RANGE_MG,
    TRANSMUCOSAL_MAX_SESSION_DOSE_MG,
    DosingWeightBasis,
    UsualRange,
    configurable_defaults,
)
from ketacare.clinical.dosing.refusals import (
    DoseRefused,
    TitrationRefused,
)
from ketacare.clinical.dosing.rounding import (
    DEFAULT_ROUNDING,
    Rounding,
    round_half_up,
)
from ketacare.clinical.dosing.titration import (
    TitrationCheck,
    check_titration,
)
from ketacare.clinical.dosing.transmucosal import (
    ORAL_PROTOCOL,
    SUBLINGUAL_CLINIC_PROTOCOL,
    SUBLINGUAL_HOME_PROTOCOL,
    TransmucosalDose,
    TransmucosalProtocol,
    TransmucosalRoute,
    transmucosal_dose,
)
from ketacare.clinical.dosing.weight import (
    BodyMeasurements,
    DosingWeight,
    dosing_weight,
)

__all__ = [
    "CONFIGURABLE_DEFAULTS",
    "DEFAULT_ESKETAMINE_PROTOCOL",
    "DEFAULT_IBW_OFFER_BMI_KG_M2",
    "DEFAULT_IV_INFUSION_MINUTES",
    "DEFAULT_IV_MAX_MG_PER_KG",
    "DEFAULT_IV_PROTOCOL",
    "DEFAULT_IV_STANDARD_MG_PER_KG",
    "DEFAULT_ROUNDING",
    "DOSING_WEIGHT_BASIS",
    "ESKETAMINE_28_MG_ELDERLY_START",
    "ESKETAMINE_DEVICE_MG",
    "ESKETAMINE_DEVICE_VOLUME_ML",
    "ESKETAMINE_ELDERLY_AGE_YEARS",
    "ESKETAMINE_MINUTES_BETWEEN_DEVICES",
    "ESKETAMINE_SPRAYS_PER_DEVICE",
    "ESKETAMINE_STEP_MG",
    "IBW_OFFER_BMI_KG_M2",
    "IM_MAX_MG_PER_KG",
    "IM_USUAL_RANGE",
    "IV_INFUSION_MINUTES",
    "IV_MAX_MG_PER_KG",
    "IV_MAX_SESSION_DOSE_MG",
    "IV_STANDARD_MG_PER_KG",
    "IV_USUAL_RANGE",
    "ORAL_PROTOCOL",
    "ORAL_USUAL_RANGE_MG",
    "ORAL_USUAL_RANGE_MG_PER_KG",
    "SETTINGS",
    "SUBLINGUAL_CLINIC_PROTOCOL",
    "SUBLINGUAL_HOME_PROTOCOL",
    "SUBLINGUAL_HOME_USUAL_RANGE_MG",
    "TRANSMUCOSAL_MAX_SESSION_DOSE_MG",
    "BodyMeasurements",
    "DeviceStep",
    "DoseRefused",
    "DosingWeight",
    "DosingWeightBasis",
    "EsketamineDose",
    "EsketamineIndication",
    "EsketamineProtocol",
    "ImDose",
    "ImProtocol",
    "IvDose",
    "IvProtocol",
    "Rounding",
    "TitrationCheck",
    "TitrationRefused",
    "TransmucosalDose",
    "TransmucosalProtocol",
    "TransmucosalRoute",
    "UsualRange",
    "check_titration",
    "configurable_defaults",
    "dosing_weight",
    "esketamine_dose",
    "im_dose",
    "iv_dose",
    "round_half_up",
    "transmucosal_dose",
]
