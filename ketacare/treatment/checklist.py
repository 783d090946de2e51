"""The pre-treatment checklist of a course: which items apply and why.

Which items apply is decided here from the clinic's protocol, the route and the intake; whether
each is done is read by ``selectors.course_checklist`` (some are confirmed by a clinician, some
are read from the record: consent, REMS enrolment, the screening, baseline scores).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ketacare.clinical.common import ConfigurableDefault, Provenance, Route

# source: reference §1.4 "No routine labs for healthy pts; ECG if cardiac risk; LFTs with liver
# disease or frequent high-dose infusions" -- tagged [memory, verify], so shown as unverified.
_PRE_INFUSION_TESTING = Provenance(
    ("§1.4",),
    verified=False,
    note="no routine labs for healthy patients; ECG if cardiac risk; LFTs with liver disease",
)
ECG_POLICY: ConfigurableDefault[str] = ConfigurableDefault(
    key="checklist.ecg",
    label="ECG before the first treatment",
    value="if_cardiac_risk",
    unit="",
    provenance=_PRE_INFUSION_TESTING,
    choices=("always", "if_cardiac_risk", "never"),
)
LABS_POLICY: ConfigurableDefault[str] = ConfigurableDefault(
    key="checklist.labs",
    label="Liver function tests before the first treatment",
    value="if_liver_disease",
    unit="",
    provenance=_PRE_INFUSION_TESTING,
    choices=("always", "if_liver_disease", "never"),
)
CHECKLIST_SETTINGS: tuple[ConfigurableDefault[str], ...] = (ECG_POLICY, LABS_POLICY)

# Intake answers that make the patient "at cardiac risk" for the ECG policy. Unknown counts as a
# risk: missing data is never read as absence.
CARDIAC_RISK_ANSWERS = ("hypertension", "cardiovascular_disease", "unstable_cardiovascular_disease")
LIVER_ANSWERS = ("liver_disease", "severe_liver_disease")


@dataclass(frozen=True)
class ItemSpec:
    key: str
    label: str
    source: str
    manual: bool  # confirmed by a clinician (else read from the record)


ITEMS: dict[str, ItemSpec] = {
    item.key: item
    for item in (
        ItemSpec(
            "screening",
            "Eligibility screening on the current intake allows treatment",
            "§2, S43",
            False,
        ),
        ItemSpec(
            "medical_exam",
            "Medical screening: history, review of systems and physical examination",
            "§2 (unverified)",
            True,
        ),
        ItemSpec("ecg", "ECG reviewed", "§1.4 (unverified)", True),
        ItemSpec("labs", "Liver function tests reviewed", "§1.4 (unverified)", True),
        ItemSpec(
            "baseline_scores",
            "Baseline symptom scores recorded (validated scale)",
            "S43",
            True,
        ),
        ItemSpec("consent", "Current consent signed by the patient and a clinician", "§2", False),
        ItemSpec(
            "rems_enrolment",
            "SPRAVATO REMS patient enrolment before the first treatment",
            "S15, S58",
            False,
        ),
        ItemSpec(
            "escort",
            "Escort home arranged (no driving until the next day after sleep)",
            "S10, S11, S99",
            True,
        ),
    )
}


def _any_not_no(conditions: Mapping[str, str], names: tuple[str, ...]) -> bool:
    return any(conditions.get(name, "unknown") != "no" for name in names)


def required_items(
    *, route: Route | str, policies: Mapping[str, str], conditions: Mapping[str, str]
) -> dict[str, str]:
    """Item key -> why it applies, for this route, clinic policy and intake answers."""
    route = Route(route)
    items = {
        "screening": "Every course",
        "medical_exam": "Every course",
        "baseline_scores": "Every course: outcomes are measured against the baseline",
        "consent": "No treatment starts without a current signed consent",
        "escort": "Every course",
    }
    ecg = policies.get(ECG_POLICY.key, ECG_POLICY.value)
    if ecg == "always":
        items["ecg"] = "Clinic protocol: ECG for every patient"
    elif ecg == "if_cardiac_risk" and _any_not_no(conditions, CARDIAC_RISK_ANSWERS):
        items["ecg"] = "Hypertension or cardiovascular disease recorded (or not yet answered)"
    labs = policies.get(LABS_POLICY.key, LABS_POLICY.value)
    if labs == "always":
        items["labs"] = "Clinic protocol: liver tests for every patient"
    elif labs == "if_liver_disease" and _any_not_no(conditions, LIVER_ANSWERS[:1]):
        items["labs"] = "Liver disease recorded (or not yet answered)"
    if route is Route.ESKETAMINE_NASAL:
        items["rems_enrolment"] = "Esketamine: the REMS requires enrolment before a first dose"
    return {key: items[key] for key in ITEMS if key in items}
