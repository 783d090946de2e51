"""What a clinic sets for screening: the numbers the rules read, each with its default and source.

``CONFIGURABLE_DEFAULTS`` lists every value a clinic may set here (the numbers, then each rule's
severity, see ``settings.SEVERITY_DEFAULTS``) for the clinic-settings registry.
"""

from __future__ import annotations

from ketacare.clinical import thresholds
from ketacare.clinical.common import ConfigurableDefault, Provenance

TRD_REQUIRED_TRIALS: ConfigurableDefault[int] = ConfigurableDefault(
    key="trd.required_adequate_trials",
    label="Adequate failed antidepressant trials (current episode) that define TRD",
    value=None,  # the reference gives no number: a required clinic setting
    unit="trials",
    provenance=Provenance((), verified=False, note="reference silent: the clinic must set it"),
    minimum=1,  # "treatment-resistant" needs at least one failed trial by definition
)

# source: S14 (weak secondary; label wording [memory, verify]); §2 APA "> 140/90 -> evaluate and
# treat first" [memory, verify]. Upper bounds: the §2 stop/slow threshold 180/100 [memory, verify]
# -- a pre-treatment limit above the level at which a running infusion is stopped is refused.
BP_PROVENANCE = Provenance(
    ("S14", "§2"),
    verified=False,
    note="pre-treatment BP > 140/90 mmHg: weigh risk / evaluate and treat first; "
    "maximum = the 180/100 mmHg stop threshold [memory, verify]",
)
BP_SYSTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_systolic_max_mmhg",
    label="Pre-treatment blood pressure limit, systolic",
    value=thresholds.PRE_TREATMENT_SYSTOLIC_MMHG,
    unit="mmHg",
    provenance=BP_PROVENANCE,
    maximum=thresholds.STOP_SYSTOLIC_MMHG,
)
BP_DIASTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_diastolic_max_mmhg",
    label="Pre-treatment blood pressure limit, diastolic",
    value=thresholds.PRE_TREATMENT_DIASTOLIC_MMHG,
    unit="mmHg",
    provenance=BP_PROVENANCE,
    maximum=thresholds.STOP_DIASTOLIC_MMHG,
)

PARAMETERS: dict[str, ConfigurableDefault[int]] = {
    p.key: p for p in (TRD_REQUIRED_TRIALS, BP_SYSTOLIC_LIMIT, BP_DIASTOLIC_LIMIT)
}
