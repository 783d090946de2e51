"""What a clinic sets for screening: the numbers the rules read, each with its default and source.

``settings.CONFIGURABLE_DEFAULTS`` lists these numbers and each rule's severity for the
clinic-settings registry.
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

# The pre-treatment blood-pressure limit is shared with the monitoring protocol's pre-dose caution:
# declared once, with its sources and bounds, in ``thresholds``.
BP_PROVENANCE = thresholds.PRE_TREATMENT_BP
BP_SYSTOLIC_LIMIT = thresholds.PRE_TREATMENT_SYSTOLIC_LIMIT
BP_DIASTOLIC_LIMIT = thresholds.PRE_TREATMENT_DIASTOLIC_LIMIT

PARAMETERS: dict[str, ConfigurableDefault[int]] = {
    p.key: p for p in (TRD_REQUIRED_TRIALS, BP_SYSTOLIC_LIMIT, BP_DIASTOLIC_LIMIT)
}
