"""Vital-sign numbers shared by screening, session monitoring and the REMS form, written once so
eligibility (before a course) and monitoring (before and during a dose) cannot drift apart.

The pre-treatment blood-pressure limit is one setting, declared here once: screening
(``eligibility``) reads it under its own key, and the monitoring protocol's pre-dose caution is
built from it (same default and bounds). All rest on unverified sources: the medical director must
confirm them.
"""

from __future__ import annotations

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance

# Data-entry plausibility bounds, inclusive. Not clinical thresholds: a value outside them is a
# typing or device error and is refused. Project choice (the reference gives no ranges).
PLAUSIBLE_RANGES: dict[str, tuple[int, int]] = {
    "systolic_mmhg": (20, 300),
    "diastolic_mmhg": (10, 250),
    "heart_rate_bpm": (0, 300),
    "spo2_percent": (0, 100),
    "respiratory_rate_per_min": (0, 100),
    "moaas_level": (0, 5),  # MOAA/S scale 0-5. source: S74, S75
}
VITAL_LABELS = {
    "systolic_mmhg": "Systolic BP",
    "diastolic_mmhg": "Diastolic BP",
    "heart_rate_bpm": "Heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate_per_min": "Respiratory rate",
    "moaas_level": "MOAA/S level",
}


def check_plausible(name: str, value: object) -> None:
    """Refuse a vital sign that is not a whole number within its plausibility bounds."""
    low, high = PLAUSIBLE_RANGES[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ClinicalRuleError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ClinicalRuleError(
            f"{VITAL_LABELS[name]} {value} is not a plausible value ({low}-{high}); "
            "check the entry or the device"
        )


# "Above" is strict: 140/90 itself passes; 141/90 or 140/91 does not.
PRE_TREATMENT_SYSTOLIC_MMHG = 140  # source: S14 (weak; label wording [memory, verify]); §2
PRE_TREATMENT_DIASTOLIC_MMHG = 90  # source: S14 (weak; label wording [memory, verify]); §2
PRE_TREATMENT_ESKETAMINE = Provenance(
    ("S14",), False, "label: e.g. > 140/90 -> weigh risk, consider delay"
)
PRE_TREATMENT_RACEMIC = Provenance(("§2",), False, "APA: baseline > 140/90 -> evaluate/treat first")

# Stop or slow during a session: commonly cited, origin possibly Mount Sinai protocols (Wan 2015).
STOP_SYSTOLIC_MMHG = 180  # source: §2 [memory, verify]
STOP_DIASTOLIC_MMHG = 100  # source: §2 [memory, verify]
STOP_HEART_RATE_BPM = 110  # source: §2 [memory, verify]
STOP_NOTE = "commonly cited stop/slow threshold (Mount Sinai protocols, Wan 2015)"

# source: S14 (weak secondary; label wording [memory, verify]); §2 APA "> 140/90 -> evaluate and
# treat first" [memory, verify]. Upper bounds: the §2 stop/slow threshold 180/100 [memory, verify]
# -- a pre-treatment limit above the level at which a running infusion is stopped is refused.
# Lower bounds: data-entry plausibility only.
PRE_TREATMENT_BP = Provenance(
    ("S14", "§2"),
    verified=False,
    note="pre-treatment BP > 140/90 mmHg: weigh risk / evaluate and treat first; "
    "maximum = the 180/100 mmHg stop threshold [memory, verify]",
)
PRE_TREATMENT_SYSTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_systolic_max_mmhg",
    label="Pre-treatment blood pressure limit, systolic",
    value=PRE_TREATMENT_SYSTOLIC_MMHG,
    unit="mmHg",
    provenance=PRE_TREATMENT_BP,
    minimum=PLAUSIBLE_RANGES["systolic_mmhg"][0],
    maximum=STOP_SYSTOLIC_MMHG,
)
PRE_TREATMENT_DIASTOLIC_LIMIT: ConfigurableDefault[int] = ConfigurableDefault(
    key="bp.pre_treatment_diastolic_max_mmhg",
    label="Pre-treatment blood pressure limit, diastolic",
    value=PRE_TREATMENT_DIASTOLIC_MMHG,
    unit="mmHg",
    provenance=PRE_TREATMENT_BP,
    minimum=PLAUSIBLE_RANGES["diastolic_mmhg"][0],
    maximum=STOP_DIASTOLIC_MMHG,
)
