"""Eligibility screening: contraindication and caution rules -> a decision with reasons and sources.

``evaluate(intake, route=..., settings=...)`` runs every rule in ``RULES`` that applies to the
route and indication and returns an ``EligibilityDecision``:

- any contraindication -> ``not_eligible``; else any unanswered question or unset clinic setting
  a rule needs -> ``needs_information``; else any caution -> ``eligible_with_cautions``;
  else ``eligible``. Unknown is never read as no.
- every finding names the patient's value, what would resolve it, and the reference source tags
  (shared/clinical-reference.md); facts the reference marks [memory, verify] or [weak] carry
  ``Provenance(verified=False)``.

A clinic changes numbers (within safe bounds) and severities through ``EligibilitySettings``.
A contraindication may be lowered to a caution only where the reference calls it relative, never
for an esketamine label contraindication. Raising a caution to a contraindication is always
allowed. Pure Python: no Django, no database, no clock.

The package, by idea: ``model`` (outcomes, rules, findings), ``parameters`` (the numbers a clinic
sets), ``checks`` (what each rule looks at), ``interactions`` (medication rules, §6.3), ``rules``
(the table), ``settings`` (a clinic's values and severities, ``CONFIGURABLE_DEFAULTS``),
``engine`` (``evaluate``, ``describe_rules``) and ``summary`` (the decision in words).
"""

from ketacare.clinical.common import Route
from ketacare.clinical.eligibility.engine import (
    EligibilityDecision,
    ParameterInForce,
    RuleInForce,
    describe_rules,
    evaluate,
)
from ketacare.clinical.eligibility.model import Finding, Outcome, Rule
from ketacare.clinical.eligibility.parameters import (
    BP_DIASTOLIC_LIMIT,
    BP_SYSTOLIC_LIMIT,
    PARAMETERS,
    TRD_REQUIRED_TRIALS,
)
from ketacare.clinical.eligibility.rules import (
    ESKETAMINE_MINIMUM_AGE_YEARS,
    RULES,
    RULES_BY_ID,
    default_rules,
)
from ketacare.clinical.eligibility.settings import (
    CONFIGURABLE_DEFAULTS,
    SEVERITY_DEFAULTS,
    SEVERITY_KEY_PREFIX,
    EligibilitySettings,
    severity_choices,
)

__all__ = [
    "BP_DIASTOLIC_LIMIT",
    "BP_SYSTOLIC_LIMIT",
    "CONFIGURABLE_DEFAULTS",
    "ESKETAMINE_MINIMUM_AGE_YEARS",
    "PARAMETERS",
    "RULES",
    "RULES_BY_ID",
    "SEVERITY_DEFAULTS",
    "SEVERITY_KEY_PREFIX",
    "TRD_REQUIRED_TRIALS",
    "EligibilityDecision",
    "EligibilitySettings",
    "Finding",
    "Outcome",
    "ParameterInForce",
    "Route",
    "Rule",
    "RuleInForce",
    "default_rules",
    "describe_rules",
    "evaluate",
    "severity_choices",
]
